"""Residents: consent, district, language, reachability."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.storage import hot
from peam_bot.storage.models import User, utcnow

CONSENT_VERSION = "2026-11"


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await hot.get(session, User, user_id)  # every update loads the sender: the short path


async def accept_consent(session: AsyncSession, user_id: int, locale: str) -> User:
    """Create the resident's record: the first thing stored about them, only after consent."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, locale=locale, consent_at=utcnow(), consent_version=CONSENT_VERSION)
        session.add(user)
    else:
        user.consent_at = utcnow()
        user.consent_version = CONSENT_VERSION
    return user


async def set_district(session: AsyncSession, user: User, district: str) -> None:
    user.district = district


async def set_locale(session: AsyncSession, user: User, locale: str) -> None:
    user.locale = locale


async def mark_reachable(session: AsyncSession, user: User) -> None:
    if user.unreachable_at is not None:
        user.unreachable_at = None


async def mark_unreachable(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(unreachable_at=utcnow()))
