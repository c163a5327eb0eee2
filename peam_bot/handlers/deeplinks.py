"""`/start <payload>` deep links, opened after onboarding. Other features register their prefixes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.i18n import gettext as _
from peam_bot.storage.models import User

Opener = Callable[[Message, FSMContext, AsyncSession, User, str, Settings], Awaitable[None]]
_openers: dict[str, Opener] = {}


def register(prefix: str) -> Callable[[Opener], Opener]:
    """`prefix` is matched before the first "_": `ini_INI-2026-00001` → opener "ini" gets the rest."""

    def deco(fn: Opener) -> Opener:
        _openers[prefix] = fn
        return fn

    return deco


async def open_payload(
    message: Message, state: FSMContext, session: AsyncSession, user: User, payload: str, settings: Settings
) -> None:
    prefix, _sep, rest = payload.partition("_")
    opener = _openers.get(prefix)
    if opener is None:
        await message.answer(_("No reconocí ese enlace. Use el menú para continuar."))
        return
    await opener(message, state, session, user, rest, settings)
