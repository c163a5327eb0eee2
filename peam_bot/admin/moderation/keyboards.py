"""The callback data of the moderation's buttons (CallbackData classes) and the triage buttons."""

from __future__ import annotations

from enum import StrEnum

from aiogram import F
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import InlineKeyboardButton

from peam_bot.i18n import gettext as _


class TriageAction(StrEnum):
    """What a triage button does. The values are the codes on the wire, as they always were: the
    buttons of staff messages sent before keep working, and callback data stays short (≤ 64 bytes)."""

    OPEN = "opn"  # the card in a new message (an entry of /cola)
    BACK = "back"  # out of a second step: the card's own buttons
    ACCEPT = "acc"  # Aceptar / Vincular: a new project or a similar one?
    NEW_PROJECT = "new"
    LINK = "lnk"  # arg: the project's code
    REQUEST_INFO = "inf"  # the question is typed next
    REJECT = "rej"  # which reason?
    SHOW_REASON = "rjt"  # arg: a template's id
    WRITE_REASON = "rjw"  # arg: the template to start from, or none
    SEND_REASON = "rjs"  # arg: a template's id, or "c": the reason typed in the conversation
    DUPLICATE = "dup"  # of which one?
    TYPE_ORIGINAL = "dpw"  # the original's code is typed next
    DUPLICATE_OF = "dpo"  # arg: the original's id
    ASSIGN = "asg"  # to whom?
    ASSIGN_TO = "asu"  # arg: the moderator's user id
    ASSIGN_MESA = "asm"  # arg: the theme's slug
    HIDE = "hid"  # asks for a confirmation
    CONFIRM_HIDE = "hdc"
    BLOCK = "blk"  # the reason is typed next
    UNHIDE = "unh"  # admins
    UNBLOCK = "unb"  # admins


class TriageCb(CallbackData, prefix="mq"):
    """``mq:<action>:<initiative id>:<arg>``. The action is kept a plain str, not a TriageAction: a
    code this version does not know (a button of an older one, a forged press) still unpacks, so the
    role check runs and the triage's last handler answers it."""

    action: str
    id: int
    arg: str = ""


def on(action: TriageAction) -> CallbackQueryFilter:
    """The filter of one action's buttons."""
    return TriageCb.filter(F.action == action)


class QueueCb(CallbackData, prefix="mc"):
    action: str  # page | fd (choose district) | ft (choose theme)
    page: int = 0
    d: int = -1  # index in the district list, -1: any
    t: int = -1  # index in the theme list, -1: any


class TplCb(CallbackData, prefix="mt"):
    action: str  # edit | del (asks) | delc (deletes) | list | new
    id: int = 0


def button(text: str, action: TriageAction, ini_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=TriageCb(action=action, id=ini_id, arg=arg).pack())


def back_row(ini_id: int) -> list[InlineKeyboardButton]:
    return [button(_("↩️ Volver"), TriageAction.BACK, ini_id)]
