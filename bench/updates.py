"""Update throughput and latency of the bot against the in-process emulator.

    python -m bench.updates [--duration 10] [--rate 100] [--latency-duration 10] [--quick]

Prints one JSON line to stdout; progress and the bot's warnings/errors go to stderr."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import (
    STAFF_CHAT,
    TOKEN,
    BenchTelegram,
    LogCounter,
    Resident,
    Stats,
    StopRun,
    drain,
    percentile,
    start_emulator,
)
from bench.echo_bot import SESSIONS, echo_dispatcher, make_bot
from bench.processes import BotProcess
from peam_bot.config import Settings
from peam_bot.telegram.app import ALLOWED_UPDATES, App
from peam_bot.telegram.middlewares import ThrottleMiddleware

P99_TARGET_MS = 50.0
RATIO_TARGET = 0.5


def err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bot_settings(tg: BenchTelegram, db_url: str, **overrides: Any) -> Settings:
    """Production defaults except where the bot must find the emulator, the database and staff chat
    (and `overrides`)."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": tg.base_url,
        "database_url": db_url,
        "staff_chat_id": STAFF_CHAT,
        "redis_url": None,
        "log_level": "WARNING",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def freeze_heap() -> None:
    """Before a measured window: move this process's objects (the emulator keeps every message and
    call of the run) out of the garbage collector's view. Otherwise its full collections, which grow
    with the run to 0.1–0.5 s, stall the emulated Telegram and the clocks of the simulated residents,
    and that pause lands in the bot's figures (it was most of the p99 in some runs)."""
    gc.freeze()


def live_throttle(app: App) -> tuple[int, float] | None:
    """The (limit, window) of the throttle middleware actually installed in the dispatcher."""
    for mw in app.dp.update.outer_middleware:
        if isinstance(mw, ThrottleMiddleware):
            return (mw.limit, mw.window) if mw.limit > 0 else None
    return None


async def progress(label: str, stats: Stats, until: Callable[[], bool]) -> None:
    last, t_last = 0, time.monotonic()
    while not until():
        await asyncio.sleep(1.0)
        now = time.monotonic()
        n = stats.completed_total
        err(
            f"[{label}] {n} updates done ({(n - last) / (now - t_last):.0f}/s), "
            f"errors={sum(stats.errors.values())}, submitted={stats.submitted}"
        )
        last, t_last = n, now


# ----------------------------------------------------------------------------- closed loop


async def closed_loop(
    label: str,
    tg: BenchTelegram,
    flow: Callable[[Resident], Any],
    residents: int,
    warmup: float,
    duration: float,
    throttle: tuple[int, float] | None,
    seed: int,
    reply_timeout: float,
    cpu: Callable[[], float | None] = lambda: None,
) -> Stats:
    """`cpu` reads the CPU seconds used so far by the bot's process (sampled when the window opens
    and closes)."""
    stats = Stats()
    t0 = time.monotonic()
    stats.window_start = t0 + warmup
    stats.window_end = stats.window_start + duration

    async def gate(_r: Resident) -> None:
        if time.monotonic() >= stats.window_end:
            raise StopRun

    people = [
        Resident(tg, 800_000 + i, random.Random(seed * 100_003 + i), stats, gate, throttle, reply_timeout)
        for i in range(residents)
    ]
    freeze_heap()
    tasks = [asyncio.create_task(flow(r)) for r in people]
    watcher = asyncio.create_task(progress(label, stats, lambda: time.monotonic() >= stats.window_end))
    await asyncio.sleep(max(0.0, stats.window_start - time.monotonic()))
    cpu_start = cpu()
    await asyncio.sleep(max(0.0, stats.window_end - time.monotonic()))
    cpu_end = cpu()
    if cpu_start is not None and cpu_end is not None:
        stats.cpu_s = cpu_end - cpu_start
    stats.api_calls.update(c.method for c in tg.calls if stats.window_start <= c.ts <= stats.window_end)
    await drain(tasks, reply_timeout + 2)
    await watcher
    return stats


# The saturation run's throttle limit (updates per window per resident; the production window):
# one no resident of the closed loop reaches. At the production limit (15 per 3 s) a simulated
# resident can send at most 5 updates/s, so 100 of them can never offer the bot more than 500
# updates/s: on a fast machine the figure measured the throttle, not the bot (the echo bot has none).
# The middleware still runs and counts every update, as in production; the latency run keeps the
# production limit.
SATURATION_THROTTLE_LIMIT = 1000


