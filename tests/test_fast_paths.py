"""`PEAM_FAST_PATHS` turns the hand-written layers on or off together, and a library whose internals do
not fit them makes the bot say so once, at start, and run on the stock path (never a silent change)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import aiogram
import pytest
import sqlalchemy
from aiogram.client.session.aiohttp import AiohttpSession
from sqlalchemy import Integer, String, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from peam_bot.config import Settings
from peam_bot.storage import hot, sqlite_driver
from peam_bot.storage.db import make_engine
from peam_bot.storage.models import User
from peam_bot.telegram import client
from peam_bot.telegram.client import JsonSession, create_bot


@pytest.fixture
def fresh_checks() -> Iterator[None]:
    """The fit of the libraries is checked once per process: forget it around the test."""
    sqlite_driver._driver_classes.cache_clear()
    client.fast_session_fits.cache_clear()
    yield
    sqlite_driver._driver_classes.cache_clear()
    client.fast_session_fits.cache_clear()


def settings(**kwargs: object) -> Settings:
    return Settings(_env_file=None, bot_token="123:ABC", **kwargs)  # type: ignore[call-arg,arg-type]


async def answers(url: str, **kwargs: bool) -> tuple[bool, int]:
    engine = make_engine(url, **kwargs)
    try:
        async with engine.connect() as conn:
            value = (await conn.execute(text("SELECT 41 + 1"))).scalar_one()
        return sqlite_driver.inline_engine(engine.sync_engine), value
    finally:
        await engine.dispose()


async def test_the_switch_turns_both_layers_on_and_off(tmp_path: Path, fresh_checks: None) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert await answers(url, fast_paths=True) == (True, 42)
    assert await answers(url, fast_paths=False) == (False, 42)
    on, off = create_bot(settings(fast_paths=True)), create_bot(settings(fast_paths=False))
    try:
        assert isinstance(on.session, JsonSession)
        assert type(off.session) is AiohttpSession
    finally:
        await on.session.close()
        await off.session.close()


async def test_an_unfit_sqlalchemy_is_named_once_and_the_stock_adapter_runs(
    tmp_path: Path, fresh_checks: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sqlalchemy, "__version__", "2.9.0")
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    with caplog.at_level(logging.WARNING):
        assert await answers(url, fast_paths=True) == (False, 42)
        assert await answers(url, fast_paths=True) == (False, 42)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "fast SQLite driver off: SQLAlchemy 2.9.0" in warned[0]


async def test_an_unfit_aiogram_is_named_once_and_its_own_session_runs(
    fresh_checks: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(aiogram, "__version__", "4.0.0")
    with caplog.at_level(logging.WARNING):
        bots = [create_bot(settings(fast_paths=True)) for _ in range(2)]
    try:
        assert all(type(b.session) is AiohttpSession for b in bots)
    finally:
        for b in bots:
            await b.session.close()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "fast Bot API client off: aiogram 4.0.0" in warned[0]


def test_the_plan_cache_is_bounded() -> None:
    dialect = sqlite.dialect()
    built = [select(User.id).where(User.id == i) for i in range(hot.PLAN_CACHE_SIZE + 50)]
    plans = [hot._plan(stmt, dialect) for stmt in built]
    assert len(hot._plans) <= hot.PLAN_CACHE_SIZE
    assert hot._plan(built[-1], dialect) is plans[-1]  # the recent ones are kept
    assert hot._plan(built[0], dialect) is not plans[0]  # the oldest were let go (and compiled again)
    assert hot._plan(built[0], dialect).values == plans[0].values


class _Other(DeclarativeBase):
    pass


class Stamped(_Other):
    __tablename__ = "stamped"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20), server_default="nuevo")


def test_add_new_refuses_a_model_with_a_server_default() -> None:
    with pytest.raises(TypeError, match="Stamped.label has a server default: use the ORM"):
        hot.add_new(None, Stamped, label="x")  # type: ignore[arg-type]
