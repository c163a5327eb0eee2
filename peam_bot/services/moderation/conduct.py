"""Abusive content and authors: hide an initiative from the public (Ocultar), stop its author from
sending more (Bloquear), and undo both (admins only). Each is told to the resident once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit
from peam_bot.services.moderation import notices
from peam_bot.services.moderation.decisions import validate_reason
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.moderation.workflow import cas
from peam_bot.storage.models import Initiative, User, utcnow


async def hide(session: AsyncSession, ini: Initiative, actor_id: int, reason: str | None = None) -> None:
    if ini.hidden:
        raise Refused("impossible", ini.status)
    await cas(session, ini, hidden=True)
    audit.record(session, actor_id, "hide", ini.code, "visible", "oculta", reason)
    author = await session.get(User, ini.author_id)
    if author is not None:
        notices.hidden(session, author, ini)


async def unhide(session: AsyncSession, ini: Initiative, actor_id: int) -> None:
    if not ini.hidden:
        raise Refused("impossible", ini.status)
    await cas(session, ini, hidden=False)
    audit.record(session, actor_id, "unhide", ini.code, "oculta", "visible")
    author = await session.get(User, ini.author_id)
    if author is not None:
        notices.shown_again(session, author, ini)


async def block(session: AsyncSession, user_id: int, actor_id: int, reason: str) -> bool:
    """Stop a resident from submitting initiatives; they are told once, with the reason."""
    reason = validate_reason(reason)
    if user_id == actor_id:
        raise Refused("own")
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return False
    user.blocked_at = utcnow()
    user.blocked_reason = reason
    await session.flush()
    audit.record(session, actor_id, "block", f"user:{user_id}", None, "blocked", reason)
    notices.blocked(session, user, reason)
    return True


async def unblock(session: AsyncSession, user_id: int, actor_id: int) -> bool:
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is None:
        return False
    before = user.blocked_reason
    user.blocked_at = None
    user.blocked_reason = None
    await session.flush()
    audit.record(session, actor_id, "unblock", f"user:{user_id}", before, None)
    notices.unblocked(session, user)
    return True
