"""Attendance at an event: a resident checks in by scanning the QR on the organizer's screen (a deep
link whose token changes every `ROTATION`), or the organizer types or forwards their ticket codes.
No aiogram here.

**Tokens.** The token of a time window is an HMAC of the event's code and the window's number, keyed
by a secret of the installation (derived from the bot's token), so nobody can make one without the
screen, and none is stored. A token is accepted during its own window and the next one: the QR on a
screen opened a moment before the change still works. Check-in is open from `OPENS_BEFORE` before the
start to the end.

**Walk-ins.** A resident without a seat (not registered, or on the waiting list) who scans at an
event that accepts walk-ins is added as present with `checkin_method = "walk_in"`; walk-ins do not
take one of the seats registration counts (`Event.registered`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import events
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User, utcnow

ROTATION = timedelta(minutes=5)
OPENS_BEFORE = timedelta(minutes=30)
TICKET = re.compile(rf"\b[{events.TICKET_ALPHABET}]{{{events.TICKET_LENGTH}}}\b")


def secret_from(bot_token: str | None) -> bytes:
    return hashlib.sha256(b"peam-checkin:" + (bot_token or "").encode()).digest()


def window_of(now: datetime) -> int:
    return int(now.timestamp() // ROTATION.total_seconds())


def token(secret: bytes, event_code: str, window: int) -> str:
    digest = hmac.new(secret, f"{event_code}:{window}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode().lower()  # 8 letters and digits


def payload(secret: bytes, event_code: str, now: datetime | None = None) -> str:
    """The deep-link payload shown as the QR now: `ci_<code>_<token>` (≤ 64 characters)."""
    return f"ci_{event_code}_{token(secret, event_code, window_of(now or utcnow()))}"


def valid_until(now: datetime) -> datetime:
    """When a QR shown now stops working (the end of the next window)."""
    return datetime.fromtimestamp((window_of(now) + 2) * ROTATION.total_seconds(), tz=now.tzinfo)


def token_fresh(secret: bytes, event_code: str, given: str, now: datetime) -> bool:
    current = window_of(now)
    return any(hmac.compare_digest(token(secret, event_code, w), given.lower()) for w in (current, current - 1))


def is_open(event: Event, now: datetime) -> bool:
    return event.status in events.OPEN and event.starts_at - OPENS_BEFORE <= now < event.ends_at


@dataclass(frozen=True)
class Result:
    outcome: str  # present | already | walk_in | not_registered | closed | cancelled | expired
    registration: Registration | None = None


async def check_in(
    session: AsyncSession,
    event: Event,
    user: User,
    method: str,
    name: str | None = None,
    now: datetime | None = None,
) -> Result:
    """Mark `user` present at `event` (`method`: qr or ticket). Nothing changes unless the result is
    present or walk_in."""
    now = now or utcnow()
    if event.status == "cancelado":
        return Result("cancelled")
    if not is_open(event, now):
        return Result("closed")
    reg = await events.registration_of(session, event.id, user.id)
    if reg is not None and reg.checked_in_at is not None and reg.status != "cancelado":
        return Result("already", reg)
    if reg is not None and reg.status == "inscrito":
        reg.checked_in_at, reg.checkin_method = now, method
        await session.flush()
        return Result("present", reg)
    if not event.walk_ins:
        return Result("not_registered", reg)
    attendee = name or user.attendance_name or "—"
    if reg is None:
        reg = Registration(
            event_id=event.id, user_id=user.id, ticket=events.new_ticket(), attendee_name=attendee,
            organization=user.organization, organization_type=user.organization_type, created_at=now,
            status="inscrito",
        )  # fmt: skip
        session.add(reg)
    else:  # waiting or cancelled: present now, without taking a registered seat
        reg.status, reg.cancelled_at = "inscrito", None
    reg.checked_in_at, reg.checkin_method = now, "walk_in"
    await session.flush()
    return Result("walk_in", reg)


async def by_ticket(session: AsyncSession, event: Event, ticket: str, now: datetime | None = None) -> Result:
    """The organizer's check-in of one ticket code: present, already, or unknown (not this event's,
    cancelled, or on the waiting list)."""
    now = now or utcnow()
    reg = (
        await session.execute(
            select(Registration).where(Registration.event_id == event.id, Registration.ticket == ticket.upper())
        )
    ).scalar_one_or_none()
    if reg is None or reg.status != "inscrito":
        return Result("unknown", reg)
    if reg.checked_in_at is not None:
        return Result("already", reg)
    reg.checked_in_at, reg.checkin_method = now, "ticket"
    await session.flush()
    return Result("present", reg)


def tickets_in(text: str) -> list[str]:
    """The ticket codes in a message (typed, pasted or a forwarded ticket), in order, once each."""
    seen: dict[str, None] = {}
    for found in TICKET.findall(text.upper()):
        seen.setdefault(found, None)
    return list(seen)


@dataclass(frozen=True)
class Counts:
    registered: int
    present: int
    walk_ins: int
    waiting: int


async def counts(session: AsyncSession, event_id: int) -> Counts:
    seated = Registration.status == "inscrito"
    walk_in = Registration.checkin_method == "walk_in"

    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                total(seated & Registration.checkin_method.is_distinct_from("walk_in")),
                total(seated & Registration.checked_in_at.is_not(None)),
                total(seated & walk_in),
                total(Registration.status == "espera"),
            ).where(Registration.event_id == event_id)
        )
    ).one()
    return Counts(*(int(n) for n in row))
