"""The staff card on screen: show it, swap its buttons for an action's second step, ask for a typed
text (a ForceReply), and bring it up to date once a step is stored (or tell why it was refused);
and what every triage button does first (:func:`pressed`) and on a refusal (:func:`refusals`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.moderation.keyboards import TriageCb, back_row, keyboard
from peam_bot.i18n import gettext as _
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import announcements, cards, workflow
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative
from peam_bot.telegram.client import edit_text


async def markup_of(session: AsyncSession, ini: Initiative) -> InlineKeyboardMarkup:
    """The card's own buttons, for the actions possible now."""
    return keyboard(await cards.buttons_for(session, ini))


async def show_card(message: Message, session: AsyncSession, ini: Initiative, in_place: bool) -> None:
    text = await cards.staff_card(session, ini)
    markup = await markup_of(session, ini)
    if in_place:
        await edit_text(message, text, markup)
    else:
        await message.answer(text, reply_markup=markup, disable_web_page_preview=True)


async def refused(query: CallbackQuery, session: AsyncSession, exc: Refused, ini_id: int) -> None:
    """Tell the moderator why nothing happened and bring their message up to date."""
    await query.answer(truncate(exc.message("es"), 190), show_alert=True)
    ini = await workflow.get(session, ini_id)
    if ini is not None and isinstance(query.message, Message):
        await show_card(query.message, session, ini, in_place=True)


def here(query: CallbackQuery) -> tuple[int, int] | None:
    return (query.message.chat.id, query.message.message_id) if isinstance(query.message, Message) else None


async def done(query: CallbackQuery, session: AsyncSession, ini: Initiative, note: str) -> None:
    await announcements.refresh_announcement(session, ini, except_message=here(query))
    await session.commit()  # the moderator sees the outcome once it is stored, not before
    await query.answer(truncate(note, 190))
    if isinstance(query.message, Message):
        await show_card(query.message, session, ini, in_place=True)


async def second_step(
    query: CallbackQuery,
    session: AsyncSession,
    ini: Initiative,
    heading: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """Swap the card's buttons for the choices of the action's second step (with a way back)."""
    assert isinstance(query.message, Message)
    rows.append(back_row(ini.id))
    await query.answer()
    await edit_text(
        query.message,
        await cards.staff_card(session, ini) + "\n\n" + heading,
        InlineKeyboardMarkup(inline_keyboard=rows),
    )
    await announcements.refresh_announcement(session, ini, except_message=here(query))


async def ask_text(
    query: CallbackQuery, state: FSMContext, ini: Initiative, kind: State, prompt: str, **data: Any
) -> None:
    await state.set_state(kind)
    await state.set_data({"ini": ini.id, **data})
    await query.answer()
    if isinstance(query.message, Message):
        # in the group several moderators read along: say whose question it is
        who = f"{esc(query.from_user.first_name)}: " if query.message.chat.type != "private" else ""
        await query.message.answer(
            who + prompt[0].upper() + prompt[1:] + "\n" + _("Responda a este mensaje. Para salir: /cancelar"),
            reply_markup=ForceReply(selective=True, input_field_placeholder=_("Escriba aquí")),
        )


async def pressed(
    query: CallbackQuery, session: AsyncSession, cb: TriageCb
) -> tuple[Initiative, Message] | None:
    """The initiative a button is about, as stored now, and the message the button is on; None
    (the press answered) when either is gone."""
    ini = await workflow.get(session, cb.id)
    if ini is None or not isinstance(query.message, Message):
        await query.answer(_("Ese elemento ya no existe."), show_alert=True)
        return None
    return ini, query.message


@asynccontextmanager
async def refusals(query: CallbackQuery, session: AsyncSession, ini_id: int) -> AsyncIterator[None]:
    """A step the service refused is told to the moderator (and their message brought up to date);
    a reason that no longer passes the checks ends the step."""
    try:
        yield
    except Refused as exc:
        await refused(query, session, exc, ini_id)
    except InvalidInput:
        await query.answer(
            _("Ese paso se canceló. Pulse Rechazar de nuevo para elegir el motivo."), show_alert=True
        )
