"""The statements every update runs — the resident's row, the update id, the conversation state —
straight on the session's SQLite connection when the bot's inline driver is in use.

Through SQLAlchemy one of these statements costs 120–250 µs of CPU (execution context, result
wrapping, identity map, greenlet switches: `python -m bench.costs`); on a local SQLite file the
statement itself takes a few microseconds. Each statement is still written once, as SQLAlchemy
Core, and compiled once per dialect: on SQLite with the inline driver
(:mod:`peam_bot.storage.sqlite_driver`) the compiled SQL runs on the session's own `sqlite3`
connection — the same transaction, the same waits for the write lock, errors raised as SQLAlchemy
raises them — and everywhere else (PostgreSQL, SQLAlchemy's own aiosqlite adapter, `PEAM_FAST_PATHS`
off) through SQLAlchemy as usual. The column types' bind and result processors are applied as
SQLAlchemy applies them, so the values read and written are the same on both paths.

What may go through here: statements built once (at import, or once per model); the plans of the
last `PLAN_CACHE_SIZE` statements are kept. Objects loaded (`get`) or added (`add_new`) are of models
of plain columns; `add_new` refuses a model with a server-side or SQL default (the object could not
hold what the row holds without reading it back): such a model is added through the ORM.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, bindparam, exc, insert, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.sql import Executable

from peam_bot.storage import sqlite_driver

T = TypeVar("T")

Processor = Callable[[Any], Any] | None
Positioned = tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor), where there is one


def sqlite_connection(conn: Connection) -> sqlite3.Connection | None:
    """The `sqlite3` connection under a SQLAlchemy connection, when it is the inline driver's."""
    driver = conn.connection.driver_connection
    if isinstance(driver, sqlite_driver.InlineConnection) and driver._connection is not None:
        return driver._conn
    return None


async def connection(session: AsyncSession) -> Connection:
    """The session's connection (opening its transaction if need be). On the inline SQLite driver
    this never waits (a connection is an open file, and no statement runs), so it is taken without
    the trip through SQLAlchemy's greenlet that `AsyncSession.connection()` makes."""
    sync = session.sync_session
    if sqlite_driver.inline_engine(sync.bind):
        return sync.connection()
    return (await session.connection()).sync_connection


def _processed(values: Any, procs: Positioned) -> tuple[Any, ...]:
    """`values` with each processor applied at its position (to values that are not NULL)."""
    out = list(values)
    for i, proc in procs:
        value = out[i]
        if value is not None:
            out[i] = proc(value)
    return tuple(out)


def _positions(procs: tuple[Processor, ...]) -> Positioned:
    return tuple((i, p) for i, p in enumerate(procs) if p is not None)


@dataclass(frozen=True)
class _Plan:
    stmt: Any  # kept so that the id used as the cache key is not reused while the plan is cached
    sql: str
    names: tuple[str, ...]
    binds: Positioned
    results: Positioned  # of the selected columns (a SELECT)
    values: Mapping[str, Any]  # of the parameters the statement was built with (`x == "literal"`)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = [params[n] if n in params else self.values[n] for n in self.names]
        return _processed(values, self.binds) if self.binds else tuple(values)

    def row(self, values: Any) -> Any:
        return _processed(values, self.results) if self.results else values


# Plans of the statements seen, most recently used last. The statements given here are built once
# (at import, or once per model): the bound only matters if a caller builds one per call, which
# then costs a compilation each time, as through SQLAlchemy, and never more memory than this.
PLAN_CACHE_SIZE = 256
_plans: OrderedDict[tuple[int, str, bool], _Plan] = OrderedDict()


def _plan(stmt: Any, dialect: Dialect, literal: bool = False) -> _Plan:
    """`literal`: the statement's values are written into its SQL (no parameters)."""
    key = (id(stmt), dialect.name, literal)
    plan = _plans.get(key)
    if plan is not None:  # the plan keeps its statement alive: the id is that statement's
        _plans.move_to_end(key)
    else:
        kwargs = {"compile_kwargs": {"literal_binds": True}} if literal else {}
        compiled = stmt.compile(dialect=dialect, **kwargs)
        names = () if literal else tuple(compiled.positiontup or ())
        binds = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
        columns = getattr(stmt, "selected_columns", ())
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        values = {n: compiled.binds[n].value for n in names if not compiled.binds[n].required}
        plan = _plans[key] = _Plan(
            stmt, str(compiled), names, _positions(binds), _positions(results), values
        )
        if len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def _wrapped(plan: _Plan, args: tuple[Any, ...], error: sqlite3.Error) -> exc.DBAPIError:
    return exc.DBAPIError.instance(plan.sql, args, error, sqlite3.Error)


def execute(conn: Connection, stmt: Executable, params: Mapping[str, Any]) -> None:
    """Run a write statement (built once, at import) with named parameters, inside SQLAlchemy's
    greenlet context (a session event hook, `run_sync`): a wait for SQLite's lock needs it."""
    raw = sqlite_connection(conn)
    if raw is None:
        conn.execute(stmt, dict(params))
        return
    plan = _plan(stmt, conn.dialect)
    args = plan.args(params)
    try:
        sqlite_driver.run_waiting(raw, plan.sql, args, False)
    except sqlite3.Error as error:
        raise _wrapped(plan, args, error) from error


