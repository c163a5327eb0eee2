"""The Mesas de Concertación Ciudadana as standing bodies: their members (residents, for themselves or
for an organization) who join and leave from the bot, their sessions (events of type mesa), and the
convocation of every member to a new session through the outbox. No aiogram here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services import events
from peam_bot.services.text import esc
from peam_bot.storage.event_models import Event, Mesa, MesaMember
from peam_bot.storage.models import User, utcnow

# How an event card's button is made (its callback data belongs to the Telegram layer, which installs
# this when imported: `peam_bot.handlers.events`).
CardButton = Callable[[str, str], dict[str, str]]
_card_button: list[CardButton] = []


def install_card_button(make: CardButton) -> None:
    _card_button[:] = [make]


async def all_mesas(session: AsyncSession) -> list[Mesa]:
    return list((await session.execute(select(Mesa).order_by(Mesa.id))).scalars())


async def mesa_name(session: AsyncSession, code: str | None) -> str:
    """A mesa's name by its code (the code itself if there is no such mesa)."""
    if not code:
        return "—"
    name = await session.scalar(select(Mesa.name).where(Mesa.code == code))
    return name or code


async def members_count(session: AsyncSession, mesa_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(MesaMember).where(MesaMember.mesa_id == mesa_id, MesaMember.left_at.is_(None))
        )
        or 0
    )


async def membership(session: AsyncSession, mesa_id: int, user_id: int) -> MesaMember | None:
    return (
        await session.execute(select(MesaMember).where(MesaMember.mesa_id == mesa_id, MesaMember.user_id == user_id))
    ).scalar_one_or_none()


async def is_member(session: AsyncSession, mesa_id: int, user_id: int) -> bool:
    found = await membership(session, mesa_id, user_id)
    return found is not None and found.left_at is None


async def join(session: AsyncSession, mesa: Mesa, user: User, name: str) -> bool:
    """Join (or join again); False if already a member. The organization remembered for events is
    the one the member represents."""
    found = await membership(session, mesa.id, user.id)
    if found is not None and found.left_at is None:
        return False
    if found is None:
        found = MesaMember(mesa_id=mesa.id, user_id=user.id, name=name)
        session.add(found)
    found.name, found.organization, found.organization_type = name, user.organization, user.organization_type
    found.joined_at, found.left_at = utcnow(), None
    await session.flush()
    return True


async def leave(session: AsyncSession, mesa: Mesa, user_id: int) -> bool:
    found = await membership(session, mesa.id, user_id)
    if found is None or found.left_at is not None:
        return False
    found.left_at = utcnow()
    await session.flush()
    return True


async def next_sessions(session: AsyncSession, mesa_id: int, now: datetime, limit: int = 3) -> list[Event]:
    rows = await session.execute(
        select(Event)
        .where(Event.mesa_id == mesa_id, Event.ends_at > now, Event.status.in_(events.OPEN))
        .order_by(Event.starts_at)
        .limit(limit)
    )
    return list(rows.scalars())


async def convene(session: AsyncSession, event: Event) -> int:
    """Queue the convocation of a new mesa session to every member, each in their language, with a
    button that opens the session's card. Returns how many were convened."""
    if event.mesa_id is None:
        return 0
    mesa = await session.get(Mesa, event.mesa_id)
    rows = await session.execute(
        select(User.id, User.locale)
        .join(MesaMember, MesaMember.user_id == User.id)
        .where(MesaMember.mesa_id == event.mesa_id, MesaMember.left_at.is_(None), User.unreachable_at.is_(None))
    )
    n = 0
    for user_id, locale in rows.all():
        text = gettext(
            "📣 <b>Convocatoria · {mesa}</b>\n{title}\n🗓 {when}\n📍 {place}\nInscríbase para reservar su lugar.",
            locale,
        ).format(
            mesa=esc(mesa.name if mesa else ""), title=esc(event.title), when=esc(events.when(event, locale)),
            place=esc(", ".join(p for p in (event.venue, event.address) if p)),
        )  # fmt: skip
        markup = (
            {"inline_keyboard": [[_card_button[0](gettext("Ver la sesión", locale), event.code)]]} if _card_button else None
        )
        outbox.enqueue_text(session, user_id, text, markup, ref=f"convene:{event.id}:{user_id}")
        n += 1
    return n
