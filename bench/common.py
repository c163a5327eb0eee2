"""Shared pieces of the benchmarks: an emulator with per-chat waiters, simulated residents that walk
the real onboarding and /proponer flows, pacing under the bot's throttle, and statistics."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from peam_bot.emulator.client import User
from peam_bot.emulator.models import SentMessage
from peam_bot.emulator.server import FakeTelegram, Limits

log = logging.getLogger("bench")

TOKEN = "123456:BENCH-TOKEN"
STAFF_CHAT = -1001234567890

# Words residents of Arequipa might use in a proposal (accents and ñ included on purpose).
VOCABULARY = """
parque semáforo vereda pista alumbrado basura colegio mercado posta puente canal acequia
agua desagüe árboles jardín losa deportiva cancha juegos niños ancianos mujeres jóvenes vecinos
bomberos serenazgo policía seguridad cámaras luminarias postes baches asfalto sardinel rampa
ciclovía bicicletas combi micro paradero tránsito peatones cruce rompemuelles señalización
reciclaje contenedores limpieza perros callejeros vacunación biblioteca comedor olla común
talleres capacitación artesanos feria turismo mirador andenería chacra riego sillar volcán
misti chachani río chili puquio quebrada huaico defensa ribereña muro contención terreno
abandonado iluminación nocturna ruido contaminación humo ladrilleras polvo arborización
molle queñual plaza pileta bancas techo sombra skatepark gimnasio aire libre velódromo
guardería wawa wasi salud campaña odontología psicología violencia familiar denuncia
comisaría junta vecinal asociación pueblo joven asentamiento humano titulación servicios
electricidad internet wifi gratuito telecentro escuela aulas baños cerco perimétrico
""".split()

PLACES = [
    "Av. Ejército",
    "Av. Dolores",
    "calle Mercaderes",
    "Av. Goyeneche",
    "Av. Parra",
    "Av. Kennedy",
    "Av. Aviación",
    "Av. Cayma",
    "Av. Jesús",
    "Av. Los Incas",
    "Av. Venezuela",
    "Av. Lambramani",
]


def title_words(rng: random.Random, vocab: Sequence[str]) -> str:
    words = rng.sample(list(vocab), rng.randint(3, 5))
    words[0] = words[0].capitalize()
    title = " ".join(words)
    if rng.random() < 0.4:
        title += f" en la {rng.choice(PLACES)}"
    return title[:120]


def description_words(rng: random.Random, vocab: Sequence[str]) -> str:
    parts = []
    for _ in range(rng.randint(2, 4)):
        parts.append(" ".join(rng.sample(list(vocab), rng.randint(5, 9))))
    text = "Proponemos " + ". ".join(parts) + f", cerca de la {rng.choice(PLACES)}."
    return text[:2000]


# ----------------------------------------------------------------------------- emulator


class BenchTelegram(FakeTelegram):
    """The emulator with rate limits off and a cheap per-chat wake-up.

    The stock client waits on one broadcast signal that wakes every waiting user on every bot message
    (O(users) per message); here each chat has at most one waiter, released when its chat has enough
    bot messages. The server side (what the bot talks to) is unchanged."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN, limits=Limits(enforce_rates=False))
        self._chat_waiters: dict[int, tuple[int, asyncio.Future[None]]] = {}

    def _record(
        self, chat_id: int, message_id: int, method: str, params: dict[str, Any], **fields: Any
    ) -> SentMessage:
        sm = super()._record(chat_id, message_id, method, params, **fields)
        waiter = self._chat_waiters.get(chat_id)
        if waiter is not None and len(self._by_chat[chat_id]) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)
        return sm

    def chat_messages(self, chat_id: int) -> list[SentMessage]:
        """The live (not copied) list of bot messages of a chat."""
        return self._by_chat.setdefault(chat_id, [])

    async def wait_count(self, chat_id: int, count: int, timeout: float) -> bool:
        msgs = self.chat_messages(chat_id)
        if len(msgs) >= count:
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._chat_waiters[chat_id] = (count, fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return len(msgs) >= count
        finally:
            self._chat_waiters.pop(chat_id, None)


async def start_emulator() -> BenchTelegram:
    tg = BenchTelegram()
    await tg.start()
    tg.add_group(STAFF_CHAT, "AQPlan")
    return tg


# ----------------------------------------------------------------------------- statistics


@dataclass
class Stats:
    """Completed updates (push → all expected replies received) with their first-reply latency."""

    window_start: float = 0.0
    window_end: float = float("inf")
    completed: int = 0  # inside the window
    completed_total: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, inside the window
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    think_s: float = 0.0  # pacing sleeps (to stay under the bot's throttle)
    paced: int = 0
    similar: int = 0
    submitted: int = 0
    sent: int = 0  # pushed updates (any time)
    bot_warnings: int = 0  # WARNING+ lines logged by a bot running as its own process
    by_step: dict[str, list[float]] = field(default_factory=dict)  # step -> latencies (s), in window
    cpu_s: float | None = None  # CPU time the bot's process used inside the window
    api_calls: Counter[str] = field(default_factory=Counter)  # Bot API calls made inside the window

    def calls_per_update(self) -> dict[str, float] | None:
        """Bot API calls per update answered in the window, by method (getUpdates left out)."""
        if not self.completed:
            return None
        calls = {m: n for m, n in self.api_calls.most_common() if m != "getUpdates"}
        out = {m: round(n / self.completed, 3) for m, n in calls.items()}
        return {"all": round(sum(calls.values()) / self.completed, 3), **out}

    def record(self, pushed: float, first_reply: float, done: float, step: str = "") -> None:
        self.completed_total += 1
        if self.window_start <= done <= self.window_end:
            self.completed += 1
        if self.window_start <= pushed <= self.window_end:
            self.latencies.append(first_reply - pushed)
            self.by_step.setdefault(step, []).append(first_reply - pushed)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail}")


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class LogCounter(logging.Handler):
    """Counts WARNING+ records (bot exceptions end up here) and keeps a few samples."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.levelname} {record.name}: {record.getMessage().splitlines()[0][:160]}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            key += f" [{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}]"
        self.counts[key] += 1
        if key not in self.samples and record.exc_info:
            self.samples[key] = logging.Formatter().formatException(record.exc_info)[-1500:]


# ----------------------------------------------------------------------------- residents


class StopRun(Exception):
    """Raised by a gate when the resident must stop sending."""


class FlowError(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


Gate = Callable[["Resident"], Awaitable[None]]


class Resident:
    """A simulated resident: one update at a time, the next only once the replies to the previous one
    arrived (what a person does). ``gate`` is awaited before every update (closed or open loop)."""

    def __init__(
        self,
        tg: BenchTelegram,
        user_id: int,
        rng: random.Random,
        stats: Stats,
        gate: Gate,
        throttle: tuple[int, float] | None,
        reply_timeout: float = 10.0,
        vocab: Sequence[str] = VOCABULARY,
    ) -> None:
        self.tg = tg
        self.user = User(tg, user_id, first_name=f"Vecino {user_id}", language_code="es")
        self.chat_id = user_id
        self.rng = rng
        self.stats = stats
        self.gate = gate
        self.reply_timeout = reply_timeout
        self.vocab = vocab
        self.cursor = 0
        limit, window = throttle if throttle else (0, 0.0)
        self.throttle_limit = limit
        self.throttle_window = window
        self._replied: deque[float] = deque(maxlen=max(1, limit))
        self.steps = 0
        self.onboarded = False

    # -------------------------------------------------------------- one update
    async def _pace(self) -> None:
        """Wait only if needed: the bot drops a resident's update when it already handled `limit` of
        them in the last `window` s. Each of our earlier updates was handled before its reply arrived,
        so sending after (reply of the limit-th previous update + window) is always allowed."""
        if self.throttle_limit <= 0 or len(self._replied) < self.throttle_limit:
            return
        wait = self._replied[0] + self.throttle_window + 0.005 - time.monotonic()
        if wait > 0:
            self.stats.paced += 1
            self.stats.think_s += wait
            await asyncio.sleep(wait)

    async def exchange(
        self,
        push: Callable[[], Awaitable[int]],
        n: int,
        expect: str | None = None,
        more: Callable[[list[SentMessage]], int] | None = None,
        step: str = "",
    ) -> list[SentMessage]:
        """Send one update and wait for its `n` replies (+ `more(replies)` extra ones)."""
        await self._pace()
        await self.gate(self)
        msgs = self.tg.chat_messages(self.chat_id)
        if len(msgs) != self.cursor:
            extra = [(m.method, (m.plain or "")[:60]) for m in msgs[self.cursor :]]
            raise FlowError("unexpected_message", f"before step {self.steps}: {extra}")
        base = self.cursor
        pushed = time.monotonic()
        await push()
        self.stats.sent += 1
        self.steps += 1
        target = base + n
        if not await self.tg.wait_count(self.chat_id, target, self.reply_timeout):
            got = [(m.method, (m.plain or "")[:60]) for m in msgs[base:]]
            raise FlowError("timeout", f"wanted {n} replies, got {got}")
        if more is not None:
            k = more(msgs[base:target])
            if k:
                target += k
                if not await self.tg.wait_count(self.chat_id, target, self.reply_timeout):
                    raise FlowError("timeout", f"wanted {n + k} replies, got {len(msgs) - base}")
        done = time.monotonic()
        replies = msgs[base:target]
        self.cursor = target
        self._replied.append(done)
        self.stats.record(pushed, replies[0].ts, done, step)
        if expect is not None and expect not in (replies[-1].plain or ""):
            got = [(m.method, (m.plain or "")[:80]) for m in replies]
            raise FlowError("unexpected_reply", f"wanted {expect!r}, got {got}")
        return replies

    # -------------------------------------------------------------- helpers
    @staticmethod
    def buttons(msg: SentMessage, prefix: str = "") -> list[tuple[str, str]]:
        rows = (msg.reply_markup or {}).get("inline_keyboard") or []
        out = []
        for row in rows:
            for b in row:
                data = b.get("callback_data")
                if isinstance(data, str) and data.startswith(prefix):
                    out.append((str(b.get("text", "")), data))
        return out

    def button(self, msg: SentMessage, data: str) -> str:
        for _text, d in self.buttons(msg):
            if d == data:
                return d
        raise FlowError("missing_button", f"{data!r} not in {self.buttons(msg)}")

    def press(self, msg: SentMessage, data: str) -> Callable[[], Awaitable[int]]:
        return lambda: self.user.press_data(data, msg.message_id)

    def say(self, text: str) -> Callable[[], Awaitable[int]]:
        return lambda: self.user.send(text)

    async def _quiet(self, quiet: float, limit: float = 30.0) -> None:
        """Wait until the bot has said nothing in this chat for `quiet` seconds."""
        deadline = time.monotonic() + limit
        msgs = self.tg.chat_messages(self.chat_id)
        while time.monotonic() < deadline:
            seen = len(msgs)
            if not await self.tg.wait_count(self.chat_id, seen + 1, quiet):
                return

    async def recover(self) -> None:
        """After an error: let the chat go quiet, leave any form and carry on from a clean state
        (onboarding is re-checked with /start)."""
        await self._quiet(1.5)
        await self.gate(self)
        await self.user.send("/cancelar")
        await self._quiet(1.0)
        self.cursor = len(self.tg.chat_messages(self.chat_id))
        self.onboarded = False

    # -------------------------------------------------------------- flows
    async def onboard(self) -> None:
        """/start → welcome + privacy notice → Acepto → district → main menu. After a recovery the
        resident may already be registered (one reply to /start: district question or greeting)."""
        replies = await self.exchange(
            self.say("/start"),
            1,
            more=lambda ms: 1 if "Bienvenido" in (ms[0].plain or "") else 0,
            step="start",
        )
        question = replies[-1]
        if self.buttons(question, "cs:yes"):
            _edit, question = await self.exchange(
                self.press(question, self.button(question, "cs:yes")), 2, step="consent"
            )
        districts = [d for _t, d in self.buttons(question, "d:on:") if not d.endswith(("_more", "_main"))]
        if districts:
            await self.exchange(
                self.press(question, self.rng.choice(districts)), 2, expect="Listo", step="district_on"
            )
        elif "Hola de nuevo" not in (question.plain or ""):
            raise FlowError("unexpected_reply", f"after /start: {(question.plain or '')[:80]!r}")
        self.onboarded = True

    async def propose(self) -> None:
        rng = self.rng
        await self.exchange(self.say("/proponer"), 1, expect="Paso 1 de 7", step="proponer")
        await self.exchange(self.say(title_words(rng, self.vocab)), 1, expect="Paso 2 de 7", step="title")
        (q,) = await self.exchange(
            self.say(description_words(rng, self.vocab)), 1, expect="Paso 3 de 7", step="description"
        )
        choices = [d for _t, d in self.buttons(q, "d:fm:") if not d.endswith(("_more", "_main"))]
        district = choices[0] if rng.random() < 0.7 else rng.choice(choices)  # first one is "(el suyo)"
        (q,) = await self.exchange(self.press(q, district), 1, expect="Paso 4 de 7", step="district")
        theme = rng.choice([d for _t, d in self.buttons(q, "t:")])
        (q,) = await self.exchange(self.press(q, theme), 1, expect="Paso 5 de 7", step="theme")
        if rng.random() < 0.5:
            (q,) = await self.exchange(self.user.send_photo, 1, expect="Continuar", step="photo")
            (q,) = await self.exchange(
                self.press(q, self.button(q, "f:photos_done")), 1, expect="Paso 6 de 7", step="photos_done"
            )
        else:
            (q,) = await self.exchange(
                self.press(q, self.button(q, "f:skip")), 1, expect="Paso 6 de 7", step="skip_photos"
            )
        if rng.random() < 0.5:
            lat = -16.3988 + rng.uniform(-0.04, 0.04)
            lon = -71.5369 + rng.uniform(-0.04, 0.04)
            (q,) = await self.exchange(
                lambda: self.user.send_location(lat, lon), 1, expect="Paso 7 de 7", step="location"
            )
        else:
            (q,) = await self.exchange(
                self.press(q, self.button(q, "f:skip")), 1, expect="Paso 7 de 7", step="skip_location"
            )
        (q,) = await self.exchange(
            self.press(q, self.button(q, "f:skip")), 1, expect="Revise su iniciativa", step="skip_org"
        )
        replies = await self.exchange(self.press(q, self.button(q, "f:send")), 2, step="send")
        if "parecidas" in (replies[-1].plain or ""):  # the similar ones, listed above the question
            self.stats.similar += 1
            q = replies[-1]
            await self.exchange(
                self.press(q, self.button(q, "f:send_anyway")), 2, expect="Recibimos", step="send_anyway"
            )
        elif "Recibimos" not in (replies[-1].plain or ""):
            raise FlowError("unexpected_reply", f"after Enviar: {(replies[-1].plain or '')[:80]!r}")
        self.stats.submitted += 1

    async def run_bot_flow(self) -> None:
        """Onboarding, then /proponer forever (until the gate raises StopRun)."""
        while True:
            try:
                if not self.onboarded:
                    await self.onboard()
                await self.propose()
            except FlowError as exc:
                self.stats.error(exc.kind, f"user {self.chat_id}: {exc.detail}")
                await self.recover()

    async def run_echo_flow(self) -> None:
        """Texts to the echo bot, one at a time."""
        while True:
            try:
                await self.exchange(self.say(title_words(self.rng, self.vocab)), 1, step="echo")
            except FlowError as exc:
                self.stats.error(exc.kind, f"user {self.chat_id}: {exc.detail}")
                await asyncio.sleep(1.0)
                self.cursor = len(self.tg.chat_messages(self.chat_id))


async def drain(tasks: list[asyncio.Task[None]], timeout: float) -> None:
    """Let in-flight updates finish, then cancel what is left."""
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
