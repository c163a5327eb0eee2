"""The bot's clock: every "now" in the database and the outbox (`peam_bot.storage.models.utcnow`,
hence the worker's due check, column defaults, deadlines) is `clock.now()`.

In production it is the system clock in UTC. Tests move it instead of sleeping: `travel(delta)`
shifts it by `delta` (it keeps running from there), `set(dt)` makes it read `dt` now (and keeps
running), `reset()` goes back to the system clock. The shift is one value behind a lock, so every
task and thread of the process sees the same time; nothing else (timeouts, `time.monotonic`, the
outbox's rate limits) is affected. Only tests call `travel`/`set`/`reset`.

    clock.set(event.starts_at - timedelta(hours=24, seconds=-1))  # just after "24 h before"
    worker.wake()  # the outbox sends what is due now (its poll would within half a second anyway)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)


def now() -> datetime:
    """The current time, timezone-aware UTC (shifted by a test's `travel`/`set`)."""
    with _lock:
        offset = _offset
    return datetime.now(UTC) + offset


def travel(delta: timedelta) -> datetime:
    """Move the clock by `delta` (forward or back); returns the new now. Tests only."""
    global _offset
    with _lock:
        _offset += delta
    return now()


def set(dt: datetime) -> datetime:  # noqa: A001 - clock.set reads right at the call site
    """Make now() read `dt` (timezone-aware) from this moment on; the clock keeps running. Tests only."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    global _offset
    with _lock:
        _offset = dt - datetime.now(UTC)
    return now()


def reset() -> None:
    """Back to the system clock."""
    global _offset
    with _lock:
        _offset = timedelta(0)