async def rows(
    session: AsyncSession, stmt: Any, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """All rows of a SELECT (built once, at import), as tuples: for reads that return many rows, or
    run very often (the similar-initiative check), where SQLAlchemy's per-row work is most of the
    cost. Without `params`, the statement's values are written into its SQL. Elsewhere than on the
    inline driver the statement runs as Core on the session's connection (after the flush the
    session's own execute would do): no ORM loading of each row, which cost more than the rows."""
    conn = await connection(session)
    raw = sqlite_connection(conn)
    if raw is None:
        if session.sync_session.autoflush and (session.new or session.dirty or session.deleted):
            await session.flush()
        return [tuple(r) for r in (await (await session.connection()).execute(stmt, params)).all()]
    plan = _plan(stmt, conn.dialect, literal=params is None)
    args = plan.args(params) if params is not None else ()
    try:
        found = raw.execute(plan.sql, args).fetchall()
    except sqlite3.OperationalError:  # a read that meets a lock: SQLAlchemy's path waits as usual
        return [tuple(r) for r in (await session.execute(stmt, params)).all()]
    return [plan.row(r) for r in found] if plan.results else found


@dataclass(frozen=True)
class _Loader:
    mapper: Any
    stmt: Any
    keys: tuple[str, ...]  # attribute names, in the order of the selected columns


_loaders: dict[type, _Loader] = {}


def _mapped(model: type) -> tuple[Any, Table, Any]:
    """The model's mapper, table and (single-column) primary key."""
    mapper = inspect(model)
    table = mapper.local_table
    assert isinstance(table, Table)
    (pk,) = mapper.primary_key
    return mapper, table, pk


def _attach(sync: Session, mapper: Any, values: Any) -> Any:
    """An object of `mapper` with these (attribute, value) pairs, made the session's persistent
    object as if it had been loaded: nothing to flush."""
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    sync.add(obj)
    return obj


def _loader(model: type) -> _Loader:
    loader = _loaders.get(model)
    if loader is None:
        mapper, table, pk = _mapped(model)
        columns = list(table.columns)
        keys = tuple(mapper.get_property_by_column(c).key for c in columns)
        stmt = select(*columns).where(pk == bindparam("pk"))
        loader = _loaders[model] = _Loader(mapper, stmt, keys)
    return loader


async def get(session: AsyncSession, model: type[T], pk: Any) -> T | None:
    """`session.get(model, pk)` for a model of plain columns (no relationship loaded with it): the
    object is the session's own, persistent, and its changes are flushed as usual."""
    sync = session.sync_session
    loader = _loader(model)
    found = sync.identity_map.get(loader.mapper.identity_key_from_primary_key((pk,)))
    if found is not None:
        return found  # type: ignore[no-any-return]
    conn = await connection(session)
    raw = sqlite_connection(conn)
    if raw is None:
        return await session.get(model, pk)
    plan = _plan(loader.stmt, conn.dialect)
    try:
        row = raw.execute(plan.sql, plan.args({"pk": pk})).fetchone()
    except sqlite3.OperationalError:  # a read that meets a lock (SQLite recovering its log): wait as usual
        return await session.get(model, pk)
    if row is None:
        return None
    return _attach(sync, loader.mapper, zip(loader.keys, plan.row(row), strict=True))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Inserter:
    mapper: Any
    stmt: Any  # INSERT of every column but the primary key, RETURNING the primary key
    pk: str  # attribute name of the primary key
    columns: tuple[tuple[str, str, Any], ...]  # (attribute, column name, the column's Python default)


_inserters: dict[type, _Inserter] = {}


def _unsupported_default(column: Any) -> str | None:
    """Why a column's default cannot be known before the INSERT (None: it can)."""
    if column.server_default is not None:
        return "a server default"
    default = column.default
    if default is not None and not (default.is_scalar or default.is_callable):
        return "a SQL or sequence default"
    return None


def _inserter(model: type) -> _Inserter:
    found = _inserters.get(model)
    if found is None:
        mapper, table, pk = _mapped(model)
        columns = [c for c in table.columns if c is not pk]
        for column in columns:
            reason = _unsupported_default(column)
            if reason is not None:  # the object would not hold what the row holds
                raise TypeError(f"{model.__name__}.{column.key} has {reason}: use the ORM to add it")
        stmt = insert(table).values({c.name: bindparam(c.name) for c in columns}).returning(pk)
        found = _inserters[model] = _Inserter(
            mapper,
            stmt,
            mapper.get_property_by_column(pk).key,
            tuple((mapper.get_property_by_column(c).key, c.name, c.default) for c in columns),
        )
    return found


def _default(default: Any) -> Any:
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg


def add_new(sync: Session, model: type[T], **values: Any) -> T:
    """Insert one row of a model of plain columns now (the database gives its primary key) and
    return it as the session's persistent object, with nothing left to flush: what `session.add`
    and a flush do, without the unit of work's bookkeeping (about a millisecond for an initiative
    with its photo and first event). Columns not given take their Python defaults. Runs inside
    SQLAlchemy's greenlet context (`session.run_sync`): a wait for SQLite's lock needs it."""
    inserter = _inserter(model)
    unknown = set(values) - {attr for attr, _n, _d in inserter.columns}
    if unknown:
        raise TypeError(f"{model.__name__} has no column {sorted(unknown)}")
    row = {
        name: values[attr] if attr in values else _default(default) for attr, name, default in inserter.columns
    }
    conn = sync.connection()
    raw = sqlite_connection(conn)
    if raw is None:
        new_id = conn.execute(inserter.stmt, row).scalar_one()
    else:
        plan = _plan(inserter.stmt, conn.dialect)
        args = plan.args(row)
        try:
            new_id = sqlite_driver.run_waiting(raw, plan.sql, args, False)[1][0][0]  # type: ignore[index]
        except sqlite3.Error as error:
            raise _wrapped(plan, args, error) from error
    values = [(attr, row[name]) for attr, name, _default in inserter.columns]
    values.append((inserter.pk, new_id))
    return _attach(sync, inserter.mapper, values)  # type: ignore[no-any-return]
