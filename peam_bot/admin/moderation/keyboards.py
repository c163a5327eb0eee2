"""The callback data of the moderation's buttons (CallbackData classes), the triage buttons, and the
markup of the buttons the services describe as plain data (see
:mod:`peam_bot.services.moderation.buttons`): :func:`keyboard` for a handler's message,
:func:`bot_api_markup` for an outbox row, installed as the services' renderer on import."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from peam_bot.handlers.tracking import AnswerCb
from peam_bot.i18n import gettext as _
from peam_bot.services.moderation import buttons
from peam_bot.services.moderation.buttons import Action, Button


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


class QueueCb(CallbackData, prefix="mc"):
    action: str  # page | fd (choose district) | ft (choose theme)
    page: int = 0
    d: int = -1  # index in the district list, -1: any
    t: int = -1  # index in the theme list, -1: any


class TplCb(CallbackData, prefix="mt"):
    action: str  # edit | del (asks) | delc (deletes) | list | new
    id: int = 0


def on(action: TriageAction) -> CallbackQueryFilter:
    """The filter of one action's buttons."""
    return TriageCb.filter(F.action == action)


def button(text: str, action: TriageAction, ini_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=TriageCb(action=action, id=ini_id, arg=arg).pack())


def back_row(ini_id: int) -> list[InlineKeyboardButton]:
    return [button(_("↩️ Volver"), TriageAction.BACK, ini_id)]


# --- the buttons the services describe ------------------------------------------------------------

_TRIAGE_ACTIONS = {
    Action.ACCEPT: TriageAction.ACCEPT,
    Action.REQUEST_INFO: TriageAction.REQUEST_INFO,
    Action.REJECT: TriageAction.REJECT,
    Action.DUPLICATE: TriageAction.DUPLICATE,
    Action.ASSIGN: TriageAction.ASSIGN,
    Action.HIDE: TriageAction.HIDE,
    Action.UNHIDE: TriageAction.UNHIDE,
    Action.BLOCK: TriageAction.BLOCK,
    Action.UNBLOCK: TriageAction.UNBLOCK,
}


def callback_data(b: Button) -> str:
    if b.action is Action.ANSWER:  # the author's Responder (handlers.tracking)
        return AnswerCb(id=b.initiative_id).pack()
    return TriageCb(action=_TRIAGE_ACTIONS[b.action], id=b.initiative_id).pack()


def keyboard(rows: buttons.Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=callback_data(b)) for b in row] for row in rows
        ]
    )


def bot_api_markup(rows: buttons.Rows) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": callback_data(b)} for b in row] for row in rows
        ]
    }


buttons.set_renderer(bot_api_markup)
