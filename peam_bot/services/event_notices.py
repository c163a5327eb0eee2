"""What registrants hear about an event before it happens, all through the outbox (no aiogram here):
reminders before the start, and a notice when the event is cancelled or moved.

**Reminders** are scheduled outbox rows, not timers: for a seat (`inscrito`) of an open event, one
text (the date and time in words, the place, the ticket) and one map of the venue (`venue` row, when
the event has coordinates) per offset of PEAM_EVENT_REMINDERS, due `offset` before the start. A
reminder whose time has passed is not scheduled; a row still unsent at the start expires (the
worker drops it). So they survive a restart and respect the rate limits like every other message.

Each reminder's rows share one `ref`, `remind:<ticket>:<minutes before>@<due, UTC>`: the ticket is
the registration's (a cancelled registration made again gets a new one), the due time changes when
the event moves. Scheduling skips a ref already queued or sent, so calling it twice, or again after a
restart, queues nothing twice; withdrawing cancels the registration's rows still pending
(`remind:<ticket>:…`). A waiting-list place gets reminders when it is promoted to a seat.

The offsets come from `configure()` (the app calls it at start-up with the setting) unless a caller
gives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services.event_dates import place, when, when_between
from peam_bot.services.text import esc, truncate
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import OutboxMessage, User, utcnow

DEFAULT_OFFSETS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
OPEN = ("programado", "reprogramado")
NOTIFIED = ("inscrito", "espera")  # who hears that an event was cancelled or moved

_offsets: tuple[timedelta, ...] = DEFAULT_OFFSETS


def configure(offsets: Sequence[timedelta]) -> None:
    """The reminders' offsets for this process (Settings.event_reminders), longest first."""
    global _offsets
    _offsets = tuple(sorted(set(offsets), reverse=True))


def configured_offsets() -> tuple[timedelta, ...]:
    return _offsets


def _prefix(registration: Registration) -> str:
    return f"remind:{registration.ticket}:"


def reminder_ref(registration: Registration, offset: timedelta, due: datetime) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{_prefix(registration)}{minutes}@{due:%Y%m%d%H%M}"


def reminder_text(event: Event, registration: Registration, locale: str) -> str:
    return gettext(
        "⏰ Recordatorio: usted está inscrito(a) en <b>{title}</b>.\n🗓 {when}\n📍 {place}\n"
        "🎟 Su entrada: <code>{ticket}</code> (muéstrela al llegar). Si ya no puede ir, cancele en "
        "/mis_inscripciones para dejar el cupo a otra persona.",
        locale,
    ).format(
        title=esc(event.title), when=when(event, locale), place=esc(place(event)), ticket=registration.ticket
    )


def venue_payload(event: Event) -> dict[str, object] | None:
    """The venue on a map (sendVenue), or None when the event has no coordinates."""
    if event.latitude is None or event.longitude is None:
        return None
    return {
        "latitude": event.latitude,
        "longitude": event.longitude,
        "title": truncate(event.venue, 64),
        "address": truncate(event.address or event.venue, 200),
    }


