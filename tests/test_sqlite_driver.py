"""The SQLite driver (statements run in the event loop.s thread) behaves as SQLAlchemy expects:
row counts, RETURNING, executemany, errors and rollbacks. Always on a SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from peam_bot.storage.db import WalCheckpointer, make_engine, make_session_factory, upgrade
from peam_bot.storage.models import CodeCounter, ProcessedUpdate, utcnow
from peam_bot.storage.sqlite_driver import inline_engine


async def test_statements_results_and_transactions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    assert inline_engine(engine.sync_engine)
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


async def test_a_writer_waits_for_the_lock_without_blocking_the_loop(tmp_path: Path) -> None:
    """Another connection (here: another process's, simulated with plain sqlite3) holds SQLite's
    write lock: our write waits for it asynchronously — the event loop keeps running — and goes
    through once the lock is released. No thread is started for the database."""
    import asyncio
    import sqlite3
    import threading

    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    sessions = make_session_factory(engine)
    threads_before = threading.active_count()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO processed_updates (update_id, created_at) VALUES (1, '2026-01-01')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    async def write() -> None:
        async with sessions() as s, s.begin():
            s.add(ProcessedUpdate(update_id=2, created_at=utcnow()))

    tick_task = asyncio.create_task(ticker())
    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.2)
        assert not writer.done()  # still waiting for the lock…
        assert ticks >= 10  # …while the loop went on
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
        async with sessions() as s:
            ids = (await s.execute(select(ProcessedUpdate.update_id))).scalars().all()
        assert sorted(ids) == [1, 2]
        assert threading.active_count() == threads_before
    finally:
        tick_task.cancel()
        other.close()
        await engine.dispose()


async def test_a_savepoint_writer_waits_for_the_lock_too(tmp_path: Path) -> None:
    """Supports and follows insert inside a SAVEPOINT (a double tap is an IntegrityError rolled back
    to it): when the lock is held elsewhere, that insert waits as well instead of failing."""
    import asyncio
    import sqlite3

    path = tmp_path / "busy-savepoint.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    sessions = make_session_factory(engine)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with sessions() as s:
            async with s.begin_nested():
                s.add(ProcessedUpdate(update_id=7, created_at=utcnow()))
            await s.commit()

    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.2)
        assert not writer.done()
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 5)
        async with sessions() as s:
            assert (await s.execute(select(ProcessedUpdate.update_id))).scalars().all() == [7]
    finally:
        other.close()
        await engine.dispose()


async def test_commits_leave_the_log_to_the_background_checkpointer(tmp_path: Path) -> None:
    """With background checkpoints, no commit copies the write-ahead log into the database (that
    copy, with its fsyncs, used to stall the event loop); the checkpointer does it, and truncates
    the log when it stops."""
    path = tmp_path / "wal.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=True)
    await upgrade(engine)
    checkpointer = WalCheckpointer.for_engine(engine)
    assert checkpointer is not None
    checkpointer.interval = 0.05
    wal = Path(f"{path}-wal")
    sessions = make_session_factory(engine)
    try:
        for i in range(1, 1501):  # one page or more per commit: well past SQLite's 1 000-page trigger
            async with sessions() as s, s.begin():
                s.add(ProcessedUpdate(update_id=i, created_at=utcnow()))
        size_before = path.stat().st_size
        assert wal.stat().st_size > 1500 * 4096  # nothing was copied back at any commit
        checkpointer.start()
        async with asyncio.timeout(10):
            while path.stat().st_size == size_before:  # the rows reach the database file
                await asyncio.sleep(0.05)
        await checkpointer.stop()
        assert wal.stat().st_size == 0
        async with sessions() as s:
            assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one() == 1500
    finally:
        await checkpointer.stop()
        await engine.dispose()


async def test_an_update_waits_for_a_lock_held_elsewhere_then_commits(
    start_app: Any, tg: Any, tmp_path: Path
) -> None:
    """Another process (a command-line tool) holds SQLite's write lock: the update's commit waits
    for it without blocking the bot, and its reply goes out only once what it confirms is stored
    (the form's step and the update id): a reply never runs ahead of its commit."""
    import sqlite3

    from peam_bot.emulator.client import User
    from tests.conftest import onboard

    path = tmp_path / "locked.db"
    app = await start_app(database_url=f"sqlite+aiosqlite:///{path}")
    rosa = User(tg, 700_101, "Rosa", "es")
    await onboard(rosa)
    started = await rosa.send("/proponer")
    await rosa.replies(1)
    assert await app.wait_handled(started)  # (her next update waits for this one: one at a time)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        before = tg.message_count(rosa.chat_id)
        update_id = await rosa.send("Vereda nueva en la calle Misti")
        await asyncio.sleep(0.3)
        assert tg.message_count(rosa.chat_id) == before  # the commit waits for the lock, the reply for it
        assert not await app.wait_handled(update_id, timeout=0.05)
    finally:
        other.execute("COMMIT")
    try:
        (step,) = await rosa.replies(1)
        assert "Paso 2 de 7" in step.plain
        stored = other.execute(
            "SELECT state FROM fsm_states WHERE key LIKE ?", (f"%:{rosa.user_id}:{rosa.user_id}:%",)
        ).fetchall()
        assert stored == [("Propose:description",)]  # already stored when the reply arrived
        assert other.execute("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)).fetchall()
        assert await app.wait_handled(update_id, timeout=5)
    finally:
        other.close()
