"""The statements every update runs (storage/hot.py) read and write what SQLAlchemy's own path does:
on SQLite they run on the raw connection, on PostgreSQL through SQLAlchemy; both are checked here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from peam_bot.storage import hot
from peam_bot.storage.models import ProcessedUpdate, User

BLOCKED = datetime(2026, 11, 30, 15, 4, 5, 123456, tzinfo=UTC)
_INSERT = insert(ProcessedUpdate)


async def test_loaded_resident_is_as_the_orm_wrote_it(session_factory: Any) -> None:
    written = dict(
        id=77, locale="en", district="cayma", consent_at=BLOCKED, consent_version="v",
        blocked_at=BLOCKED, blocked_reason="spam <b>",
    )  # fmt: skip
    async with session_factory() as s, s.begin():
        s.add(User(**written))
    async with session_factory() as s:
        fast = await hot.get(s, User, 77)
        assert fast is not None
        assert await hot.get(s, User, 77) is fast  # the identity map answers a second time
        assert await s.get(User, 77) is fast
    # the columns written, as written (on PostgreSQL too, where `hot.get` is the ORM's own path), and
    # the ones left to their defaults as the ORM's own read gives them
    rest = [c for c in User.__table__.columns if c.key not in written]
    async with session_factory() as s:
        fast = await hot.get(s, User, 77)
        assert fast is not None
        assert {k: getattr(fast, k) for k in written} == written
        assert fast.blocked_at.tzinfo is not None
        for column in rest:
            value, default = getattr(fast, column.key), column.default
            if default is None:
                assert value is None, column.key
            elif default.is_callable:  # a time: the moment it was written
                assert value is not None and value.tzinfo is not None, column.key
            else:
                assert value == default.arg, column.key
        assert await hot.get(s, User, 78) is None
        fast.district = "yura"  # a change to the loaded object is flushed at commit
        fast.blocked_at = None
        await s.commit()
    async with session_factory() as s:
        again = await s.get(User, 77)
        assert again is not None and again.district == "yura" and again.blocked_at is None
        assert again.blocked_reason == "spam <b>"


async def test_writes_commit_and_roll_back_with_the_session(session_factory: Any) -> None:
    now = datetime.now(UTC)
    async with session_factory() as s:
        conn = await s.connection()
        await conn.run_sync(lambda c: hot.execute(c, _INSERT, {"update_id": 1, "created_at": now}))
        await s.rollback()
    async with session_factory() as s:
        conn = await s.connection()
        await conn.run_sync(lambda c: hot.execute(c, _INSERT, {"update_id": 2, "created_at": now}))
        await s.commit()
    async with session_factory() as s:
        rows = (await s.execute(select(ProcessedUpdate))).scalars().all()
        assert [(r.update_id, r.created_at) for r in rows] == [(2, now)]
    with pytest.raises(IntegrityError):  # errors come as SQLAlchemy raises them
        async with session_factory() as s:
            conn = await s.connection()
            await conn.run_sync(lambda c: hot.execute(c, _INSERT, {"update_id": 2, "created_at": now}))
    async with session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1


async def test_rows_read_what_sqlalchemy_reads(session_factory: Any) -> None:
    stmt = (
        select(User.id, User.locale, User.blocked_at)
        .where(User.locale.notin_(("qu",)), User.id > 10)
        .order_by(User.id)
    )
    async with session_factory() as s, s.begin():
        for i, locale in ((11, "es"), (12, "qu"), (13, "en"), (5, "es")):
            s.add(User(id=i, locale=locale, consent_at=BLOCKED, consent_version="v", blocked_at=BLOCKED))
    async with session_factory() as s:
        fast = await hot.rows(s, stmt)
        slow = [tuple(r) for r in (await s.execute(stmt)).all()]
    assert fast == slow == [(11, "es", BLOCKED), (13, "en", BLOCKED)]


async def test_added_row_is_the_sessions_own_and_as_stored(session_factory: Any) -> None:
    from peam_bot.storage.models import Initiative

    async with session_factory() as s, s.begin():
        s.add(User(id=5, locale="es", consent_at=BLOCKED, consent_version="v"))
    async with session_factory() as s:

        def write(sync: Any) -> Initiative:
            return hot.add_new(
                sync, Initiative, code="INI-2026-00001", author_id=5, title="Vereda <b>nueva</b>",
                description="Arreglar la vereda de la calle", district="cayma", theme="ambiente",
                latitude=-16.39, search_text="vereda nueva", created_at=BLOCKED, updated_at=BLOCKED,
            )  # fmt: skip

        ini = await s.run_sync(write)
        assert ini in s and not s.new and not s.dirty  # persistent, nothing left to flush
        assert (ini.status, ini.supports, ini.hidden, ini.version, ini.longitude) == ("recibida", 0, False, 0, None)
        with pytest.raises(TypeError, match="colour"):
            await s.run_sync(lambda sync: hot.add_new(sync, Initiative, colour="red"))
        await s.commit()
    async with session_factory() as s:
        stored = await s.get(Initiative, ini.id)
        assert stored is not None
        for column in Initiative.__table__.columns:
            assert getattr(stored, column.key) == getattr(ini, column.key), column.key
