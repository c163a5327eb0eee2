"""`python -m bench.checkin`: the door of a taller. `--attendees` registered residents check in by
scanning the screen's QR (the deep link `/start ci_…`), planned evenly over `--duration` seconds, a
tenth of them scanning twice, while `--browsers` other residents look at /talleres and event cards.
Prints one JSON line: `checked_in`, `lost` (attendees not marked present or never answered: 0),
`doubled` (a second row or a second "present" for one attendee: 0), `p50_ms` / `p99_ms` of a scan's
answer, and the browsers' figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import TOKEN
from bench.event_load import (
    FIRST_RESIDENT,
    Timings,
    act,
    button_data,
    event_values,
    open_loop,
    seed,
    start_bot,
)
from peam_bot.emulator.client import User
from peam_bot.services import checkin
from peam_bot.storage.db import make_engine, make_session_factory
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import utcnow


async def register_all(db_url: str, attendees: int) -> None:
    engine = make_engine(db_url)
    async with make_session_factory(engine)() as s, s.begin():
        now = utcnow()
        await s.execute(insert(Registration), [
            {"event_id": 1, "user_id": FIRST_RESIDENT + i, "status": "inscrito", "ticket": f"T{i:05d}",
             "attendee_name": f"Vecino {i}", "created_at": now}
            for i in range(attendees)
        ])  # fmt: skip
        event = await s.get(Event, 1)
        assert event is not None
        event.registered = attendees
    await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="peam-bench-checkin-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{workdir / 'checkin.db'}"
        now = utcnow()
        await seed(db_url, args.attendees + args.browsers, [
            event_values(now - timedelta(minutes=5), args.attendees, "Taller de planificación"),
            event_values(now + timedelta(days=2), 50, "Presentación pública"),
        ])  # fmt: skip
        await register_all(db_url, args.attendees)
        tg, proc = await start_bot(workdir, db_url)
        scans, browsing = Timings(), Timings()
        answers: dict[int, list[str]] = {}
        secret = checkin.secret_from(TOKEN)
        try:
            async def scan(i: int) -> None:
                user = User(tg, FIRST_RESIDENT + i, f"Vecino {i}", "es")
                for _ in range(2 if i % 10 == 0 else 1):
                    reply = await act(tg, user, lambda: user.send(f"/start {checkin.payload(secret, 'EV-0001')}"), scans)
                    answers.setdefault(i, []).append(reply.plain or "" if reply else "")

            async def browse(j: int) -> None:
                user = User(tg, FIRST_RESIDENT + args.attendees + j, f"Vecina {j}", "es")
                listing = await act(tg, user, lambda: user.send("/talleres"), browsing)
                data = listing and button_data(listing, "EV-0002")
                if listing is not None and data:
                    await act(tg, user, lambda: user.press_data(data, listing.message_id), browsing)

            actions = [lambda i=i: scan(i) for i in range(args.attendees)]
            actions += [lambda j=j: browse(j) for j in range(args.browsers) for _ in range(3)]
            rng.shuffle(actions)
            await open_loop(actions, args.duration)
            await asyncio.sleep(0.5)
        finally:
            await proc.stop()
            await tg.stop()
        engine = make_engine(db_url)
        async with make_session_factory(engine)() as s:
            present = set((await s.execute(
                select(Registration.user_id).where(Registration.event_id == 1, Registration.checked_in_at.is_not(None))
            )).scalars())  # fmt: skip
            rows = int(await s.scalar(select(func.count()).select_from(Registration).where(Registration.event_id == 1)) or 0)
        await engine.dispose()
    confirmed = {i for i, said in answers.items() if said and "Registré su asistencia" in said[0]}
    lost = sum(1 for i in range(args.attendees) if FIRST_RESIDENT + i not in present or i not in confirmed)
    doubled = max(0, rows - args.attendees) + sum(
        1 for said in answers.values() if len(said) > 1 and "Registré su asistencia" in said[1]
    )
    return {
        "attendees": args.attendees, "browsers": args.browsers, "duration_s": args.duration,
        "checked_in": len(present), "lost": lost, "doubled": doubled, **scans.summary(),
        "timeouts": scans.timeouts + browsing.timeouts,
        "browse_p99_ms": browsing.summary()["p99_ms"],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.checkin", description=__doc__)
    p.add_argument("--attendees", type=int, default=300)
    p.add_argument("--browsers", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="60 attendees, 10 browsers, 10 s")
    args = p.parse_args(argv)
    if args.quick:
        args.attendees, args.browsers, args.duration = 60, 10, 10.0
    print(json.dumps(asyncio.run(run(args)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
