"""The safety net under every handler: an update whose handling fails still gets an answer.

The update's transaction is rolled back by `DbSessionMiddleware` (what it had committed before its
Telegram calls stays: the form's earlier steps are never lost); the resident is told, in their
language, that the failure is ours and that they can try again; the log gets the update's id and
type and the exception's type and place — never its message, which can carry personal data."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, ErrorEvent, InlineQuery, Message

from peam_bot.diagnostics import describe
from peam_bot.i18n import N_, gettext, pick_locale

log = logging.getLogger("peam_bot.errors")

SORRY = N_("Algo falló de nuestro lado; lo que escribió está guardado. Intente otra vez.")


async def on_error(event: ErrorEvent, **data: Any) -> bool:
    update = event.update
    log.error("update id=%s type=%s failed: %s", update.update_id, update.event_type, describe(event.exception))
    inner = update.event
    user = getattr(inner, "from_user", None)
    locale = data.get("locale") or pick_locale(user.language_code if user else None)
    text = gettext(SORRY, locale)
    try:
        if isinstance(inner, CallbackQuery):
            await _answer_press(inner, text)
        elif isinstance(inner, Message) and inner.chat.type == "private":
            await inner.answer(text)
        elif isinstance(inner, InlineQuery):
            await inner.answer([], cache_time=0)
    except Exception as exc:  # noqa: BLE001 - Telegram itself may be what failed
        log.warning("update id=%s: the apology could not be sent: %s", update.update_id, type(exc).__name__)
    return True


async def _answer_press(query: CallbackQuery, text: str) -> None:
    """An alert on the pressed button; if the handler had already answered the press (most do so
    first), a message in the private chat instead."""
    try:
        await query.answer(text, show_alert=True)
        return
    except TelegramBadRequest:
        pass
    message = query.message
    if message is not None and message.chat.type == "private":
        await query.bot.send_message(message.chat.id, text)  # type: ignore[union-attr]


def setup_errors(dp: Dispatcher) -> None:
    dp.errors.register(on_error)
