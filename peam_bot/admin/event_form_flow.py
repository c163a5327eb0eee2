"""How the staff event form moves: the draft kept in the conversation state, asking the current step
(in place of the pressed message after a button), going to the next step or back to the review
screen."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.event_form_ui import (
    STEP_BY_NAME,
    STEPS,
    EventForm,
    applies,
    discard_keyboard,
    prompt,
    review,
)
from peam_bot.i18n import gettext as _
from peam_bot.services import event_drafts
from peam_bot.services.event_drafts import EventDraft
from peam_bot.telegram.client import edit_text

PERM = {"permission": "events"}


async def load(state: FSMContext) -> tuple[EventDraft, dict[str, Any]]:
    data = await state.get_data()
    return EventDraft.from_dict(data.get("draft")), data


async def save(state: FSMContext, draft: EventDraft, **extra: object) -> None:
    await state.update_data(draft=draft.to_dict(), **extra)


async def show(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    note: str | None = None,
    press: CallbackQuery | None = None,
) -> None:
    """Ask the current step (or show the review screen). After a button press the pressed message
    becomes the next question, what was chosen (`note`) on top: one message per step."""
    draft, data = await load(state)
    current = await state.get_state() or ""
    if current == EventForm.review.state:
        text, markup = await review(session, draft, data.get("code"), int(data.get("registrations", 0)))
    elif current == EventForm.discard.state:
        text, markup = _("¿Descarta este evento? Se borrará lo que escribió."), discard_keyboard()
    else:
        text, markup = await prompt(
            current, draft, session, bool(data.get("editing")), data.get("staff_name", "")
        )
    if note:
        text = f"{note}\n\n{text}"
    if press is not None and isinstance(press.message, Message):
        await press.answer()
        await edit_text(press.message, text, markup)
        return
    await message.answer(text, reply_markup=markup, disable_web_page_preview=True)


async def next_step(state: FSMContext, session: AsyncSession, draft: EventDraft) -> State:
    data = await state.get_data()
    current = await state.get_state() or ""
    if data.get("editing"):
        follow = follow_up(current, draft, bool(await event_drafts.mesas(session)))
        if follow is not None:
            return follow
        await state.update_data(editing=False)
        return EventForm.review
    has_mesas = bool(await event_drafts.mesas(session)) if draft.kind == "mesa" else False
    index = STEPS.index(STEP_BY_NAME[current]) + 1 if current in STEP_BY_NAME else 0
    for step in STEPS[index:]:
        if applies(step, draft, has_mesas):
            return step
    return EventForm.review


def follow_up(current: str, draft: EventDraft, has_mesas: bool) -> State | None:
    """While correcting one field: a field the change made necessary (a mesa's session needs its
    mesa; a start after the end needs a new end)."""
    if current == EventForm.kind.state and draft.kind == "mesa" and has_mesas and draft.mesa_id is None:
        return EventForm.mesa
    if current == EventForm.start.state and draft.ends_at is not None and draft.starts_at is not None:
        if draft.ends_at <= draft.starts_at:
            return EventForm.end
    return None


async def go(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    draft: EventDraft,
    note: str | None = None,
    press: CallbackQuery | None = None,
) -> None:
    """Keep the draft, then ask the next step (or go back to the review screen)."""
    await save(state, draft)
    await state.set_state(await next_step(state, session, draft))
    await show(message, state, session, note, press)
