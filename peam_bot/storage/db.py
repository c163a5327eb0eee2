"""Engine, sessions and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        from peam_bot.storage import sqlite_driver

        module = sqlite_driver.dbapi()  # statements run in the event loop's thread
        # one connection per update in flight (an update keeps its session while it talks to
        # Telegram); with the inline driver a connection is only an open file, not a thread
        # (connections beyond pool_size are closed when given back, and opened again at the next peak)
        kwargs.setdefault("pool_size", 100 if module is not None else 20)
        kwargs.setdefault("max_overflow", 100 if module is not None else 80)
        # sessions always end their transaction (commit or rollback) before giving the connection
        # back, so the pool's extra rollback on return is wasted work
        kwargs.setdefault("pool_reset_on_return", None)
        if module is not None:
            kwargs.setdefault("module", module)
            # SQLite must never sleep in the loop's thread: the driver waits for the lock itself
            busy_ms = 0
            connect_args: dict[str, Any] = {"timeout": 0}
        else:
            busy_ms = 30_000
            connect_args = {"timeout": 30}
        engine = create_async_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 30)
    return create_async_engine(url, **kwargs)


def make_session_factory(engine: AsyncEngine, autoflush: bool = True) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=autoflush)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(conn: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply the migrations: the only way the schema is created."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
