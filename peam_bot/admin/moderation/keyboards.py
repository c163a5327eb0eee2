"""The callback data of the moderation's buttons (CallbackData classes) and small button makers."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from peam_bot.i18n import gettext as _


class TriageCb(CallbackData, prefix="mq"):
    action: str
    id: int
    arg: str = ""


class QueueCb(CallbackData, prefix="mc"):
    action: str  # page | fd (choose district) | ft (choose theme)
    page: int = 0
    d: int = -1  # index in the district list, -1: any
    t: int = -1  # index in the theme list, -1: any


class TplCb(CallbackData, prefix="mt"):
    action: str  # edit | del (asks) | delc (deletes) | list | new
    id: int = 0


def button(text: str, action: str, ini_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=TriageCb(action=action, id=ini_id, arg=arg).pack())


def back_row(ini_id: int) -> list[InlineKeyboardButton]:
    return [button(_("↩️ Volver"), "back", ini_id)]
