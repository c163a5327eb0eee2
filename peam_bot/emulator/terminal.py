"""Terminal chat with a bot running against :class:`FakeTelegram` (interactive or fed by a pipe)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Any, TextIO

from .client import User
from .models import SentMessage
from .server import FakeTelegram

__all__ = ["HELP", "chat_loop", "render_message"]

HELP = "Escriba un mensaje, un número para pulsar un botón, /foto, /ubicacion LAT LON, /salir."
_BOLD = {"bold"}


def _styled(text: str, entities: list[dict[str, Any]]) -> str:
    """Plain text with bold entities marked as *bold* (offsets are UTF-16 based)."""
    bold = [e for e in entities if e.get("type") in _BOLD and e.get("length", 0) > 0]
    if not bold:
        return text
    units = text.encode("utf-16-le")
    marks: dict[int, str] = {}
    for e in bold:
        start, end = e["offset"], e["offset"] + e["length"]
        marks[start] = marks.get(start, "") + "*"
        marks[end] = "*" + marks.get(end, "")
    out: list[str] = []
    prev = 0
    for pos in sorted(marks):
        out.append(units[prev * 2 : pos * 2].decode("utf-16-le", errors="replace"))
        out.append(marks[pos])
        prev = pos
    out.append(units[prev * 2 :].decode("utf-16-le", errors="replace"))
    return "".join(out)


def _keyboard_lines(markup: dict[str, Any] | None) -> list[str]:
    if not markup:
        return []
    lines: list[str] = []
    n = 0
    for key, label in (("inline_keyboard", ""), ("keyboard", "(teclado) ")):
        for row in markup.get(key) or []:
            parts = []
            for button in row:
                n += 1
                text = button if isinstance(button, str) else str(button.get("text", ""))
                if isinstance(button, dict) and "url" in button:
                    text += f" ↗ {button['url']}"
                parts.append(f"[{n}] {text}")
            if parts:
                lines.append("  " + label + "  ".join(parts))
    return lines


def render_message(msg: SentMessage) -> str:
    """Human-readable rendering of a bot message for the terminal."""
    head = "bot (editado):" if msg.edited else "bot:"
    body: list[str] = []
    styled = _styled(msg.plain, msg.entities) if msg.plain else ""
    if msg.media:
        kinds = [m.get("type", "photo") for m in msg.media]
        n_photos = kinds.count("photo")
        label = f"[álbum: {n_photos} fotos]" if n_photos == len(kinds) else f"[álbum: {len(kinds)} archivos]"
        body.append(label + (f" {styled}" if styled else ""))
    elif msg.photo:
        body.append("[foto]" + (f" {styled}" if styled else ""))
    elif msg.document:
        name = msg.document.get("file_name") or "archivo"
        body.append(f"[archivo {name}]" + (f" {styled}" if styled else ""))
    elif msg.location:
        body.append(f"[ubicación {msg.location[0]}, {msg.location[1]}]")
    elif styled:
        body.append(styled)
    text = "\n".join(body) if body else "(sin texto)"
    lines = [f"{head} {text}" if "\n" not in text else f"{head}\n{text}"]
    lines += _keyboard_lines(msg.reply_markup)
    return "\n".join(lines)


class _Screen:
    def __init__(self, tg: FakeTelegram, user: User, out: TextIO) -> None:
        self.tg = tg
        self.user = user
        self.out = out
        self.shown = len(tg.messages_for(user.chat_id))
        self.answers_shown = len(user.callback_answers)

    def write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def flush(self) -> None:
        """Print every message / callback answer not printed yet."""
        history = self.tg.messages_for(self.user.chat_id)
        for msg in history[self.shown :]:
            self.write(render_message(msg))
        self.shown = len(history)
        answers = self.user.callback_answers
        for answer in answers[self.answers_shown :]:
            if answer.get("text"):
                prefix = "[alerta]" if answer.get("show_alert") else "[aviso]"
                self.write(f"{prefix} {answer['text']}")
        self.answers_shown = len(answers)

    async def run(self) -> None:
        while True:
            self.flush()
            await self.tg.messages_signal.wait(None)

    def latest_keyboard(self) -> tuple[SentMessage, list[dict[str, Any]], bool] | None:
        """The newest message with buttons: (message, flat buttons, inline?). Newest by message id,
        as a person sees the chat: an older message the bot edits later (a staff notice brought up to
        date) keeps its place and does not take the numbers away from the question just shown."""
        history = self.tg.messages_for(self.user.chat_id)
        checked: set[int] = set()
        for i in sorted(range(len(history)), key=lambda k: (history[k].message_id, k), reverse=True):
            msg = history[i]
            if msg.message_id not in checked:
                checked.add(msg.message_id)
                current = self.tg.get_message(msg.chat_id, msg.message_id)
                if current is not None and (current.get("reply_markup") or {}).get("inline_keyboard"):
                    rows = current["reply_markup"]["inline_keyboard"]
                    return msg, [b for row in rows for b in row], True
            if msg.has_reply_keyboard and msg.reply_markup is not None:
                rows = msg.reply_markup["keyboard"]
                flat = [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]
                return msg, flat, False
            if msg.reply_markup and "remove_keyboard" in msg.reply_markup:
                return None
        return None


def _start_reader(reader: TextIO, queue: asyncio.Queue[str | None], loop: asyncio.AbstractEventLoop) -> None:
    def put(item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            while True:
                line = reader.readline()
                if not line:
                    break
                put(line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        put(None)

    threading.Thread(target=work, name="emulator-stdin", daemon=True).start()


async def _settle(tg: FakeTelegram, user: User, quiet: float, max_wait: float) -> None:
    """Wait until nothing happened in the user's chat for ``quiet`` seconds (at most ``max_wait``)."""
    loop = asyncio.get_running_loop()
    now = loop.time()
    deadline = now + max_wait
    last_change = now

    def state() -> tuple[int, int]:
        return tg.message_count(user.chat_id), len(user.callback_answers)

    snapshot = state()
    while True:
        now = loop.time()
        wait = min(last_change + quiet, deadline) - now
        if wait <= 0:
            return
        await tg.messages_signal.wait(wait)
        current = state()
        if current != snapshot:
            snapshot = current
            last_change = loop.time()


