"""An update's transaction: what it wrote, how it commits, and the rule that no transaction is held
across a call to Telegram.

**The rule.** While an update is handled, everything it has done so far — its writes, its
conversation state, its update id — is committed before each Bot API call the bot makes for it
(:func:`commit_before_call`, run by a request middleware on the bot's session: see
`peam_bot.telegram.client`). A reply therefore never confirms what is not yet stored, and SQLite's
single write lock (or PostgreSQL's row locks) is never held while the bot waits for Telegram. It is
the design, not a habit each handler must keep: a handler that writes and then answers gets the
commit in between whatever it does. What the update does after its last call commits at its end, as
before (`DbSessionMiddleware`).

**Committing.** `UpdateCommitter.commit` is the one commit path of an update's session. On SQLite
commits queue in arrival order (one writer at a time; see `sqlite_driver`), except a transaction that
already holds the write lock, which commits at once (the holder of the queue may be waiting for that
very lock). With the fast SQLite driver, a transaction that has not written yet first takes the write
lock (`BEGIN IMMEDIATE`, waiting without blocking the loop) and then commits without a trip through
SQLAlchemy's greenlet: after the lock nothing in it can wait.

**Writes.** :func:`wrote` tells whether the session's transaction holds writes of its own: on SQLite
the driver's own flag (SQLite opens its transaction at the first write), elsewhere a flag set on the
connection by every INSERT, UPDATE or DELETE that SQLAlchemy executes, cleared at commit and rollback.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from peam_bot.storage import hot, sqlite_driver

DEFERRED = "commit_deferred"  # session.info: work that is written at the commit (state, update id)
_WROTE = "peam_wrote"  # Connection.info: this transaction executed a write
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE", "CREATE", "DROP", "ALTER")


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(
    conn: Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        conn.info[_WROTE] = True
    elif statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):  # textual SQL
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn: Connection) -> None:
    if conn.invalidated or conn.closed:
        return  # its DBAPI connection is gone: a new one starts without the flag
    try:
        conn.info.pop(_WROTE, None)
    except exc.PendingRollbackError:  # the rollback of an invalidated transaction, under way
        pass


@event.listens_for(Pool, "reset")
def _forget_writes_on_reset(_dbapi_conn: Any, record: Any, _reset_state: Any) -> None:
    record.info.pop(_WROTE, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _nothing_deferred(sync: Session) -> None:
    sync.info.pop(DEFERRED, None)


def defer(session: AsyncSession | Session) -> None:
    """Something will be written at the session's commit (a before_commit hook writes it)."""
    session.info[DEFERRED] = True


def connection_wrote(conn: Connection) -> bool:
    """The connection's transaction holds writes of its own (True when it cannot tell)."""
    if conn.dialect.name == "sqlite":
        return bool(getattr(conn.connection.driver_connection, "in_transaction", True))
    return bool(conn.info.get(_WROTE))


async def wrote(session: AsyncSession) -> bool:
    """The session's transaction holds writes of its own, not yet committed (opening the session's
    transaction if it had none: then it has not written)."""
    return connection_wrote(await hot.connection(session))


def has_work(session: AsyncSession) -> bool:
    """Committing the session now would do something: an open transaction, objects to flush, or
    work deferred to the commit."""
    sync = session.sync_session
    return bool(
        sync.in_transaction() or sync.new or sync.dirty or sync.deleted or sync.info.get(DEFERRED)
    )


def _will_write(sync: Session) -> bool:
    """Committing will write: objects to flush, or work deferred to the commit."""
    return bool(sync.new or sync.dirty or sync.deleted or sync.info.get(DEFERRED))


class UpdateCommitter:
    """The commit of an update's session (see the module's docstring); `on_commit` runs after a
    commit that queued outbox rows (it wakes the outbox worker)."""

    def __init__(self, serialize: bool, on_commit: Any = None) -> None:
        # SQLite has one writer at a time, and a writer that finds the database busy pauses and
        # retries (storage/sqlite_driver.run_waiting): under load some updates could lose that race
        # again and again. Queuing the commits here, in arrival order, is fair and never polls.
        self._lock: asyncio.Lock | None = asyncio.Lock() if serialize else None
        self.on_commit = on_commit or (lambda: None)

    async def commit(self, session: AsyncSession) -> None:
        if not has_work(session):
            return
        sync = session.sync_session
        if sqlite_driver.inline_engine(sync.bind):
            raw = hot.sqlite_connection(sync.connection())
            if raw is not None and not raw.in_transaction and not _will_write(sync):
                sync.commit()  # only reads since the last commit: nothing to write, no lock to take
            elif raw is not None and not raw.in_transaction:
                # Nothing written yet: take SQLite's write lock first (waiting without blocking the
                # loop), after which the commit cannot meet it and runs here, without a trip through
                # SQLAlchemy's greenlet.
                async with self._lock or nullcontext():
                    await sqlite_driver.begin_immediate(raw)
                    sync.commit()
            else:
                await session.commit()  # the handler wrote and holds the lock: no queueing
        else:
            queue = self._lock is not None and not await wrote(session)
            async with self._lock if queue else nullcontext():
                await session.commit()
        if session.info.pop("outbox_dirty", False):
            self.on_commit()


class _Current:
    __slots__ = ("session", "committer", "lock")

    def __init__(self, session: AsyncSession, committer: UpdateCommitter) -> None:
        self.session = session
        self.committer = committer
        self.lock = asyncio.Lock()  # a handler may make two calls at once (an answer and an edit)


_current: ContextVar[_Current | None] = ContextVar("update_transaction", default=None)


def handling(session: AsyncSession, committer: UpdateCommitter) -> Any:
    """Mark `session` as the update being handled in this context (returns the token to reset)."""
    return _current.set(_Current(session, committer))


def done_handling(token: Any) -> None:
    _current.reset(token)


async def commit_before_call() -> None:
    """Commit what the update handled in this context has done so far (nothing outside an update).
    Calls made at once wait for one commit; the others then find nothing left to commit."""
    current = _current.get()
    if current is not None and has_work(current.session):
        async with current.lock:
            await current.committer.commit(current.session)


async def close_update_session(session: AsyncSession) -> None:
    """Close an update's session. After its commit or rollback it holds no connection, and closing
    it is only forgetting its objects: done without a trip through SQLAlchemy's greenlet."""
    if session.sync_session.in_transaction():
        await session.close()
    else:
        session.sync_session.close()
