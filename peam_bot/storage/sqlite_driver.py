"""SQLite through aiosqlite with one trip to aiosqlite's thread per statement.

SQLAlchemy's aiosqlite adapter makes up to four trips to the connection's thread per statement
(create the cursor, execute, fetch the rows, close the cursor); each trip is a queue hand-off, a
thread wake-up and a wake-up of the event loop, and together they were most of the database cost
of an update (`python -m bench.costs`). This cursor runs the whole statement — execute, fetch,
close — as one function in that thread. Results are buffered, as SQLAlchemy's own adapter does for
non-server-side cursors; everything else (transactions, pooling, errors) is SQLAlchemy's adapter.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

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


class OneTripCursor(AsyncAdapt_dbapi_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")
    server_side = False

    def __init__(self, adapt_connection: Any) -> None:  # no aiosqlite cursor: no trip here
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

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._execute_async(operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._executemany_async(operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._one_trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._one_trip(operation, seq_of_parameters, many=True)

    async def _one_trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            result: Result = await connection._execute(  # noqa: SLF001 - aiosqlite's thread hand-off
                _run,
                connection._conn,
                operation,
                parameters,
                many,  # noqa: SLF001
            )
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = deque(rows) if rows else deque()

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        adapted.__class__ = OneTripConnection  # same slots; only the cursor class differs
        return adapted  # type: ignore[return-value]


def dbapi() -> OneTripDBAPI | None:
    """The driver module for SQLAlchemy, or None (use SQLAlchemy's own adapter) if the versions
    installed do not have the hooks this relies on."""
    hooks = (
        hasattr(aiosqlite.Connection, "_execute"),
        "_soft_closed_memoized" in getattr(AsyncAdapt_dbapi_cursor, "__slots__", ()),
        hasattr(AsyncAdapt_aiosqlite_connection, "_execute_mutex"),
    )
    return OneTripDBAPI(aiosqlite, sqlite3) if all(hooks) else None
