"""Fixtures: a real database (SQLite file, or PostgreSQL when PEAM_TEST_DATABASE_URL is set), the
emulated Bot API over HTTP, and the real aiogram app polling it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from peam_bot.config import Settings
from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram, Limits
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.telegram.app import App

STAFF_CHAT = -1001234567890
TOKEN = "123456:TEST-TOKEN"
PG_URL = os.environ.get("PEAM_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PEAM_TEST_REDIS_URL") or os.environ.get("PEAM_REDIS_URL")
# PEAM_FAST_PATHS=0 runs the whole suite on the stock libraries only (.ci/run does it on SQLite)
FAST_PATHS = Settings(_env_file=None).fast_paths  # type: ignore[call-arg]


async def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def db_url(tmp_path: Path) -> AsyncIterator[str]:
    if PG_URL:
        await reset_postgres(PG_URL)
        yield PG_URL
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'peam.db'}"


@pytest.fixture
async def session_factory(db_url: str) -> AsyncIterator[Any]:
    engine = make_engine(db_url, fast_paths=FAST_PATHS)
    await upgrade(engine)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(token=TOKEN, limits=Limits())
    await server.start()
    server.add_group(STAFF_CHAT, "AQPlan")
    yield server
    await server.stop()


def make_settings(tg: FakeTelegram, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": tg.base_url,
        "database_url": db_url,
        "staff_chat_id": STAFF_CHAT,
        "redis_url": None,
        "broadcast_rate": 30,
        "throttle_limit": 0,  # scripted residents type faster than people; throttling has its own test
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


StartApp = Callable[..., Awaitable[App]]


@pytest.fixture
async def start_app(tg: FakeTelegram, db_url: str) -> AsyncIterator[StartApp]:
    """Start (and, at the end, stop) the real bot against the emulator; call again after a stop to
    simulate a restart on the same database."""
    running: list[App] = []

    async def _start(**overrides: Any) -> App:
        app = await App.create(make_settings(tg, db_url, **overrides))
        await app.start_polling()
        running.append(app)
        return app

    yield _start
    for app in running:
        await app.close()


@pytest.fixture
async def app(start_app: StartApp) -> App:
    return await start_app()


@pytest.fixture
def resident(tg: FakeTelegram, app: App) -> User:
    return User(tg, user_id=700_001, first_name="Rosa", language_code="es")


async def onboard(user: User, district: str = "Cayma") -> None:
    """/start → welcome + privacy notice → Acepto → district → main menu."""
    await user.send("/start")
    await user.replies(2)
    await user.press("Acepto")
    await user.replies(2)  # notice buttons removed (edit) + district question
    await user.press(district)
    await user.replies(2)  # district confirmed (edit) + main menu


async def eventually(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> bool:
    """Re-check an async condition (e.g. a database row written by the outbox worker) until true."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.02)
    return await predicate()
