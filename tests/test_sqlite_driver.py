"""The SQLite driver (one trip to aiosqlite's thread per statement) behaves as SQLAlchemy expects:
row counts, RETURNING, executemany, errors and rollbacks. Always on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.models import CodeCounter, ProcessedUpdate, utcnow
from peam_bot.storage.sqlite_driver import OneTripDBAPI


async def test_statements_results_and_transactions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    assert isinstance(engine.dialect.dbapi, OneTripDBAPI)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    try:
        async with sessions() as s, s.begin():
            # executemany (the ORM's bulk insert) and a multi-row SELECT
            s.add_all([ProcessedUpdate(update_id=i, created_at=utcnow()) for i in range(1, 251)])
            await s.flush()
            ids = (
                await s.execute(select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id))
            ).scalars()
            assert list(ids) == list(range(1, 251))
            # RETURNING and the row count of an UPDATE (the moderation's compare-and-set relies on it)
            await s.execute(insert(CodeCounter).values(name="x", value=1))
            stmt = update(CodeCounter).where(CodeCounter.name == "x").values(value=CodeCounter.value + 1)
            assert (await s.execute(stmt.returning(CodeCounter.value))).scalar_one() == 2
            assert (await s.execute(stmt.where(CodeCounter.value == 99))).rowcount == 0
            assert (await s.execute(stmt.where(CodeCounter.value == 2))).rowcount == 1
        with pytest.raises(IntegrityError):
            async with sessions() as s, s.begin():
                await s.execute(insert(ProcessedUpdate).values(update_id=300, created_at=utcnow()))
                await s.execute(insert(ProcessedUpdate).values(update_id=1, created_at=utcnow()))
        async with sessions() as s:  # the failed transaction left nothing behind
            assert await s.scalar(select(func.count()).select_from(ProcessedUpdate)) == 250
            assert (await s.execute(text("SELECT value FROM code_counters"))).scalar_one() == 3
    finally:
        await engine.dispose()