async def schedule_reminders(
    session: AsyncSession,
    registration: Registration,
    event: Event,
    offsets: Sequence[timedelta] | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Queue the reminders of a seat still to come (none for a waiting place, a cancelled
    registration or event, or a time already past); returns the rows queued now."""
    if registration.status != "inscrito" or event.status not in OPEN:
        return []
    now = now or utcnow()
    offsets = configured_offsets() if offsets is None else offsets
    due_refs = [
        (offset, due, reminder_ref(registration, offset, due))
        for offset in sorted(set(offsets), reverse=True)
        if (due := event.starts_at - offset) > now
    ]
    if not due_refs:
        return []
    resident = await session.get(User, registration.user_id)
    if resident is None:
        return []
    await session.flush()  # rows queued earlier in this session count as queued
    taken = set(
        (
            await session.execute(
                select(OutboxMessage.ref).where(
                    OutboxMessage.ref.in_([ref for _o, _d, ref in due_refs]),
                    OutboxMessage.status.not_in(("cancelled",)),
                )
            )
        ).scalars()
    )
    expires = event.starts_at.isoformat()
    text = reminder_text(event, registration, resident.locale)
    venue = venue_payload(event)
    rows: list[OutboxMessage] = []
    for _offset, due, ref in due_refs:
        if ref in taken:
            continue
        queued = [
            outbox.enqueue(
                session, resident.id, "text", {**outbox.text_payload(text), outbox.EXPIRES: expires}, ref
            )
        ]
        if venue is not None:
            queued.append(
                outbox.enqueue(session, resident.id, "venue", {**venue, outbox.EXPIRES: expires}, ref)
            )
        for row in queued:
            row.next_attempt_at = due
        rows.extend(queued)
    return rows


async def withdraw_reminders(
    session: AsyncSession, registration: Registration, why: str = "withdrawn"
) -> int:
    """Cancel the registration's reminders not yet sent; returns how many rows."""
    await session.flush()
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.ref.like(_prefix(registration) + "%"))
        .values(status="cancelled", last_error=why[:255])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _notified(session: AsyncSession, event: Event) -> list[tuple[Registration, User]]:
    rows = await session.execute(
        select(Registration, User)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id, Registration.status.in_(NOTIFIED))
        .order_by(Registration.id)
    )
    return [(r, u) for r, u in rows.all()]


async def event_cancelled(session: AsyncSession, event: Event) -> int:
    """Every registrant and everyone waiting hears it in their language; reminders withdrawn.
    Returns how many residents were told."""
    told = 0
    for registration, resident in await _notified(session, event):
        await withdraw_reminders(session, registration, "event cancelled")
        loc = resident.locale
        text = (
            gettext(
                "❌ Se canceló <b>{title}</b>, previsto para el {when}. Su inscripción queda sin efecto. "
                "Lamentamos el cambio; vea otros eventos con /talleres.",
                loc,
            )
            if registration.status == "inscrito"
            else gettext(
                "❌ Se canceló <b>{title}</b>, previsto para el {when}. Su lugar en la lista de espera queda "
                "sin efecto. Vea otros eventos con /talleres.",
                loc,
            )
        ).format(title=esc(event.title), when=when(event, loc))
        outbox.enqueue_text(session, resident.id, text, ref=f"event-cancelled:{registration.id}")
        told += 1
    return told


async def event_rescheduled(
    session: AsyncSession,
    event: Event,
    old_starts_at: datetime,
    old_ends_at: datetime,
    offsets: Sequence[timedelta] | None = None,
    now: datetime | None = None,
) -> int:
    """`event` already has its new times: every registrant and everyone waiting hears the new and the
    old date in their language; the seats' reminders move to the new times. Returns how many were told."""
    told = 0
    for registration, resident in await _notified(session, event):
        await withdraw_reminders(session, registration, "event rescheduled")
        loc = resident.locale
        values = dict(
            title=esc(event.title),
            when=when(event, loc),
            old_when=when_between(old_starts_at, old_ends_at, loc),
            place=esc(place(event)),
            ticket=registration.ticket,
        )
        if registration.status == "inscrito":
            text = gettext(
                "📅 Cambió la fecha de <b>{title}</b>: ahora es el {when} (antes: {old_when}).\n📍 {place}\n"
                "Su inscripción sigue vigente con la entrada <code>{ticket}</code>. Si no puede en la nueva "
                "fecha, cancele en /mis_inscripciones.",
                loc,
            )
        else:
            text = gettext(
                "📅 Cambió la fecha de <b>{title}</b>: ahora es el {when} (antes: {old_when}).\n📍 {place}\n"
                "Sigue en la lista de espera; le avisaré por aquí si se libera un cupo.",
                loc,
            )
        outbox.enqueue_text(session, resident.id, text.format(**values), ref=f"event-moved:{registration.id}")
        await schedule_reminders(session, registration, event, offsets, now)
        told += 1
    return told
