"""SQLite for SQLAlchemy's asyncio engine, run in the event loop's own thread.

SQLAlchemy's aiosqlite adapter hands every statement to a thread of its own per connection (up to
four hand-offs per statement: cursor, execute, fetch, close). A statement on a local SQLite file
takes tens of microseconds; each hand-off costs more than that, and with one thread per connection
in use (an update keeps its connection while it talks to Telegram) the threads fought the event loop
for the GIL: at saturation the bot had a hundred threads and spent most of its time switching
between them (`python -m bench.costs`, `python -m bench.updates`). Here every statement runs
directly on a `sqlite3` connection in the event loop's thread, with no hand-off at all.

Blocking is bounded: statements are short, and SQLite's own busy wait is off (`busy_timeout=0`), so
the loop never sleeps inside SQLite. When another connection holds the single write lock (another
update of this process between two statements of its transaction, or another process such as a CLI
command), the statement that wants to write fails at once with "database is locked" and is retried
after an asynchronous pause, letting the holder finish (`run_waiting`). After `BUSY_TIMEOUT` seconds
the error is raised as SQLite would.

Everything else — transactions, pooling, errors, the dialect — is SQLAlchemy's aiosqlite dialect;
the URL stays `sqlite+aiosqlite://`. The driver subclasses the adapter classes of SQLAlchemy's
aiosqlite dialect, which are not a public API: they are looked up when the driver is first asked for
(`dbapi()`), on a SQLAlchemy whose version is in `KNOWN_SQLALCHEMY` and whose classes have the hooks
used here. Otherwise `dbapi()` logs one WARNING naming the version and returns None, and the engine
runs on SQLAlchemy's own adapter (correct, and slower: `PEAM_FAST_PATHS=0` gives the same path, and
the test suite runs on it too).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Sequence
from functools import cache
from typing import Any

import sqlalchemy
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_, in_greenlet

log = logging.getLogger("peam_bot.db")

# SQLAlchemy's minor versions whose aiosqlite adapter this driver was written against and tested on
KNOWN_SQLALCHEMY = ("2.0", "2.1")

BUSY_TIMEOUT = 30.0  # seconds a statement waits for SQLite's write lock before giving up
_FIRST_PAUSE = 0.0005
_MAX_PAUSE = 0.02

Result = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Result:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


SQLITE_BUSY_SNAPSHOT = 517  # a read snapshot too old to write from: waiting cannot help


def _must_wait(error: sqlite3.OperationalError) -> bool:
    """The write lock is held elsewhere, and waiting for it can succeed."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return "database is locked" in str(error)
    return code & 0xFF == sqlite3.SQLITE_BUSY and code != SQLITE_BUSY_SNAPSHOT


