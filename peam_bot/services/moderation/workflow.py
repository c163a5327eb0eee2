"""The triage's workflow: taking an initiative into review, and every change of it as a compare-and-set.

A moderator's first action on a ``recibida`` initiative takes it into review (``en_revision``, with
them as reviewer) in the same transaction as the action itself, so one tap still clears it. The
review is theirs for :data:`CLAIM_TTL` after their last step; someone else is refused meanwhile
(an admin may take it over).

Every change is a compare-and-set on ``initiatives.version``: of two moderators acting at the same
moment exactly one update matches; the other gets :class:`Refused` with who handled it and when.
Every step writes the audit trail; the resident hears of it through :mod:`.notices`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from peam_bot.services import audit, initiatives, staff
from peam_bot.services.moderation import notices
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.moderation.states import DECISIONS, PENDING, can
from peam_bot.storage.models import Initiative, InitiativeEvent, User, utcnow

# a review taken by one moderator is theirs for this long after their last step; then anyone may take it
# over (an admin can reassign it at any time with Asignar)
CLAIM_TTL = timedelta(minutes=30)


# --- loading ------------------------------------------------------------------------------------


async def get(session: AsyncSession, ini_id: int) -> Initiative | None:
    stmt = select(Initiative).where(Initiative.id == ini_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> Initiative | None:
    return await initiatives.by_code(session, code, fresh=True)


# --- the compare-and-set ------------------------------------------------------------------------


async def _refused_now(session: AsyncSession, ini_id: int) -> Refused:
    current = await get(session, ini_id)
    if current is None:
        return Refused("gone")
    if current.status in PENDING:
        who = await staff.display_name(session, current.reviewer_id)
        return Refused("taken", current.status, who, current.updated_at)
    who = await staff.display_name(session, current.decided_by)
    return Refused("handled", current.status, who, current.decided_at)


async def cas(session: AsyncSession, ini: Initiative, **values: Any) -> None:
    """Apply ``values`` only if nobody changed the initiative since it was read."""
    now = values.pop("now", None) or utcnow()
    values.update(version=ini.version + 1, updated_at=now)
    result = await session.execute(
        update(Initiative)
        .where(Initiative.id == ini.id, Initiative.version == ini.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise await _refused_now(session, ini.id)
    for key, value in values.items():  # the object now mirrors the row, with nothing left to flush
        set_committed_value(ini, key, value)


def event(
    session: AsyncSession, ini: Initiative, status: str, actor_id: int | None, note: str | None
) -> None:
    """A step of the initiative's public history."""
    session.add(InitiativeEvent(initiative_id=ini.id, status=status, actor_id=actor_id, note=note))


async def take(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, force: bool = False
) -> None:
    """Take the initiative into review (or keep it, if it is already the actor's). Someone else's
    fresh review is refused unless ``force`` (an admin reassigning it)."""
    if ini.status not in PENDING:
        who = await staff.display_name(session, ini.decided_by)
        raise Refused("handled", ini.status, who, ini.decided_at)
    if ini.status == "recibida":
        await cas(session, ini, status="en_revision", reviewer_id=actor_id)
        event(session, ini, "en_revision", actor_id, None)
        audit.record(session, actor_id, "review", ini.code, "recibida", "en_revision")
        notices.review(session, await session.get(User, ini.author_id), ini)
        return
    if ini.reviewer_id in (None, actor_id):
        if ini.reviewer_id is None:
            await cas(session, ini, reviewer_id=actor_id)
        return
    if not force and utcnow() - ini.updated_at < CLAIM_TTL:
        who = await staff.display_name(session, ini.reviewer_id)
        raise Refused("taken", ini.status, who, ini.updated_at)
    before = str(ini.reviewer_id)
    await cas(session, ini, reviewer_id=actor_id)
    audit.record(session, actor_id, "take_over", ini.code, before, str(actor_id))


async def decide(
    session: AsyncSession,
    ini: Initiative,
    actor_id: int,
    role: str | None,
    to: str,
    *,
    reason: str | None = None,
    public_note: str | None = None,
    **values: Any,
) -> None:
    """Move the initiative to ``to`` (taking it first), with its history step and audit entry."""
    await take(session, ini, actor_id, role)
    if not can(ini, to):
        raise Refused("impossible", ini.status)
    before = ini.status
    now = utcnow()
    decided = {"decided_by": actor_id, "decided_at": now} if to in DECISIONS else {}
    await cas(session, ini, status=to, now=now, **decided, **values)
    event(session, ini, to, actor_id, public_note)
    audit.record(session, actor_id, to, ini.code, before, to, reason)
