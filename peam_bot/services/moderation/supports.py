"""Residents' supports (Apoyar) of a public initiative: one each, withdrawable, not their own."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.moderation.states import PENDING
from peam_bot.storage.models import Initiative, InitiativeSupport


def is_public(ini: Initiative) -> bool:
    return not ini.hidden and ini.status not in ("rechazada", "duplicada")


def can_support(ini: Initiative) -> bool:
    """Supports count while a decision is pending; afterwards residents follow the project."""
    return is_public(ini) and ini.status in PENDING


async def is_supporter(session: AsyncSession, ini_id: int, user_id: int) -> bool:
    stmt = select(InitiativeSupport.user_id).where(
        InitiativeSupport.initiative_id == ini_id, InitiativeSupport.user_id == user_id
    )
    return (await session.execute(stmt)).first() is not None


async def supporters(session: AsyncSession, ini_id: int) -> list[int]:
    rows = await session.execute(
        select(InitiativeSupport.user_id).where(InitiativeSupport.initiative_id == ini_id)
    )
    return list(rows.scalars())


async def recount(session: AsyncSession, ini_id: int) -> int:
    """Store the initiative's count of supports (as the rows have them now); returns it."""
    count = (
        await session.execute(select(func.count()).where(InitiativeSupport.initiative_id == ini_id))
    ).scalar_one()
    await session.execute(update(Initiative).where(Initiative.id == ini_id).values(supports=count))
    return int(count)


async def support(session: AsyncSession, ini: Initiative, user_id: int) -> int:
    """Apoyar (idempotent: a double tap counts once). Returns the new count."""
    if not can_support(ini):
        raise Refused("not_public", ini.status)
    if ini.author_id == user_id:
        raise Refused("own", ini.status)
    try:
        async with session.begin_nested():
            await session.execute(insert(InitiativeSupport).values(initiative_id=ini.id, user_id=user_id))
    except IntegrityError:
        pass
    ini.supports = await recount(session, ini.id)
    return ini.supports


async def withdraw_support(session: AsyncSession, ini: Initiative, user_id: int) -> int:
    await session.execute(
        delete(InitiativeSupport).where(
            InitiativeSupport.initiative_id == ini.id, InitiativeSupport.user_id == user_id
        )
    )
    ini.supports = await recount(session, ini.id)
    return ini.supports