def run_waiting(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Result:
    """Run one statement; if SQLite's write lock is held elsewhere, pause (without blocking the event
    loop) and try again. Called from SQLAlchemy's greenlet context.

    A connection that meets the lock holds no write of its own (one holding the lock never meets it),
    so nothing written is lost: when the statement's implicit BEGIN opened the transaction, it is
    rolled back before waiting; inside a transaction already open (a SAVEPOINT opens one), the
    statement alone is retried."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        held_before = conn.in_transaction
        try:
            return _run(conn, operation, parameters, many)
        except sqlite3.OperationalError as error:
            # outside SQLAlchemy's greenlet nothing can wait here: such callers take the lock first
            if not _must_wait(error) or not in_greenlet():
                raise
            if not held_before and conn.in_transaction:
                conn.rollback()
            now = time.monotonic()
            if deadline is None:
                deadline = now + BUSY_TIMEOUT
            elif now >= deadline:
                raise
            await_(asyncio.sleep(pause))
            pause = min(pause * 2, _MAX_PAUSE)


async def _nothing() -> None:
    return None


async def begin_immediate(conn: sqlite3.Connection) -> None:
    """Open `conn`'s transaction holding SQLite's write lock (BEGIN IMMEDIATE), pausing without
    blocking the event loop while another connection holds it (as `run_waiting` does). After it,
    nothing the transaction does can meet the lock, so the rest can run outside SQLAlchemy's greenlet
    (the middleware's commit: storage work, the update id, the conversation state)."""
    deadline: float | None = None
    pause = _FIRST_PAUSE
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _must_wait(error):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + BUSY_TIMEOUT
            elif now >= deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_PAUSE)


class InlineConnection:
    """What SQLAlchemy's adapter and the session middleware read of an aiosqlite connection, over a
    plain `sqlite3` connection used from the event loop's thread."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # None once closed, as in aiosqlite

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def _unfit() -> str | None:
    """Why the SQLAlchemy installed does not fit this driver (None: it fits)."""
    version = sqlalchemy.__version__
    if not version.startswith(tuple(v + "." for v in KNOWN_SQLALCHEMY)):
        known = ", ".join(KNOWN_SQLALCHEMY)
        return f"SQLAlchemy {version} is not one of the versions it was written for ({known})"
    try:
        connectors = importlib.import_module("sqlalchemy.connectors.asyncio")
        adapter = importlib.import_module("sqlalchemy.dialects.sqlite.aiosqlite")
        cursor = connectors.AsyncAdapt_dbapi_cursor
        connection = adapter.AsyncAdapt_aiosqlite_connection
        adapter.AsyncAdapt_aiosqlite_dbapi  # noqa: B018 - looked up: it must exist
    except (ImportError, AttributeError) as exc:
        return f"SQLAlchemy {version} lacks {exc}"
    needed = {"_soft_closed_memoized", "_adapt_connection", "_connection", "_rows"}
    if not needed <= set(getattr(cursor, "__slots__", ())):
        return f"SQLAlchemy {version}'s async cursor has other fields"
    for name in ("_cursor_cls", "_ss_cursor_cls", "_handle_exception"):
        if not hasattr(connection, name):
            return f"SQLAlchemy {version}'s aiosqlite connection lacks {name}"
    return None


@cache
def _driver_classes() -> type | None:
    """The driver's DBAPI class, built on SQLAlchemy's adapter classes; None if they do not fit."""
    reason = _unfit()
    if reason is not None:
        log.warning(
            "fast SQLite driver off: %s; running on SQLAlchemy's own aiosqlite adapter (slower)", reason
        )
        return None
    AsyncAdapt_dbapi_cursor = importlib.import_module("sqlalchemy.connectors.asyncio").AsyncAdapt_dbapi_cursor  # noqa: N806
    aiosqlite_adapter = importlib.import_module("sqlalchemy.dialects.sqlite.aiosqlite")
    AsyncAdapt_aiosqlite_connection = aiosqlite_adapter.AsyncAdapt_aiosqlite_connection  # noqa: N806
    AsyncAdapt_aiosqlite_dbapi = aiosqlite_adapter.AsyncAdapt_aiosqlite_dbapi  # noqa: N806

    class InlineCursor(AsyncAdapt_dbapi_cursor):
        __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")
        server_side = False

        def __init__(self, adapt_connection: Any) -> None:
            self._adapt_connection = adapt_connection
            self._connection = adapt_connection._connection
            self._cursor = None  # type: ignore[assignment]
            self._soft_closed_memoized = EMPTY_DICT
            self._rows = deque()
            self._description: Any = None
            self._rowcount = -1
            self._lastrowid: int | None = None
            self._arraysize = 1

        @property
        def description(self) -> Any:
            return self._description

        @property
        def rowcount(self) -> int:
            return self._rowcount

        @property
        def lastrowid(self) -> int:
            return self._lastrowid  # type: ignore[return-value]

        @property
        def arraysize(self) -> int:
            return self._arraysize

        @arraysize.setter
        def arraysize(self, value: int) -> None:
            self._arraysize = value

        async def _async_soft_close(self) -> None:
            return None

        def close(self) -> None:
            self._rows.clear()

        def _execute(self, operation: Any, parameters: Any, many: bool) -> None:
            conn: InlineConnection = self._connection  # type: ignore[assignment]
            # SQLAlchemy's AsyncConnection.execute insists that the driver awaited something: one switch to
            # the calling coroutine and straight back (a few microseconds; the event loop is not involved).
            # Outside its greenlet (storage.hot.connection, the middleware's commit) there is none to make.
            if in_greenlet():
                await_(_nothing())
            try:
                result = run_waiting(conn._conn, operation, parameters, many)
            except Exception as error:
                self._adapt_connection._handle_exception(error)
            self._description, rows, self._rowcount, self._lastrowid = result
            self._rows = deque(rows) if rows else deque()

        def execute(self, operation: Any, parameters: Any = None) -> Any:
            self._execute(operation, parameters, many=False)

        def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
            self._execute(operation, seq_of_parameters, many=True)

        def nextset(self) -> None:
            return None

        def setinputsizes(self, *inputsizes: Any) -> None:
            return None


    class InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
        __slots__ = ()
        _cursor_cls = InlineCursor
        _ss_cursor_cls = InlineCursor

        @property
        def isolation_level(self) -> str | None:
            return self._connection._conn.isolation_level  # type: ignore[attr-defined,no-any-return]

        @isolation_level.setter
        def isolation_level(self, value: str | None) -> None:
            self._connection._conn.isolation_level = value  # type: ignore[attr-defined]

        def create_function(self, *args: Any, **kw: Any) -> None:
            self._connection._conn.create_function(*args, **kw)  # type: ignore[attr-defined]

        def commit(self) -> None:
            conn: InlineConnection = self._connection  # type: ignore[assignment]
            if conn._connection is not None:
                conn._conn.commit()

        def rollback(self) -> None:
            conn: InlineConnection = self._connection  # type: ignore[assignment]
            if conn._connection is not None:
                conn._conn.rollback()

        def close(self) -> None:
            self._connection.stop()  # type: ignore[attr-defined]

        async def _terminate_graceful_close(self) -> None:
            self._connection.stop()  # type: ignore[attr-defined]

        def _terminate_force_close(self) -> None:
            self._connection.stop()  # type: ignore[attr-defined]


    class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
        inline = True  # what `inline_engine` looks for

        def connect(self, *arg: Any, **kw: Any) -> InlineAdaptedConnection:
            kw.pop("async_creator_fn", None)
            kw["check_same_thread"] = False  # created and used in the loop's thread; closed maybe by gc
            conn = sqlite3.connect(*arg, **kw)
            return InlineAdaptedConnection(self, InlineConnection(conn))  # type: ignore[arg-type]

    return InlineDBAPI


def dbapi() -> Any | None:
    """The driver module for SQLAlchemy, or None (use SQLAlchemy's own adapter, after one WARNING at
    the first call) if the SQLAlchemy installed does not fit it."""
    cls = _driver_classes()
    if cls is None:
        return None
    import aiosqlite

    return cls(aiosqlite, sqlite3)


def inline_engine(bind: Any) -> bool:
    """`bind` (an Engine) runs on this driver, so its statements never wait inside SQLAlchemy except
    for the write lock."""
    return getattr(getattr(getattr(bind, "dialect", None), "dbapi", None), "inline", False) is True
