"""Role checks for every staff route, on the server, at the moment of the action.

Each staff handler is registered with ``flags={"permission": "<permission>"}`` (see
:data:`peam_bot.services.staff.PERMISSIONS`). :class:`StaffAccessMiddleware` runs after the filters
matched and before the handler: it reads the caller's role from the database (never from the
button or the conversation state) and, when the role does not allow the action, answers with a
neutral refusal, logs the attempt without personal data, and changes nothing. A staff handler
registered without a permission flag is refused for everyone (deny by default).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.i18n import current_locale
from peam_bot.i18n import gettext as _
from peam_bot.services import staff
from peam_bot.services.rendering import STAFF_LOCALE
from peam_bot.telegram.routing import Routes

log = logging.getLogger("peam_bot.staff")

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def refusal_text() -> str:
    return _("Esta opción no está disponible.")


def log_refusal(event: TelegramObject, what: str) -> None:
    log.warning("staff action refused type=%s route=%s", type(event).__name__, what)  # no ids, no text


async def refuse(event: TelegramObject, what: str) -> None:
    log_refusal(event, what)
    if isinstance(event, CallbackQuery):
        await event.answer(refusal_text(), show_alert=True)
    elif isinstance(event, Message):
        await event.answer(refusal_text())


class StaffAccessMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        permission = get_flag(data, "permission")
        user = getattr(event, "from_user", None)
        session: AsyncSession = data["session"]
        settings: Settings = data["settings"]
        name = getattr(data.get("handler"), "callback", None)
        route = getattr(name, "__name__", "?")
        if permission is None or user is None:
            await refuse(event, route)
            return None
        role = await staff.role_of(session, settings.admin_ids, user.id)
        if role not in staff.PERMISSIONS.get(permission, frozenset()):
            state = data.get("state")
            current = await state.get_state() if state is not None else None
            group = current.split(":")[0] if current else None
            needs = STATE_PERMISSIONS.get(group or "")
            if group in STAFF_STATE_GROUPS and (needs is None or role not in staff.PERMISSIONS[needs]):
                await state.clear()  # a staff flow left half-way by someone who lost the role: end it
            await refuse(event, route)
            return None
        data["role"] = role
        await staff.touch_name(
            session, user.id, user.full_name, bootstrap_admin=user.id in settings.admin_ids
        )
        # Staff screens are in Spanish for everyone, like the cards the staff group shares (one
        # moderator's /idioma would otherwise mix English menus into Spanish cards).
        token = current_locale.set(STAFF_LOCALE)
        try:
            return await handler(event, data)
        finally:
            current_locale.reset(token)


STAFF_STATE_GROUPS: set[str] = set()
STATE_PERMISSIONS: dict[str, str] = {}  # group -> the permission its flow needs, when registered with one


def register_states(*groups: type, permission: str | None = None) -> None:
    """Staff FSM state groups: cleared when the role is gone. With `permission`, only when the role no
    longer has it: a refused command typed in the middle (an organizador's /cola) keeps the flow."""
    STAFF_STATE_GROUPS.update(g.__name__ for g in groups)
    if permission is not None:
        STATE_PERMISSIONS.update((g.__name__, permission) for g in groups)


class StaffChat(Filter):
    """Private chat, or the AQPlan staff group (PEAM_STAFF_CHAT_ID); other groups are ignored."""

    async def __call__(self, event: TelegramObject, settings: Settings) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(event, InlineQuery) or not isinstance(message, Message):
            return False
        return message.chat.type == "private" or message.chat.id == settings.staff_chat_id


class MaybeStaffMessage(Filter):
    """The guarded routers' first check of a message. Every staff message handler needs a command
    (which residents must reach too, to be refused), a staff conversation state, or — outside any
    conversation — a file sent or a message forwarded (:class:`HasPermission` catch-alls). A
    resident's ordinary message (the form's texts, photos and locations) is then passed on to the
    resident handlers after this one check instead of being tried against each staff handler in
    turn (about two dozen filter checks: a visible part of every update's cost).
    `tests/test_staff_routes.py` checks that every staff message handler needs one of these."""

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        text = message.text or message.caption
        if text is not None and text.startswith("/"):
            return True
        if raw_state is not None:
            return raw_state.split(":", 1)[0] in STAFF_STATE_GROUPS
        return message.document is not None or message.forward_origin is not None


class HasPermission(Filter):
    """For catch-all staff routes (a file sent, a forwarded message) that must let residents'
    messages fall through to the resident handlers instead of refusing them."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, event: TelegramObject, session: AsyncSession, settings: Settings) -> bool:
        user = getattr(event, "from_user", None)
        return user is not None and await staff.allowed(session, settings.admin_ids, user.id, self.permission)


def staff_routes(name: str) -> Routes:
    """A Routes collection for staff handlers: private chats and the staff group."""
    return Routes(name, private_only=False)


def guard(router: Any) -> Any:
    router.message.filter(StaffChat(), MaybeStaffMessage())
    router.callback_query.filter(StaffChat())
    router.message.middleware(StaffAccessMiddleware())
    router.callback_query.middleware(StaffAccessMiddleware())
    return router


__all__ = [
    "F", "StaffAccessMiddleware", "StaffChat", "HasPermission", "MaybeStaffMessage", "guard", "refuse",
    "staff_routes",
]  # fmt: skip
