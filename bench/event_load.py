"""Shared pieces of `bench.events` and `bench.checkin`: a database seeded with residents (who accepted
the privacy notice and gave their attendance name) and events, the bot in its own process on the
emulator, and residents who act at planned moments of an open loop, each action timed from its
update to the bot's answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.common import BenchTelegram, start_emulator
from bench.processes import BotProcess
from peam_bot.emulator.client import User
from peam_bot.emulator.models import SentMessage
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.event_models import Event
from peam_bot.storage.models import User as Resident
from peam_bot.storage.models import utcnow

FIRST_RESIDENT = 800_000


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Timings:
    latencies: list[float] = field(default_factory=list)  # seconds, update → answer
    timeouts: int = 0

    def summary(self) -> dict[str, float | None]:
        p50, p99 = percentile(self.latencies, 0.5), percentile(self.latencies, 0.99)
        return {
            "p50_ms": None if p50 is None else round(p50 * 1000, 1),
            "p99_ms": None if p99 is None else round(p99 * 1000, 1),
        }


async def seed(db_url: str, residents: int, events: list[dict[str, object]]) -> None:
    engine = make_engine(db_url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    now = utcnow()
    async with sessions() as s, s.begin():
        rows = [
            {"id": FIRST_RESIDENT + i, "locale": "es", "district": "cayma", "consent_at": now, "consent_version": "v1",
             "attendance_name": f"Vecino {i}", "created_at": now}
            for i in range(residents)
        ]  # fmt: skip
        for start in range(0, len(rows), 1000):
            await s.execute(insert(Resident), rows[start : start + 1000])
        for i, values in enumerate(events, start=1):
            s.add(Event(code=f"EV-{i:04d}", **values))  # type: ignore[arg-type]
    await engine.dispose()


def event_values(start: datetime, capacity: int | None, title: str, walk_ins: bool = True) -> dict[str, object]:
    return dict(
        kind="taller", title=title, venue="Municipalidad de Cayma", address="Plaza de Cayma s/n",
        latitude=-16.3617, longitude=-71.5486, district="cayma", axis="urbano", starts_at=start,
        ends_at=start + timedelta(hours=3), capacity=capacity, organizer="AQPlan", walk_ins=walk_ins,
        status="programado", registered=0, description="", registration_deadline=start + timedelta(hours=2),
    )  # fmt: skip


async def start_bot(workdir: Path, db_url: str) -> tuple[BenchTelegram, BotProcess]:
    tg = await start_emulator()
    proc = BotProcess("peam_bot.cli", ["run"], tg, workdir / "bot.log", db_url, {"PEAM_THROTTLE_LIMIT": "0"})
    await proc.ready()
    return tg, proc


async def act(tg: BenchTelegram, user: User, push: Callable[[], Awaitable[object]], timings: Timings,
              timeout: float = 30.0) -> SentMessage | None:  # fmt: skip
    """Push one update and wait for the bot's next message in that chat; timed."""
    before = len(tg.chat_messages(user.user_id))
    started = time.monotonic()
    await push()
    if not await tg.wait_count(user.user_id, before + 1, timeout):
        timings.timeouts += 1
        return None
    timings.latencies.append(time.monotonic() - started)
    return tg.chat_messages(user.user_id)[before]


def button_data(message: SentMessage, startswith: str) -> str | None:
    for row in message.buttons():
        for text, data in row:
            if text.startswith(startswith):
                return data
    return None


async def open_loop(actions: list[Callable[[], Awaitable[None]]], duration: float) -> None:
    """Start each action at its planned moment (evenly spread over `duration` seconds), whatever the
    earlier ones are still waiting for."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    tasks = []
    for i, action in enumerate(actions):
        delay = t0 + duration * i / max(1, len(actions)) - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(action()))
    await asyncio.gather(*tasks)
