"""Changing an event (staff or its organizer): cancelling it or moving it to new times. Each change is
one conditional UPDATE of the event (which takes its lock, so two presses at once change it once and a
registration in flight waits for it), an audit entry, and the notices to everyone registered or
waiting (`services.event_notices`). The caller's role is checked by the caller. No aiogram here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit, event_notices
from peam_bot.services.events import EventError
from peam_bot.storage.event_models import Event
from peam_bot.storage.models import utcnow


def _span(starts_at: datetime, ends_at: datetime) -> str:
    return f"{starts_at:%Y-%m-%d %H:%M}–{ends_at:%Y-%m-%d %H:%M} UTC"


async def cancel_event(
    session: AsyncSession, event: Event, actor_id: int | None, reason: str | None = None
) -> int:
    """Cancel an event not yet over; returns how many residents are told. EventError("cancelled")
    if it already was, ("past") if it is over."""
    now = utcnow()
    if event.status == "realizado" or event.ends_at <= now:
        raise EventError("past")
    before = event.status
    changed = await session.execute(
        update(Event)
        .where(Event.id == event.id, Event.status.in_(event_notices.OPEN))
        .values(status="cancelado", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(event)
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise EventError("cancelled" if event.status == "cancelado" else "past")
    audit.record(session, actor_id, "event_cancel", event.code, before, "cancelado", reason, when=now)
    return await event_notices.event_cancelled(session, event)


async def reschedule_event(
    session: AsyncSession,
    event: Event,
    starts_at: datetime,
    ends_at: datetime,
    actor_id: int | None,
    reason: str | None = None,
) -> int:
    """Move an event to new times (status reprogramado); returns how many residents are told.
    EventError: "bad_times" (the end not after the start, or the start already past), "unchanged",
    "cancelled", "past" (the event is over)."""
    now = utcnow()
    if starts_at.tzinfo is None or ends_at.tzinfo is None or ends_at <= starts_at or starts_at <= now:
        raise EventError("bad_times")
    if event.status == "cancelado":
        raise EventError("cancelled")
    if event.status == "realizado" or event.ends_at <= now:
        raise EventError("past")
    if (event.starts_at, event.ends_at) == (starts_at, ends_at):
        raise EventError("unchanged")
    old_starts, old_ends = event.starts_at, event.ends_at
    values: dict[str, object] = dict(
        starts_at=starts_at, ends_at=ends_at, status="reprogramado", updated_at=now
    )
    if event.registration_deadline is not None and event.registration_deadline > starts_at:
        values["registration_deadline"] = starts_at  # registering closes at the latest at the start
    changed = await session.execute(
        update(Event)
        .where(
            Event.id == event.id,
            Event.status.in_(event_notices.OPEN),
            Event.starts_at == old_starts,
            Event.ends_at == old_ends,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(event)
    if not changed.rowcount:  # type: ignore[attr-defined]  # changed meanwhile by someone else
        raise EventError("cancelled" if event.status == "cancelado" else "unchanged")
    audit.record(
        session, actor_id, "event_reschedule", event.code, _span(old_starts, old_ends), _span(starts_at, ends_at),
        reason, when=now,
    )  # fmt: skip
    return await event_notices.event_rescheduled(session, event, old_starts, old_ends, now=now)
