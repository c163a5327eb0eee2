"""Events and registrations: what a resident can sign up for, the seat or the waiting list, and
cancelling (which promotes the first one waiting). No aiogram here.

**Capacity.** A seat is taken by one conditional UPDATE of the event's `registered` count
(`registered < capacity`), in the registering transaction: on SQLite the statement takes the
database's write lock, on PostgreSQL the event's row lock, held until the commit; the second of two
residents pressing at once for the last seat finds the count already at capacity (PostgreSQL
re-checks the condition on the row the first one committed) and goes to the waiting list. A
cancellation gives its seat back with the same kind of statement and, in the same transaction, to the
first one waiting (lowest id), who is told through the outbox in their language.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services import codes, event_dates, event_notices
from peam_bot.services.text import esc
from peam_bot.storage.event_models import Event, Mesa, Registration
from peam_bot.storage.models import User, utcnow

OPEN = ("programado", "reprogramado")
TICKET_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B: read aloud at the door
TICKET_LENGTH = 6

KIND_LABELS = {
    "taller": N_("Taller"),
    "mesa": N_("Sesión de mesa de concertación"),
    "exposicion": N_("Exposición itinerante"),
    "presentacion": N_("Presentación pública"),
}


class EventError(Exception):
    """A registration or cancellation that cannot be made; `reason` says why (a refusal code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Outcome:
    registration: Registration
    seat: bool  # False: on the waiting list
    waiting_position: int | None = None
    already: bool = False  # the resident was registered (or waiting) before this press


def new_ticket() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


async def next_code(session: AsyncSession) -> str:
    return f"EV-{await codes.next_number(session, 'EV'):04d}"


async def by_code(session: AsyncSession, code: str) -> Event | None:
    return (await session.execute(select(Event).where(Event.code == code.strip().upper()))).scalar_one_or_none()


async def mesa_by_code(session: AsyncSession, code: str) -> Mesa | None:
    return (await session.execute(select(Mesa).where(Mesa.code == code.strip().upper()))).scalar_one_or_none()


async def upcoming(
    session: AsyncSession,
    now: datetime,
    *,
    mesas_only: bool = False,
    district: str | None = None,
    axis: str | None = None,
    offset: int = 0,
    limit: int = 8,
) -> tuple[list[Event], int]:
    """Events not yet over and not cancelled, soonest first, with their total count."""
    where = [Event.ends_at > now, Event.status.in_(OPEN)]
    if mesas_only:
        where.append(Event.kind == "mesa")
    if district:
        where.append(Event.district == district)
    if axis:
        where.append(Event.axis == axis)
    total = int(await session.scalar(select(func.count()).select_from(Event).where(*where)) or 0)
    rows = await session.execute(
        select(Event).where(*where).order_by(Event.starts_at, Event.id).offset(offset).limit(limit)
    )
    return list(rows.scalars()), total


def refusal(event: Event, now: datetime) -> str | None:
    """Why nobody can register for `event` now (None: they can)."""
    if event.status == "cancelado":
        return "cancelled"
    if event.status == "realizado" or event.ends_at <= now:
        return "past"
    if event.deadline <= now:
        return "closed"
    return None


def seats_left(event: Event) -> int | None:
    return None if event.capacity is None else max(0, event.capacity - event.registered)


async def registration_of(session: AsyncSession, event_id: int, user_id: int) -> Registration | None:
    return (
        await session.execute(
            select(Registration).where(Registration.event_id == event_id, Registration.user_id == user_id)
        )
    ).scalar_one_or_none()


async def waiting_position(session: AsyncSession, registration: Registration) -> int:
    ahead = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == "espera",
            Registration.id < registration.id,
        )
    )
    return int(ahead or 0) + 1