async def wipe(url: str) -> None:
    """Empty the database at `url` (every table of its `public` schema), so that each run starts
    from the bot's own migrations, as on SQLite's fresh file."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def start_bot(
    args: argparse.Namespace, tg: BenchTelegram, workdir: Path, name: str, saturation: bool = False
) -> tuple[Callable[[], Awaitable[int]], tuple[int, float] | None, Callable[[], float | None]]:
    """The bot on the emulator: its own process (`peam-bot run`, the default) or in this process.
    Returns a stopper (giving the number of WARNING+ lines the bot logged), its throttle and a reader
    of the CPU time its process used (None in process). `saturation`: with the saturation run's
    throttle limit (`SATURATION_THROTTLE_LIMIT`)."""
    if args.database:
        db_url = args.database
        await wipe(db_url)
    else:
        db_url = f"sqlite+aiosqlite:///{workdir / (name + '.db')}"
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    overrides: dict[str, Any] = {} if args.fast_paths == "on" else {"fast_paths": False}
    if saturation and defaults.throttle_limit > 0:
        overrides["throttle_limit"] = SATURATION_THROTTLE_LIMIT
    if args.in_process:
        app = await App.create(bot_settings(tg, db_url, **overrides))
        await app.start_polling()

        async def stop_app() -> int:
            await app.close()
            return 0

        return stop_app, live_throttle(app), lambda: None
    env = {f"PEAM_{k.upper()}": str(v) for k, v in overrides.items()}
    proc = BotProcess("peam_bot.cli", ["run"], tg, workdir / f"{name}.log", db_url, env)
    await proc.ready()

    async def stop_proc() -> int:
        await proc.stop()
        return proc.warnings()

    limit = overrides.get("throttle_limit", defaults.throttle_limit)
    throttle = (limit, defaults.throttle_window) if limit > 0 else None
    return stop_proc, throttle, proc.cpu_seconds


async def bot_saturation(args: argparse.Namespace, workdir: Path) -> tuple[Stats, tuple[int, float] | None]:
    tg = await start_emulator()
    stop, throttle, cpu = await start_bot(args, tg, workdir, "saturation", saturation=True)
    try:
        stats = await closed_loop(
            "bot",
            tg,
            Resident.run_bot_flow,
            args.residents,
            args.warmup,
            args.duration,
            throttle,
            args.seed,
            args.reply_timeout,
            cpu,
        )
    finally:
        stats.bot_warnings += await stop()
        await tg.stop()
    return stats, throttle


async def echo_saturation(args: argparse.Namespace) -> Stats:
    tg = await start_emulator()
    if not args.in_process:
        proc = BotProcess(
            "bench.echo_bot",
            [],
            tg,
            Path(tempfile.gettempdir()) / "peam-bench-echo.log",
            extra_env={"ECHO_SESSION": args.echo_session},
        )
        await proc.ready()
        try:
            return await closed_loop(
                "echo", tg, Resident.run_echo_flow, args.residents, args.warmup, args.duration, None,
                args.seed, args.reply_timeout, proc.cpu_seconds,
            )  # fmt: skip
        finally:
            await proc.stop()
            await tg.stop()
    bot = make_bot(TOKEN, tg.base_url, args.echo_session)
    dp = echo_dispatcher()
    polling = asyncio.create_task(
        dp.start_polling(bot, allowed_updates=ALLOWED_UPDATES, handle_signals=False, close_bot_session=False)
    )
    try:
        return await closed_loop(
            "echo",
            tg,
            Resident.run_echo_flow,
            args.residents,
            args.warmup,
            args.duration,
            None,
            args.seed,
            args.reply_timeout,
        )
    finally:
        await dp.stop_polling()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.session.close()
        await tg.stop()


# ----------------------------------------------------------------------------- open loop


class OpenLoop:
    """Gate for the latency run. Each resident first walks `warm` steps freely (onboarding plus a
    random part of the form, so the measured mix covers every step), then waits to be picked: the
    scheduler releases one idle resident (one whose previous update was answered) per tick."""

    def __init__(self, n: int, warm_concurrency: int = 50) -> None:
        self.n = n
        self.warm: dict[int, int] = {}
        self.warming: set[int] = set()
        self.warm_slots = asyncio.Semaphore(warm_concurrency)
        self.idle: list[asyncio.Future[None]] = []
        self.ready = asyncio.Event()
        self.stopped = False

    async def __call__(self, r: Resident) -> None:
        if self.stopped:
            raise StopRun
        left = self.warm.get(r.chat_id, 0)
        if left > 0:
            if r.chat_id not in self.warming:  # a few residents warm up at a time (no pile-up)
                await self.warm_slots.acquire()
                self.warming.add(r.chat_id)
            self.warm[r.chat_id] = left - 1
            return
        if r.chat_id in self.warming:
            self.warming.discard(r.chat_id)
            self.warm_slots.release()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.idle.append(fut)
        if len(self.idle) >= self.n:
            self.ready.set()
        await fut

    def release(self, rng: random.Random) -> bool:
        while self.idle:
            i = rng.randrange(len(self.idle))
            self.idle[i], self.idle[-1] = self.idle[-1], self.idle[i]
            fut = self.idle.pop()
            if not fut.done():
                fut.set_result(None)
                return True
        return False

    def stop(self) -> None:
        self.stopped = True
        for fut in self.idle:
            if not fut.done():
                fut.set_exception(StopRun())
        self.idle.clear()


async def bot_latency(args: argparse.Namespace, workdir: Path) -> tuple[Stats, dict[str, Any]]:
    tg = await start_emulator()
    stop, throttle, _cpu = await start_bot(args, tg, workdir, "latency")
    stats = Stats(window_start=float("inf"))
    gate = OpenLoop(args.latency_residents)
    rng = random.Random(args.seed)
    people = [
        Resident(
            tg, 900_000 + i, random.Random(args.seed * 7_919 + i), stats, gate, throttle, args.reply_timeout
        )
        for i in range(args.latency_residents)
    ]
    for r in people:
        gate.warm[r.chat_id] = 3 + rng.randrange(12)  # onboarding + 0..11 steps into the form
    info: dict[str, Any] = {"throttle": throttle}
    try:
        tasks = [asyncio.create_task(r.run_bot_flow()) for r in people]
        t_warm = time.monotonic()
        watcher = asyncio.create_task(progress("latency warm-up", stats, gate.ready.is_set))
        try:
            await asyncio.wait_for(gate.ready.wait(), args.reply_timeout * 10)
        except TimeoutError:
            err(f"[latency] only {len(gate.idle)} of {gate.n} residents ready; starting anyway")
        await watcher
        err(f"[latency] warm-up done in {time.monotonic() - t_warm:.1f}s; open loop at {args.rate}/s")
        freeze_heap()
        interval = 1.0 / args.rate
        start = time.monotonic()
        stats.window_start = start
        stats.window_end = start + args.latency_duration
        done_before = stats.completed_total
        emitted = missed = k = 0
        while True:
            t_next = start + k * interval
            if t_next >= stats.window_end:
                break
            delay = t_next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if gate.release(rng):
                emitted += 1
            else:
                missed += 1
            k += 1
        gate.stop()
        await drain(tasks, args.reply_timeout + 2)
        info |= {
            "emitted": emitted,
            "missed_ticks": missed,
            "rate": emitted / args.latency_duration,
            "answered": stats.completed_total - done_before,
        }
    finally:
        stats.bot_warnings += await stop()
        await tg.stop()
    return stats, info


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.updates", description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=100, help="closed-loop residents (saturation, echo)")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds of each saturation run")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before the measurement window opens")
    p.add_argument("--rate", type=float, default=100.0, help="open-loop updates per second (latency run)")
    p.add_argument("--latency-duration", type=float, default=10.0)
    p.add_argument("--latency-residents", type=int, default=500)
    p.add_argument("--reply-timeout", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip", choices=["bot", "echo", "latency"], action="append", default=[])
    p.add_argument("--quick", action="store_true", help="2-3 s smoke run of every part")
    p.add_argument(
        "--echo-session",
        choices=SESSIONS,
        default="aiohttp",
        help="the echo bot's Bot API client: aiogram's default (the ratio's baseline) or, for context, "
        "the bot's own (peam_bot/telegram/transport.py)",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run the bot and the echo bot inside this process (sharing one core with the emulator "
        "and the simulated residents) instead of as their own processes",
    )
    p.add_argument(
        "--database",
        metavar="URL",
        help="run the bot on this PostgreSQL database (postgresql+asyncpg://…), WIPED before each run; "
        "default: a new SQLite file per run",
    )
    p.add_argument(
        "--fast-paths",
        choices=["on", "off"],
        default="on",
        help="the bot's PEAM_FAST_PATHS (off: SQLAlchemy's and aiogram's stock paths only)",
    )
    args = p.parse_args(argv)
    if args.database and not args.database.startswith("postgresql"):
        p.error("--database takes a PostgreSQL URL (SQLite runs on a new file by default)")
    if args.quick:
        args.duration = 2.5
        args.warmup = 0.5
        args.latency_duration = 2.5
        args.latency_residents = min(args.latency_residents, 150)
    return args


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    counter = LogCounter()
    root = logging.getLogger()
    root.handlers[:] = [counter]
    root.setLevel(logging.WARNING)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="peam-bench-") as tmp:
        workdir = Path(tmp)
        bot = echo = lat = None
        throttle: tuple[int, float] | None = None
        lat_info: dict[str, Any] = {}
        if "bot" not in args.skip:
            err(f"[bot] {args.residents} residents, closed loop, {args.duration}s")
            bot, throttle = await bot_saturation(args, workdir)
        if "echo" not in args.skip:
            err(f"[echo] {args.residents} residents, closed loop, {args.duration}s")
            echo = await echo_saturation(args)
        if "latency" not in args.skip:
            err(
                f"[latency] {args.latency_residents} residents, open loop {args.rate}/s, {args.latency_duration}s"
            )
            lat, lat_info = await bot_latency(args, workdir)

    lat_throttle = lat_info.get("throttle")
    bot_rate = bot.completed / args.duration if bot else None
    echo_rate = echo.completed / args.duration if echo else None
    ratio = bot_rate / echo_rate if bot_rate is not None and echo_rate else None
    p50 = percentile(lat.latencies, 0.5) * 1000 if lat else None
    p99 = percentile(lat.latencies, 0.99) * 1000 if lat else None
    errors = sum(sum(s.errors.values()) for s in (bot, echo, lat) if s)

    def r(x: float | None, nd: int = 1) -> float | None:
        return None if x is None else round(x, nd)

    def cpu_ms(s: Stats | None) -> float | None:
        return s.cpu_s * 1000 / s.completed if s and s.cpu_s is not None and s.completed else None

    out = {
        "bot_updates_per_s": r(bot_rate),
        "echo_updates_per_s": r(echo_rate),
        "ratio": r(ratio, 3),
        "p50_ms": r(p50),
        "p99_ms": r(p99),
        "residents": args.residents,
        "updates": bot.completed if bot else None,
        "duration_s": args.duration,
        "rate": r(lat_info.get("rate")),
        "rate_target": args.rate,
        "errors": errors,
        "think_ms": r(bot.think_s * 1000 / max(1, bot.sent), 2) if bot else None,
        "think_policy": "pause only when needed to stay under the bot's throttle (per resident)",
        "throttle": f"{throttle[0]}/{throttle[1]}s" if throttle else None,
        "latency_throttle": f"{lat_throttle[0]}/{lat_throttle[1]}s" if lat_throttle else None,
        "paced_updates": bot.paced if bot else None,
        "echo_updates": echo.completed if echo else None,
        "bot_cpu_ms_per_update": r(cpu_ms(bot), 3),
        "echo_cpu_ms_per_update": r(cpu_ms(echo), 3),
        "bot_api_calls_per_update": bot.calls_per_update() if bot else None,
        "echo_api_calls_per_update": echo.calls_per_update() if echo else None,
        "sat_p50_ms": r(percentile(bot.latencies, 0.5) * 1000) if bot else None,
        "sat_p99_ms": r(percentile(bot.latencies, 0.99) * 1000) if bot else None,
        "submitted": bot.submitted if bot else None,
        "similar_shown": bot.similar if bot else None,
        "latency_residents": args.latency_residents,
        "latency_duration_s": args.latency_duration,
        "latency_samples": len(lat.latencies) if lat else None,
        "latency_missed_ticks": lat_info.get("missed_ticks"),
        "bot_log_warnings": sum(counter.counts.values()) + sum(s.bot_warnings for s in (bot, lat) if s),
        "bot_process": "in-process" if args.in_process else "own process (peam-bot run)",
        "database": "postgresql" if args.database else "sqlite",
        "fast_paths": args.fast_paths,
        "echo_session": args.echo_session,
        "targets_met": {
            "ratio>=0.5": None if ratio is None else ratio >= RATIO_TARGET,
            "p99_ms<=50": None if p99 is None else p99 <= P99_TARGET_MS,
        },
    }
    for name, s in (("bot", bot), ("latency", lat)):
        if s and s.by_step:
            err(f"[{name}] first-reply latency by step (updates pushed in the window, ms):")
            for step, values in sorted(s.by_step.items(), key=lambda kv: -percentile(kv[1], 0.5)):
                err(
                    f"    {step:14s} n={len(values):6d}  p50={percentile(values, 0.5) * 1000:8.1f}"
                    f"  p99={percentile(values, 0.99) * 1000:8.1f}"
                )
    for name, s in (("bot", bot), ("echo", echo), ("latency", lat)):
        if s and s.errors:
            err(f"[{name}] client errors: {dict(s.errors)}")
            for sample in s.error_samples[:5]:
                err(f"    {sample}")
    if counter.counts:
        err("log records WARNING+ (count, record):")
        for key, n in counter.counts.most_common(15):
            err(f"  {n:6d}  {key}")
            if key in counter.samples:
                err("        " + counter.samples[key].replace("\n", "\n        "))
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    out = asyncio.run(main_async(args))
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
