"""`python -m bench.events`: many residents register for a few events at once through the bot (each
opens the event's deep link and presses Inscribirme, planned evenly over `--duration` seconds), then
some cancel at random. Prints one JSON line: `over_capacity` (seats given beyond capacity, must be
0), `promoted_correctly` (share of events whose seats, after the cancellations, are held by the
earliest registrations still standing: the waiting list promoted first come first served; must be
1.0), `p99_ms` / `p50_ms` of the Inscribirme press, and the counts behind them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

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
from peam_bot.emulator.models import SentMessage
from peam_bot.storage.db import make_engine, make_session_factory
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import utcnow


async def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="peam-bench-events-") as tmp:
        workdir = Path(tmp)
        db_url = f"sqlite+aiosqlite:///{workdir / 'events.db'}"
        start = utcnow() + timedelta(days=7)
        await seed(db_url, args.residents,
                   [event_values(start, args.capacity, f"Taller {i}") for i in range(1, args.events + 1)])  # fmt: skip
        tg, proc = await start_bot(workdir, db_url)
        press, timings = Timings(), Timings()
        registered: list[tuple[User, SentMessage]] = []  # (resident, the answer with its Cancelar button)
        try:
            async def register(i: int) -> None:
                user = User(tg, FIRST_RESIDENT + i, f"Vecino {i}", "es")
                code = f"EV-{rng.randrange(args.events) + 1:04d}"
                card = await act(tg, user, lambda: user.send(f"/start evento_{code}"), timings)
                data = card and (button_data(card, "✅ Inscribirme") or button_data(card, "📝 Anotarme"))
                if card is None or data is None:
                    return
                done = await act(tg, user, lambda: user.press_data(data, card.message_id), press)
                if done is not None and button_data(done, "❌ Cancelar"):
                    registered.append((user, done))

            await open_loop([lambda i=i: register(i) for i in range(args.residents)], args.duration)

            async def cancel(user: User, done: SentMessage) -> None:
                data = button_data(done, "❌ Cancelar")
                assert data is not None
                confirm = await act(tg, user, lambda: user.press_data(data, done.message_id), timings)
                yes = confirm and button_data(confirm, "Sí, cancelar")
                if confirm is not None and yes:
                    await act(tg, user, lambda: user.press_data(yes, confirm.message_id), timings)

            leaving = rng.sample(registered, int(len(registered) * args.cancel_share))
            await open_loop([lambda u=u, r=r: cancel(u, r) for u, r in leaving], args.duration / 4)
            await asyncio.sleep(1.0)
        finally:
            await proc.stop()
            await tg.stop()
        engine = make_engine(db_url)
        async with make_session_factory(engine)() as s:
            regs = (await s.execute(select(Registration).order_by(Registration.id))).scalars().all()
            capacity = {e.id: e.capacity for e in (await s.execute(select(Event))).scalars()}
        await engine.dispose()
    over, correct = 0, 0
    for event_id, cap in capacity.items():
        standing = [r for r in regs if r.event_id == event_id and r.status != "cancelado"]
        seats = [r.id for r in standing if r.status == "inscrito"]
        over += max(0, len(seats) - (cap or len(seats)))
        correct += seats == [r.id for r in standing][: cap or len(standing)]
    return {
        "residents": args.residents, "events": args.events, "capacity": args.capacity,
        "presses_answered": len(press.latencies), "timeouts": press.timeouts + timings.timeouts,
        "registrations": len(regs), "seats": sum(r.status == "inscrito" for r in regs),
        "waiting": sum(r.status == "espera" for r in regs), "cancelled": sum(r.status == "cancelado" for r in regs),
        "over_capacity": over, "promoted_correctly": round(correct / max(1, len(capacity)), 3),
        **press.summary(), "duration_s": args.duration,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    p.add_argument("--residents", type=int, default=5000)
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--capacity", type=int, default=100)
    p.add_argument("--duration", type=float, default=60.0, help="seconds over which the presses are spread")
    p.add_argument("--cancel-share", type=float, default=0.2, help="share of registered residents who cancel")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="500 residents, 5 events of 40, 10 s")
    args = p.parse_args(argv)
    if args.quick:
        args.residents, args.events, args.capacity, args.duration = 500, 5, 40, 10.0
    print(json.dumps(asyncio.run(run(args)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
