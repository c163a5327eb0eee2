"""What the similar-initiative check's read of the candidates costs with many initiatives stored.

    python -m bench.similar [--database URL] [--initiatives 5000] [--calls 200]

Seeds N initiatives (random Spanish words, 70% with a place in Arequipa) through the ORM, then times
`similar_candidates` in a new session per call, as an update calls it: when nothing changed since the
last call (`unchanged`), when one initiative was sent since (`one_new`, the usual case on Enviar) and
when one changed status (`status_changed`: the candidates are built again from the kept texts). The
first call of the process (`first_ms`, every text read) and the ranking of one draft against the
candidates (`rank_*`, `rank_similar`) are given for comparison. The garbage collector is set as the
bot sets it (`App.freeze_startup_objects`) after the first call. Without `--database`, a SQLite file
in a temp directory; a PostgreSQL URL must name a scratch database: its `public` schema is dropped and
created again. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text, update

from bench.common import VOCABULARY, description_words, percentile, title_words
from peam_bot.services import initiatives
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.models import Initiative, User, utcnow
from peam_bot.storage.reference_data import METROPOLITAN_DISTRICTS, THEMES
from peam_bot.telegram.app import App


def new_initiative(n: int, rng: random.Random) -> Initiative:
    title, description = title_words(rng, VOCABULARY), description_words(rng, VOCABULARY)
    located = rng.random() < 0.7
    return Initiative(
        code=f"INI-2026-{n:05d}",
        author_id=1,
        title=title,
        description=description,
        district=rng.choice(METROPOLITAN_DISTRICTS)[0],
        theme=rng.choice(THEMES)[0],
        latitude=-16.4 + rng.uniform(-0.05, 0.05) if located else None,
        longitude=-71.53 + rng.uniform(-0.05, 0.05) if located else None,
        search_text=initiatives.search_text(title, description),
    )


def summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(times), 3), "p99_ms": round(percentile(times, 0.99), 3)}


async def run(url: str, count: int, calls: int, seed: int) -> dict[str, Any]:
    if url.startswith("postgresql"):
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    rng = random.Random(seed)
    async with sessions() as s, s.begin():
        s.add(User(id=1, consent_at=utcnow(), consent_version="bench"))
        await s.flush()
        s.add_all(new_initiative(n + 1, rng) for n in range(count))
    next_number = count + 1

    async def check() -> float:
        async with sessions() as s:
            t0 = time.perf_counter()
            await initiatives.similar_candidates(s)
            return (time.perf_counter() - t0) * 1000

    async def timed(change: Callable[[], Awaitable[None]] | None) -> list[float]:
        out = []
        for _ in range(calls):
            if change is not None:
                await change()
            out.append(await check())
        return out

    async def send_one() -> None:
        nonlocal next_number
        async with sessions() as s, s.begin():
            s.add(new_initiative(next_number, rng))
        next_number += 1

    statuses = ("recibida", "en_revision", "aceptada")

    async def change_status() -> None:
        async with sessions() as s, s.begin():
            await s.execute(
                update(Initiative)
                .where(Initiative.id == rng.randint(1, count))
                .values(status=rng.choice(statuses))
            )

    first = await check()
    App.freeze_startup_objects()  # the bot's own garbage-collector settings
    unchanged = await timed(None)
    one_new = await timed(send_one)
    status_changed = await timed(change_status)
    ranks = []
    async with sessions() as s:
        candidates = await initiatives.similar_candidates(s)
    for _ in range(calls):
        draft = initiatives.Draft(
            title=title_words(rng, VOCABULARY),
            description=description_words(rng, VOCABULARY),
            latitude=-16.4 + rng.uniform(-0.05, 0.05),
            longitude=-71.53 + rng.uniform(-0.05, 0.05),
        )
        t0 = time.perf_counter()
        initiatives.rank_similar(candidates, draft)
        ranks.append((time.perf_counter() - t0) * 1000)
    dialect = engine.dialect.name
    await engine.dispose()
    return {
        "database": dialect,
        "initiatives": count,
        "candidates": len(candidates),
        "calls": calls,
        "first_ms": round(first, 3),
        "unchanged": summary(unchanged),
        "one_new": summary(one_new),
        "status_changed": summary(status_changed),
        "rank": summary(ranks),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.similar", description=__doc__.splitlines()[0])
    p.add_argument("--database", help="SQLAlchemy URL (default: a SQLite file in a temp directory)")
    p.add_argument("--initiatives", type=int, default=5000)
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite+aiosqlite:///{Path(tmp) / 'similar.db'}"
        result = asyncio.run(run(url, args.initiatives, args.calls, args.seed))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
