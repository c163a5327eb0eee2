"""aiogram FSM storage in our database, so a half-filled form survives a crash and a restart.

While an update is being handled, the state is read and written through that update's session
(`update_session`), so the conversation state commits or rolls back together with the rest of
the update's work. Outside an update it uses short transactions of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peam_bot.storage.models import FsmRecord, utcnow

update_session: ContextVar[AsyncSession | None] = ContextVar("update_session", default=None)

_MISSING = object()


class DatabaseStorage(BaseStorage):
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], key_builder: KeyBuilder | None = None
    ) -> None:
        self.session_factory = session_factory
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _record(self, session: AsyncSession, key: str) -> FsmRecord | None:
        cache: dict[str, Any] = session.info.setdefault("fsm", {})
        rec = cache.get(key, _MISSING)
        if rec is _MISSING:
            rec = await session.get(FsmRecord, key)
            cache[key] = rec
        return rec  # type: ignore[return-value]

    async def _write(self, session: AsyncSession, key: str, values: dict[str, Any]) -> None:
        rec = await self._record(session, key)
        state = values["state"] if "state" in values else (rec.state if rec else None)
        data = values["data"] if "data" in values else (rec.data if rec else {})
        cache: dict[str, Any] = session.info["fsm"]
        if state is None and not data:
            if rec is not None:
                if rec in session.new:
                    session.expunge(rec)
                else:
                    await session.delete(rec)
            cache[key] = None
        elif rec is None:
            rec = FsmRecord(key=key, state=state, data=data, updated_at=utcnow())
            session.add(rec)
            cache[key] = rec
        else:
            rec.state, rec.data, rec.updated_at = state, data, utcnow()

    async def _update(self, key: StorageKey, **values: Any) -> None:
        k = self.key_builder.build(key)
        session = update_session.get()
        if session is not None:
            await self._write(session, k, values)
            return
        async with self.session_factory() as own, own.begin():
            await self._write(own, k, values)

    async def _read(self, key: StorageKey) -> FsmRecord | None:
        k = self.key_builder.build(key)
        session = update_session.get()
        if session is not None:
            return await self._record(session, k)
        async with self.session_factory() as own:
            return await own.get(FsmRecord, k)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._update(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        rec = await self._read(key)
        return rec.state if rec else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._update(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        rec = await self._read(key)
        return dict(rec.data) if rec and rec.data else {}

    async def close(self) -> None:
        return None
