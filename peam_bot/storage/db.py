"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger("peam_bot.db")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(
    url: str, background_checkpoints: bool = False, fast_paths: bool = True, **kwargs: Any
) -> AsyncEngine:
    """`background_checkpoints` (SQLite): commits never copy the write-ahead log into the database
    themselves; a :class:`WalCheckpointer` must do it (the bot runs one). `fast_paths` (SQLite): run
    statements on the bot's inline driver (:mod:`peam_bot.storage.sqlite_driver`) when the SQLAlchemy
    installed fits it; off, SQLAlchemy's own aiosqlite adapter. JSON columns (the conversation state
    every update writes, outbox payloads) go through orjson."""
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        from peam_bot.storage import sqlite_driver

        module = sqlite_driver.dbapi() if fast_paths else None  # statements run in the loop's thread
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
            if background_checkpoints:
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 30)
    return create_async_engine(url, **kwargs)


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database file from a worker thread, once a second.

    By default the commit that fills the log past 1 000 pages does that copy itself, with two fsyncs
    (a 255-page copy took 9–13 ms on the benchmark machine); the bot's statements run in the event
    loop's thread, so that commit stalled every update in flight. A PASSIVE checkpoint never waits for readers or writers: what it cannot copy
    now it copies at a later turn, and the log is truncated when the bot stops."""

    def __init__(self, path: str, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # a cancelled turn's thread may still be running
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> WalCheckpointer | None:
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return cls(database)

    def _checkpoint(self, mode: str) -> None:
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self.path, timeout=0, check_same_thread=False, isolation_level=None
                )
            self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self._checkpoint, "PASSIVE")
            except sqlite3.Error as exc:  # busy or locked: the next turn copies it
                log.debug("checkpoint skipped: %s", type(exc).__name__)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        try:
            await asyncio.to_thread(self._checkpoint, "TRUNCATE")
        except sqlite3.Error as exc:
            log.warning("final checkpoint failed: %s", type(exc).__name__)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


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
