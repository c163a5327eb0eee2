"""Scripted Telegram users talking to a bot through :class:`FakeTelegram`."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

from .formatting import utf16_len
from .models import SentMessage
from .server import FakeTelegram

__all__ = ["SentMessage", "User", "wait_until", "fake_jpeg"]


def fake_jpeg(size: int = 256) -> bytes:
    """A few bytes that look like a JPEG (SOI + JFIF header + random payload + EOI)."""
    header = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return header + secrets.token_bytes(max(0, size - len(header) - 2)) + b"\xff\xd9"


async def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, tg: FakeTelegram | None = None
) -> bool:
    """Wait until ``predicate()`` is true (False on timeout).

    With ``tg`` the predicate is re-checked after every API call / pushed update (event-driven);
    without it, it is polled every 5 ms.
    """
    if tg is not None:
        return await tg.wait_until(predicate, timeout)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.005)
    return True


class User:
    """A scripted Telegram user with a private chat with the bot."""

    def __init__(
        self,
        tg: FakeTelegram,
        user_id: int,
        first_name: str = "Ana",
        language_code: str = "es",
        username: str | None = None,
    ) -> None:
        self.tg = tg
        self.user_id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self.info = tg.register_user(user_id, first_name, language_code, username)
        self._cursor = 0  # index in tg.messages_for(chat) of the next bot message to consume
        self._presses: set[str] = set()
        self.sent_messages: list[dict[str, Any]] = []  # messages this user wrote (Bot API objects)

    # ------------------------------------------------------------------ sending
    def _push_message(self, chat_id: int | None, **content: Any) -> int:
        msg = self.tg.new_user_message(self.user_id, chat_id, **content)
        self.sent_messages.append(msg)
        return self.tg.push_update({"message": msg})

    async def send(self, text: str, chat_id: int | None = None) -> int:
        """Send a text message (``/command`` gets a ``bot_command`` entity); returns the update_id."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return self._push_message(chat_id, **content)

    async def send_photo(self, caption: str | None = None, chat_id: int | None = None) -> int:
        """Send a small fake JPEG (three PhotoSize variants, largest last)."""
        sizes = []
        for w, h in ((90, 67), (320, 240), (800, 600)):
            stored = self.tg.register_file(
                fake_jpeg(64 + w), kind="photo", mime_type="image/jpeg", width=w, height=h
            )
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": w,
                    "height": h,
                    "file_size": stored.size,
                }
            )
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._push_message(chat_id, **content)

    async def send_location(self, lat: float, lon: float, chat_id: int | None = None) -> int:
        return self._push_message(chat_id, location={"latitude": lat, "longitude": lon})

    async def send_sticker(self, chat_id: int | None = None) -> int:
        stored = self.tg.register_file(b"RIFF\x00\x00\x00\x00WEBP", kind="sticker", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._push_message(chat_id, sticker=sticker)

    async def send_document(
        self,
        name: str = "documento.pdf",
        data: bytes = b"%PDF-1.4\n%fake\n",
        mime: str = "application/pdf",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> int:
        stored = self.tg.register_file(data, kind="document", file_name=name, mime_type=mime)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": stored.size,
        }
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        return self._push_message(chat_id, **content)

    async def send_voice(self, duration: int = 3, chat_id: int | None = None) -> int:
        stored = self.tg.register_file(b"OggS" + secrets.token_bytes(60), kind="voice", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._push_message(chat_id, voice=voice)

    async def send_contact(
        self, phone_number: str = "+51999888777", first_name: str | None = None, chat_id: int | None = None
    ) -> int:
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.user_id,
        }
        return self._push_message(chat_id, contact=contact)

    async def forward_from(
        self, author: User | str, text: str = "Hola", chat_id: int | None = None, date: int | None = None
    ) -> int:
        """Forward to the bot a text written by ``author``: a :class:`User` gives a ``forward_origin``
        of type ``user``; a name (str) one of type ``hidden_user`` (the author hides their account)."""
        when = int(time.time()) - 60 if date is None else date
        origin: dict[str, Any]
        if isinstance(author, str):
            origin = {"type": "hidden_user", "date": when, "sender_user_name": author}
        else:
            origin = {"type": "user", "date": when, "sender_user": dict(author.info)}
        return self._push_message(chat_id, text=text, forward_origin=origin)

    # ------------------------------------------------------------------ buttons
    def _find_button(self, label: str, message: SentMessage | None) -> tuple[int, int, str]:
        want = label.casefold()
        candidates: list[tuple[int, dict[str, Any]]] = []
        chat_id = message.chat_id if message is not None else self.chat_id
        if message is not None:
            current = self.tg.get_message(message.chat_id, message.message_id)
            markup = (current or {}).get("reply_markup") or message.reply_markup or {}
            candidates.append((message.message_id, markup))
        else:
            seen: set[int] = set()
            for sm in reversed(self.tg.messages_for(chat_id)):
                if sm.message_id in seen:
                    continue
                seen.add(sm.message_id)
                current = self.tg.get_message(chat_id, sm.message_id)
                if current is not None and (current.get("reply_markup") or {}).get("inline_keyboard"):
                    candidates.append((sm.message_id, current["reply_markup"]))
                    break
        available: list[str] = []
        for mid, markup in candidates:
            buttons = [b for row in markup.get("inline_keyboard") or [] for b in row]
            available += [str(b.get("text")) for b in buttons]
            for exact in (True, False):
                for b in buttons:
                    text = str(b.get("text", "")).casefold()
                    if (text == want) if exact else (want in text):
                        if "callback_data" not in b:
                            raise AssertionError(f"button {b.get('text')!r} has no callback_data: {b}")
                        return chat_id, mid, str(b["callback_data"])
        where = f"message {message.message_id}" if message is not None else "the latest keyboard message"
        raise AssertionError(
            f"no inline button matching {label!r} on {where} in chat {chat_id}; available: {available}"
        )

    async def press(self, label: str, message: SentMessage | None = None) -> int:
        """Press the inline button whose text contains ``label`` (case-insensitive); returns update_id."""
        chat_id, mid, data = self._find_button(label, message)
        return self._push_callback(chat_id, mid, data)

    async def press_data(self, callback_data: str, message_id: int, chat_id: int | None = None) -> int:
        """Push a callback_query with arbitrary data (forged or stale presses)."""
        return self._push_callback(self.chat_id if chat_id is None else chat_id, message_id, callback_data)

    def _push_callback(self, chat_id: int, message_id: int, data: str) -> int:
        query = self.tg.new_callback_query(self.user_id, chat_id, message_id, data)
        self._presses.add(query["id"])
        return self.tg.push_update({"callback_query": query})

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery payloads for this user's presses, in order."""
        return [a for a in self.tg.callback_answers if a["callback_query_id"] in self._presses]

    async def inline_query(self, query: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Push an inline_query update and wait for the bot's answerInlineQuery results."""
        iq = self.tg.new_inline_query(self.user_id, query)
        self.tg.push_update({"inline_query": iq})
        if not await self.tg.wait_until(lambda: iq["id"] in self.tg.inline_answers, timeout):
            raise AssertionError(f"bot did not answer inline query {query!r} within {timeout}s")
        return list(self.tg.inline_answers[iq["id"]]["results"])

    # ------------------------------------------------------------------ receiving
    @property
    def history(self) -> list[SentMessage]:
        """Every bot message (sends and edits) to this user's private chat."""
        return self.tg.messages_for(self.chat_id)

    def last(self) -> SentMessage:
        hist = self.history
        if not hist:
            raise AssertionError(f"the bot has not sent anything to chat {self.chat_id}")
        return hist[-1]

    def skip(self) -> None:
        """Mark everything received so far as consumed."""
        self._cursor = self.tg.message_count(self.chat_id)

    async def reply(self, timeout: float = 5.0) -> SentMessage:
        """Wait for the next bot message (sent or edited) in this chat that was not consumed yet."""
        return (await self.replies(1, timeout))[0]

    async def replies(self, n: int, timeout: float = 5.0) -> list[SentMessage]:
        target = self._cursor + n
        ok = await self._wait_messages(lambda: self.tg.message_count(self.chat_id) >= target, timeout)
        hist = self.tg.messages_for(self.chat_id)
        if not ok:
            got = hist[self._cursor :]
            raise AssertionError(
                f"expected {n} bot message(s) in chat {self.chat_id} within {timeout}s, got {len(got)}: "
                f"{[(m.method, m.plain) for m in got]}; last API calls: {self._recent_calls()}"
            )
        out = hist[self._cursor : target]
        self._cursor = target
        return out

    async def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> list[SentMessage]:
        """Wait until the bot has been silent in this chat for ``quiet`` seconds; return all new messages."""
        deadline = time.monotonic() + timeout
        count = self.tg.message_count(self.chat_id)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            changed = await self._wait_messages(
                lambda c=count: self.tg.message_count(self.chat_id) != c,  # type: ignore[misc]
                min(quiet, remaining),
            )
            if not changed:
                break
            count = self.tg.message_count(self.chat_id)
        hist = self.tg.messages_for(self.chat_id)
        out = hist[self._cursor :]
        self._cursor = len(hist)
        return out

    async def _wait_messages(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self.tg.messages_signal.wait(remaining)
        return True

    def _recent_calls(self, n: int = 5) -> list[str]:
        return [
            f"{c.method}->{c.status}{' ' + c.description if c.description else ''}"
            for c in self.tg.calls[-n:]
        ]
