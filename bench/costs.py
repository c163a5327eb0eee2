"""What one update costs the bot, piece by piece (CPU time of this process, sequential calls).

`python -m bench.costs` prints one JSON line:

* `api_call_ms` – one `sendMessage` through the bot's aiogram session to the emulator (which runs in
  its own process, so only the bot's side is counted);
* `db_update_pattern_ms` – what every update does to the database: open a session, load the
  resident (ORM), insert the update id and upsert the conversation state (Core statements on the
  session's connection, as the middleware and the FSM storage do), commit;
* `db_hot_pattern_ms` – the same, as the bot does it now: the resident loaded and the update id and
  state written on the session's own SQLite connection (`peam_bot/storage/hot.py`), committed and
  the session closed in place as the middleware does it;
* `db_core_pattern_ms` – the same statements through SQLAlchemy Core on one connection;
* `db_raw_aiosqlite_ms` – the same statements on a bare aiosqlite connection, for comparison (each
  statement a trip to aiosqlite's thread; the bot runs them in the event loop's thread instead,
  `peam_bot/storage/sqlite_driver.py`);
* `db_raw_select_ms` – one `SELECT 1` on a bare aiosqlite connection (one trip to its thread).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from peam_bot.config import Settings
from peam_bot.services import users
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.fsm import DatabaseStorage, update_session
from peam_bot.storage.models import FsmRecord, ProcessedUpdate, User, utcnow
from peam_bot.storage.transactions import UpdateCommitter, close_update_session, defer
from peam_bot.telegram.client import create_bot
from peam_bot.telegram.middlewares import UPDATE_ID

TOKEN = "123456:COSTS"
EMULATOR = f"""
import asyncio
from peam_bot.emulator.server import FakeTelegram, Limits
async def main():
    tg = FakeTelegram(token={TOKEN!r}, limits=Limits(enforce_rates=False))
    print(await tg.start(), flush=True)
    tg.register_user(5, "Ana")
    await asyncio.Event().wait()
asyncio.run(main())
"""


async def cpu_ms(fn: Callable[[], Awaitable[object]], n: int) -> float:
    for _ in range(max(10, n // 10)):
        await fn()
    start = time.process_time()
    for _ in range(n):
        await fn()
    return round((time.process_time() - start) * 1000 / n, 3)


async def api_cost(n: int) -> float:
    proc = subprocess.Popen([sys.executable, "-c", EMULATOR], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        settings = Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=url)  # type: ignore[call-arg]
        bot = create_bot(settings)
        try:
            return await cpu_ms(lambda: bot.send_message(5, "Hola <b>Ana</b>"), n)
        finally:
            await bot.session.close()
    finally:
        proc.kill()
        proc.wait()


async def db_costs(n: int, workdir: Path) -> dict[str, float]:
    path = workdir / "costs.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    sessions = make_session_factory(engine, autoflush=False)
    async with sessions() as s, s.begin():
        s.add(User(id=1, consent_at=utcnow(), consent_version="bench"))
    counter = [0]

    def next_id() -> int:
        counter[0] += 1
        return counter[0]

    def fsm_upsert(update_id: int):  # type: ignore[no-untyped-def]
        stmt = sqlite_insert(FsmRecord.__table__).values(
            key=f"k{update_id % 50}", state="Propose:title", data={"draft": {}}, updated_at=utcnow()
        )
        return stmt.on_conflict_do_update(index_elements=["key"], set_={"state": stmt.excluded.state})

    async def orm() -> None:
        uid = next_id()
        async with sessions() as s:
            await s.get(User, 1)
            conn = await s.connection()
            await conn.execute(insert(ProcessedUpdate.__table__).values(update_id=uid, created_at=utcnow()))
            await conn.execute(fsm_upsert(uid))
            await s.commit()

    async def core() -> None:
        uid = next_id()
        async with engine.connect() as conn:
            await conn.execute(select(User.__table__).where(User.id == 1))
            await conn.execute(insert(ProcessedUpdate.__table__).values(update_id=uid, created_at=utcnow()))
            await conn.execute(fsm_upsert(uid))
            await conn.commit()

    draft = {"draft": {}}

    committer = UpdateCommitter(serialize=True)

    storage = DatabaseStorage(sessions)

    async def hot_path() -> None:
        uid = next_id()
        s = sessions()
        token = update_session.set(s)
        try:
            await users.get(s, 1)
            s.info[UPDATE_ID] = uid  # written by the middleware's commit hook, as for every update
            defer(s)
            key = StorageKey(bot_id=1, chat_id=uid % 50, user_id=uid % 50)
            await storage.set_data(key, draft)  # written by the storage's commit hook
            await committer.commit(s)  # the commit exactly as the middleware makes it
        finally:
            update_session.reset(token)
            await close_update_session(s)  # as the middleware closes it

    out = {
        "db_update_pattern_ms": await cpu_ms(orm, n),
        "db_hot_pattern_ms": await cpu_ms(hot_path, n),
        "db_core_pattern_ms": await cpu_ms(core, n),
    }
    await storage.close()
    await engine.dispose()
    db = await aiosqlite.connect(path)
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")

        async def raw() -> None:
            uid = next_id()
            async with db.execute("SELECT * FROM users WHERE id = 1") as cur:
                await cur.fetchall()
            await db.execute(
                "INSERT INTO processed_updates (update_id, created_at) VALUES (?, ?)", (uid, "2026-11-25")
            )
            await db.execute(
                "INSERT INTO fsm_states (key, state, data, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET state = excluded.state",
                (f"k{uid % 50}", "Propose:title", '{"draft": {}}', "2026-11-25"),
            )
            await db.commit()

        async def one_select() -> None:
            async with db.execute("SELECT 1") as cur:
                await cur.fetchall()

        out["db_raw_aiosqlite_ms"] = await cpu_ms(raw, n)
        out["db_raw_select_ms"] = await cpu_ms(one_select, n)
    finally:
        await db.close()
    return out


async def main_async(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        result = {"api_call_ms": await api_cost(n)}
        result.update(await db_costs(n, Path(tmp)))
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(json.dumps(asyncio.run(main_async(n))))


if __name__ == "__main__":
    main()
