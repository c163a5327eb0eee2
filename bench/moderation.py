"""How long the moderators' queue (/cola) takes to build with many pending initiatives.

`python -m bench.moderation [--pending 5000]` seeds a SQLite file with pending initiatives whose
texts share one small vocabulary (the worst case for the similar-count column: every initiative
looks like many others), then times building a page of the queue (5 items, each with how many
similar initiatives exist) and the queue's district/theme facets. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from peam_bot.services.moderation import queue
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.models import Initiative, User, utcnow
from peam_bot.storage.reference_data import METROPOLITAN_DISTRICTS, THEMES

WORDS = (
    "agua parque pista vereda semáforo colegio mercado puente río limpieza basura seguridad luz "
    "posta salud bus ruta ciclovía árboles losa deportiva canal riego plaza mirador huaico"
).split()


async def run(pending: int, repeats: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'queue.db'}")
        await upgrade(engine)
        sessions = make_session_factory(engine)
        rnd = random.Random(1)
        async with sessions() as s, s.begin():
            s.add(User(id=1, consent_at=utcnow(), consent_version="bench"))
            await s.flush()
            for i in range(pending):
                title = " ".join(rnd.choices(WORDS, k=5))
                desc = " ".join(rnd.choices(WORDS, k=25))
                s.add(
                    Initiative(
                        code=f"INI-2026-{i + 1:05d}",
                        author_id=1,
                        title=title,
                        description=desc,
                        district=rnd.choice(METROPOLITAN_DISTRICTS)[0],
                        theme=rnd.choice(THEMES)[0],
                        search_text=f"{title}\n{desc}",
                    )
                )
        pages, facets = [], []
        async with sessions() as s:
            for n in range(repeats):
                t0 = time.perf_counter()
                await queue.pending(s, page=n % 10)
                t1 = time.perf_counter()
                await queue.facets(s)
                t2 = time.perf_counter()
                pages.append((t1 - t0) * 1000)
                facets.append((t2 - t1) * 1000)
        await engine.dispose()
    return {
        "pending": pending,
        "queue_page_p50_ms": round(statistics.median(pages), 1),
        "queue_page_max_ms": round(max(pages), 1),
        "facets_p50_ms": round(statistics.median(facets), 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.moderation", description=__doc__.splitlines()[0])
    p.add_argument("--pending", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args()
    print(json.dumps(asyncio.run(run(args.pending, args.repeats))))


if __name__ == "__main__":
    main()