async def chat_loop(
    tg: FakeTelegram,
    user: User,
    stdin_reader: TextIO | None = None,
    out: TextIO | None = None,
    quiet: float = 0.4,
    max_wait: float = 10.0,
) -> None:
    """Chat with the bot as ``user`` from a terminal (or any text stream); returns at /salir or EOF.

    After each input line the loop waits until the bot has been quiet for ``quiet`` seconds, so a
    script can be piped in and button numbers refer to the keyboard the bot showed last.
    """
    out = sys.stdout if out is None else out
    reader = sys.stdin if stdin_reader is None else stdin_reader
    screen = _Screen(tg, user, out)
    screen.write(HELP)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    _start_reader(reader, queue, loop)
    printer = asyncio.create_task(screen.run())
    interactive = bool(getattr(reader, "isatty", lambda: False)())
    try:
        while True:
            if interactive:
                out.write("> ")
                out.flush()
            line = await queue.get()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in ("/salir", "/exit", "/quit"):
                break
            if not await _handle_line(line, screen, user):
                continue
            await _settle(tg, user, quiet, max_wait)
            screen.flush()
        await _settle(tg, user, quiet, max_wait)
        screen.flush()
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer


async def _handle_line(line: str, screen: _Screen, user: User) -> bool:
    """Act on one input line; False when nothing was sent to the bot."""
    if line.isdigit():
        found = screen.latest_keyboard()
        if found is None:
            screen.write("(no hay botones para pulsar)")
            return False
        msg, buttons, inline = found
        index = int(line) - 1
        if not 0 <= index < len(buttons):
            screen.write(f"(elija un número entre 1 y {len(buttons)})")
            return False
        button = buttons[index]
        if not inline:
            await user.send(str(button.get("text", "")))
            return True
        if "callback_data" in button:
            await user.press_data(str(button["callback_data"]), msg.message_id, chat_id=msg.chat_id)
            return True
        if "url" in button:
            screen.write(f"[enlace] {button['url']}")
            return False
        screen.write("(este botón no envía datos al bot)")
        return False
    command, _, rest = line.partition(" ")
    command = command.lower()
    if command == "/foto":
        await user.send_photo(caption=rest.strip() or None)
    elif command in ("/ubicacion", "/ubicación"):
        parts = rest.replace(",", " ").split()
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            screen.write("(uso: /ubicacion LAT LON, por ejemplo /ubicacion -16.4 -71.5)")
            return False
        await user.send_location(lat, lon)
    elif command == "/sticker":
        await user.send_sticker()
    elif command == "/ayuda_emulador":
        screen.write(HELP)
        return False
    else:
        await user.send(line)
    return True
