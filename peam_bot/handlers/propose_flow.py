"""How the /proponer form moves: the draft kept in the conversation, asking the current step's
question (in place of the pressed one after a button), going to the next step or back to review."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.handlers.propose_ui import prompt
from peam_bot.handlers.ui import Propose, answer_and
from peam_bot.i18n import gettext as _
from peam_bot.services.initiatives import Draft
from peam_bot.storage.fsm import note_data
from peam_bot.telegram.client import edit_text, not_modified

QUESTION = "question"  # conversation data: id of the newest message asking the current step


async def load(state: FSMContext) -> tuple[Draft, dict[str, Any]]:
    data = await state.get_data()
    return Draft.from_dict(data.get("draft")), data


async def save(state: FSMContext, draft: Draft, **extra: object) -> None:
    await state.update_data(draft=draft.to_dict(), **extra)


async def ask(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    note: str | None = None,
    press: CallbackQuery | None = None,
) -> None:
    """Ask the current step's question. After a button press (`press`), the message that carries the
    question becomes the next question — what was chosen (`note`) on top — instead of a new message
    below it: one message per step to read and scroll past, one request fewer on a slow connection.

    That message is the newest question sent (its id is kept in the conversation data): when the
    resident pressed an older copy of it (asked again after a wrong answer or /ayuda), the newest
    copy moves on and the pressed one loses its buttons, so the question to answer stays last."""
    draft, data = await load(state)
    # once new photos have started to replace the old ones, the usual photo step (send another or
    # Continuar, which returns to the review screen) says what is going on better than the edit prompt
    editing = bool(data.get("editing")) and not data.get("photos_replaced")
    text, markup = await prompt(await state.get_state(), draft, session, locale, editing)
    if note:
        text = f"{note}\n\n{text}"
    if press is not None:
        newest = data.get(QUESTION, message.message_id)
        if newest == message.message_id:
            await answer_and(press, edit_text(message, text, markup))
            return
        if await answer_and_edit_other(press, message, newest, text, markup, note):
            return
    sent = await message.answer(text, reply_markup=markup)
    await note_data(state, {QUESTION: sent.message_id})  # no second commit for it


async def resume(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    """After something else was shown in the middle of the form (help, a look at an initiative): the
    current question again, below it, saying that nothing was lost."""
    await ask(message, state, session, locale, _("Su iniciativa a medio llenar sigue guardada. Seguimos aquí:"))


async def answer_and_edit_other(
    press: CallbackQuery,
    pressed: Message,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None,
    note: str | None,
) -> bool:
    """An older copy of the question was pressed: the newest copy becomes the next question and the
    pressed one shows what was chosen there (`note`), without buttons. False when the newest copy
    cannot be edited any more (the resident deleted it): the caller then sends the question anew."""
    assert press.bot is not None
    edit = press.bot.edit_message_text(
        text=text, chat_id=pressed.chat.id, message_id=message_id, reply_markup=markup
    )
    try:
        await answer_and(press, edit)
    except TelegramBadRequest as exc:
        if not not_modified(exc):
            return False
    try:
        if note:
            await pressed.edit_text(note)
        else:
            await pressed.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass  # already as it should be
    return True


async def settle_press(query: CallbackQuery) -> Message | None:
    """Answer a button press and take the buttons off its message (the step is done)."""
    if not isinstance(query.message, Message):
        await query.answer()
        return None
    await answer_and(query, query.message.edit_reply_markup(reply_markup=None))
    return query.message


async def go(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    step: str,
    note: str | None = None,
    press: CallbackQuery | None = None,
) -> None:
    """Move to `step`, or back to the review screen when the resident was editing one field."""
    data = await state.get_data()
    if data.get("editing") and step != Propose.org_name.state:
        step = Propose.review.state
        await state.update_data(editing=False)
    await state.set_state(step)
    await ask(message, state, session, locale, note, press)