async def _take_seat(session: AsyncSession, event_id: int) -> bool:
    """One seat of the event, if one is free (the statement that makes capacity hold: see above)."""
    result = await session.execute(
        update(Event)
        .where(Event.id == event_id, (Event.capacity.is_(None)) | (Event.registered < Event.capacity))
        .values(registered=Event.registered + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _lock_event(session: AsyncSession, event_id: int) -> None:
    """Take the event's lock (the write lock on SQLite, its row lock on PostgreSQL) with a write that
    changes nothing: what follows in this transaction reads a count nobody else can change."""
    await session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(registered=Event.registered)
        .execution_options(synchronize_session=False)
    )


async def register(
    session: AsyncSession,
    event: Event,
    user: User,
    attendee_name: str,
    organization: str | None = None,
    organization_type: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """A seat for `user`, or a place on the waiting list when the event is full. Pressing again
    gives back what they have; a cancelled registration is made again (at the end of the queue)."""
    now = now or utcnow()
    reason = refusal(event, now)
    if reason is not None:
        raise EventError(reason)
    await _lock_event(session, event.id)
    # what a cancellation or a reschedule committed just before this lock is seen now
    await session.refresh(event, ["status", "starts_at", "ends_at", "registration_deadline"])
    reason = refusal(event, now)
    if reason is not None:
        raise EventError(reason)
    existing = await registration_of(session, event.id, user.id)
    if existing is not None and existing.status != "cancelado":
        seat = existing.status == "inscrito"
        position = None if seat else await waiting_position(session, existing)
        return Outcome(existing, seat, position, already=True)
    seat = await _take_seat(session, event.id)
    values = dict(
        status="inscrito" if seat else "espera",
        attendee_name=attendee_name,
        organization=organization,
        organization_type=organization_type,
        created_at=now,
        promoted_at=None,
        cancelled_at=None,
    )
    if existing is not None:  # the same row again: its ticket changes, an old one is void
        await session.delete(existing)
        await session.flush()
    registration = Registration(event_id=event.id, user_id=user.id, ticket=new_ticket(), **values)
    session.add(registration)
    user.attendance_name = attendee_name
    if organization is not None:
        user.organization, user.organization_type = organization, organization_type
    await session.flush()
    await session.refresh(event, ["registered"])
    position = None if seat else await waiting_position(session, registration)
    if seat:
        await event_notices.schedule_reminders(session, registration, event, now=now)
    return Outcome(registration, seat, position)


async def cancel(session: AsyncSession, registration: Registration, now: datetime | None = None) -> Registration | None:
    """Cancel a registration (its seat goes to the first one waiting, who is told). Returns the
    promoted registration, if any."""
    now = now or utcnow()
    if registration.status == "cancelado":
        raise EventError("already_cancelled")
    if registration.checked_in_at is not None:
        raise EventError("attended")
    event = await session.get(Event, registration.event_id)
    assert event is not None
    await _lock_event(session, event.id)
    await session.refresh(registration, ["status"])
    if registration.status == "cancelado":
        raise EventError("already_cancelled")
    had_seat = registration.status == "inscrito"
    registration.status, registration.cancelled_at = "cancelado", now
    await event_notices.withdraw_reminders(session, registration, "registration cancelled")
    promoted = None
    if had_seat:
        await session.execute(
            update(Event)
            .where(Event.id == event.id)
            .values(registered=Event.registered - 1)
            .execution_options(synchronize_session=False)
        )
        await session.flush()
        if refusal(event, now) is None:
            promoted = await _promote_first(session, event, now)
    await session.flush()
    await session.refresh(event, ["registered"])
    return promoted


async def _promote_first(session: AsyncSession, event: Event, now: datetime) -> Registration | None:
    first = (
        await session.execute(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status == "espera")
            .order_by(Registration.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if first is None or not await _take_seat(session, event.id):
        return None
    first.status, first.promoted_at = "inscrito", now
    resident = await session.get(User, first.user_id)
    if resident is not None:
        text = gettext(
            "🎉 Se liberó un cupo: ya está inscrito(a) en <b>{title}</b> ({when}). Su entrada es "
            "<code>{ticket}</code>. Si no puede ir, cancele en /mis_inscripciones para dejar el cupo a otra persona.",
            resident.locale,
        ).format(title=esc(event.title), when=when(event, resident.locale), ticket=first.ticket)
        outbox.enqueue_text(session, resident.id, text, ref=f"promoted:{first.id}")
    await event_notices.schedule_reminders(session, first, event, now=now)
    return first


async def mine(session: AsyncSession, user_id: int, now: datetime) -> list[tuple[Registration, Event]]:
    """The resident's registrations (and waiting places) for events not yet over, soonest first."""
    rows = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id, Registration.status != "cancelado", Event.ends_at > now)
        .order_by(Event.starts_at, Event.id)
    )
    return [(r, e) for r, e in rows.all()]


async def registration_by_id(session: AsyncSession, registration_id: int) -> Registration | None:
    return await session.get(Registration, registration_id)


def when(event: Event, locale: str) -> str:
    """"sábado 12 de diciembre, 9:00 a 12:00" (in the plan's time zone)."""
    return event_dates.when(event, locale)
