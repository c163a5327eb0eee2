"""aiogram FSM storage in our database, so a half-filled form survives a crash and a restart.

While an update is being handled, state changes are collected on that update's session and written
in its transaction (just before its commit), so the conversation state commits or rolls back together
with the rest of the update's work. Committed states are also kept in memory, so reading a state does
not cost a database round trip; the database stays the truth after a restart. This storage belongs
to one bot process (with several processes, use Redis: PEAM_REDIS_URL).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from peam_bot.storage import hot, transactions
from peam_bot.storage.models import FsmRecord, utcnow

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)

Entry = tuple[str | None, dict[str, Any]]
PENDING = "fsm_pending"


_DELETE = delete(FsmRecord).where(FsmRecord.key == bindparam("key"))


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT UPDATE of one state, built once per dialect (building the statement
    anew for every update cost more than running it)."""
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(FsmRecord)
    return stmt.on_conflict_do_update(
        index_elements=[FsmRecord.key],
        set_={
            "state": stmt.excluded.state,
            "data": stmt.excluded.data,
            "updated_at": stmt.excluded.updated_at,
        },
    )


class DatabaseStorage(BaseStorage):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
        cache_size: int = 100_000,
    ) -> None:
        self.session_factory = session_factory
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Entry] = OrderedDict()
        self._pending_key = f"{PENDING}:{id(self)}"
        self._keys: dict[StorageKey, str] = {}  # built keys: a handler reads the state several times
        self._notes: dict[str, dict[str, Any]] = {}  # memory-only values (see `note`), by built key
        self._listen()

    def _key(self, key: StorageKey) -> str:
        built = self._keys.get(key)
        if built is None:
            if len(self._keys) >= self.cache_size:
                self._keys.clear()
            built = self._keys[key] = self.key_builder.build(key)
        return built

    # --- memory cache of committed states -----------------------------------------------------------
    def _remember(self, key: str, entry: Entry) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def _committed(self, key: str) -> Entry:
        entry = self._cache.get(key)
        if entry is None:
            async with self.session_factory() as own:
                row = (
                    await own.execute(select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key))
                ).first()
            entry = (row.state, dict(row.data or {})) if row else (None, {})
            self._remember(key, entry)
        return entry

    # --- writes, inside an update or on their own ---------------------------------------------------
    # The hooks are registered once, on the Session class, and act only on sessions that carry this
    # storage's pending states (registering them on each update's session cost more than the rest of
    # the storage's work).
    def _listen(self) -> None:
        event.listen(Session, "before_commit", self._flush_pending)
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_rollback", self._after_rollback)

    def _unlisten(self) -> None:
        for name, fn in (
            ("before_commit", self._flush_pending),
            ("after_commit", self._after_commit),
            ("after_rollback", self._after_rollback),
        ):
            if event.contains(Session, name, fn):
                event.remove(Session, name, fn)

    def _pending_of(self, session: AsyncSession) -> dict[str, Entry]:
        pending: dict[str, Entry] = session.info.setdefault(self._pending_key, {})
        return pending

    def _flush_pending(self, sync: Session) -> None:
        pending: dict[str, Entry] | None = sync.info.get(self._pending_key)
        if not pending:
            return
        conn = sync.connection()
        now = utcnow()
        for key, (state, data) in pending.items():
            if state is None and not data:
                hot.execute(conn, _DELETE, {"key": key})
            else:
                hot.execute(
                    conn,
                    _upsert(conn.dialect.name),
                    {"key": key, "state": state, "data": data, "updated_at": now},
                )

    def _after_commit(self, sync: Session) -> None:
        for key, entry in (sync.info.pop(self._pending_key, None) or {}).items():
            self._remember(key, entry)

    def _after_rollback(self, sync: Session) -> None:
        sync.info.pop(self._pending_key, None)

    async def _update(self, key: StorageKey, **values: Any) -> None:
        k = self._key(key)
        session = update_session.get()
        if session is not None:
            pending = self._pending_of(session)
            state, data = pending[k] if k in pending else await self._committed(k)
        else:
            state, data = await self._committed(k)
        new_data = dict(values.get("data", data))
        notes = self._notes.get(k)
        if notes:
            if "data" in values:  # noted values stay in memory only (a newer one given here replaces them)
                for name in list(notes):
                    if name in new_data:
                        notes[name] = new_data.pop(name)
                    else:
                        del notes[name]  # the data was replaced without it
            if not notes or (values.get("state", state) is None and not new_data):
                self._notes.pop(k, None)  # the conversation ended
        entry: Entry = (values.get("state", state), new_data)
        if session is not None:
            pending[k] = entry
            transactions.defer(session)  # written by _flush_pending at the commit
            return
        async with self.session_factory() as own, own.begin():
            self._pending_of(own)[k] = entry

    async def note(self, key: StorageKey, values: Mapping[str, Any]) -> None:
        """Keep `values` with the conversation's data in this process's memory only, never written:
        for details the bot can do without after a restart (the message id of the last question it
        asked). Noting costs no write, so a handler that has answered commits nothing more and its
        update commits once; after a restart the values are simply absent."""
        k = self._key(key)
        self._notes.setdefault(k, {}).update(values)
        while len(self._notes) > self.cache_size:
            self._notes.pop(next(iter(self._notes)))

    async def _read(self, key: StorageKey) -> Entry:
        k = self._key(key)
        session = update_session.get()
        pending = session.info.get(self._pending_key) if session is not None else None
        entry = pending[k] if pending and k in pending else await self._committed(k)
        notes = self._notes.get(k)
        return (entry[0], {**entry[1], **notes}) if notes else entry

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._update(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._update(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._read(key))[1])

    async def close(self) -> None:
        self._unlisten()


async def note_data(state: FSMContext, values: Mapping[str, Any]) -> None:
    """`DatabaseStorage.note` where the conversation lives in the database; elsewhere (Redis, whose
    writes are not part of the update's transaction) an ordinary update of the data."""
    if isinstance(state.storage, DatabaseStorage):
        await state.storage.note(state.key, values)
    else:
        await state.update_data(dict(values))
