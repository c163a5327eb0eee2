"""/proponer's review screen: correcting one field (and leaving it as it was), Enviar, the screen of
similar initiatives (send anyway, review again, do not send) and the submission."""

from __future__ import annotations

from datetime import datetime

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers.propose_flow import ask, go, load, save, settle_press
from peam_bot.handlers.propose_ui import blocked_text, similar_list
from peam_bot.handlers.ui import FormCb, Propose, answer_and, main_menu
from peam_bot.i18n import gettext as _
from peam_bot.services import initiatives
from peam_bot.services.initiatives import Draft
from peam_bot.storage.models import User
from peam_bot.telegram.routing import Routes

routes = Routes("propose-review")

EDIT_TARGETS = {
    "edit_title": Propose.title,
    "edit_description": Propose.description,
    "edit_district": Propose.district,
    "edit_theme": Propose.theme,
    "edit_photos": Propose.photos,
    "edit_location": Propose.location,
    "edit_org": Propose.org,
}


@routes.callback_query(FormCb.filter(F.action.in_(set(EDIT_TARGETS))), Propose.review)
async def edit_field(
    query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    if (message := await settle_press(query)) is None:
        return
    target = EDIT_TARGETS[callback_data.action]
    await state.update_data(editing=True, photos_replaced=False)
    await state.set_state(target)
    await ask(message, state, session, locale)


@routes.callback_query(FormCb.filter(F.action == "back_review"), Propose.similar)
async def back_to_review(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    if (message := await settle_press(query)) is None:
        return
    await go(message, state, session, locale, Propose.review.state)


@routes.callback_query(FormCb.filter(F.action == "send"), Propose.review)
async def send(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
) -> None:
    if not isinstance(query.message, Message):
        return
    draft, _d = await load(state)
    if draft.missing():
        await query.answer()
        await go(query.message, state, session, locale, getattr(Propose, draft.missing()[0]).state)
        return
    similar = await initiatives.find_similar(session, draft)
    await answer_and(query, query.message.edit_reply_markup(reply_markup=None))
    if similar:
        await state.set_state(Propose.similar)
        # the list, then the question
        await ask(query.message, state, session, locale, similar_list(similar, locale))
        return
    await submit(query.message, state, session, user, draft, settings)


@routes.callback_query(FormCb.filter(F.action == "send_anyway"), Propose.similar)
async def send_anyway(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, settings: Settings
) -> None:
    if (message := await settle_press(query)) is None:
        return
    draft, _d = await load(state)
    await submit(message, state, session, user, draft, settings)


async def submit(
    message: Message, state: FSMContext, session: AsyncSession, user: User, draft: Draft, settings: Settings
) -> None:
    if user.blocked_at is not None:  # blocked while the form was open: the draft is kept, not sent
        await message.answer(blocked_text(), reply_markup=main_menu())
        return
    year = datetime.now(settings.tz).year
    ini = await initiatives.submit(session, user.id, draft, settings.staff_chat_id, year)
    await state.clear()
    # Submitting takes SQLite's write lock (the code counter); commit before talking to Telegram so
    # other residents' updates do not wait behind this reply. The middleware's commit is then empty.
    await session.commit()
    await message.answer(
        _(
            "✅ Recibimos su iniciativa. Su código es <b>{code}</b>.\n"
            "La oficina técnica AQPlan la revisará; suele tardar unos 10 días hábiles. "
            "Le avisaremos por aquí cuando cambie su estado.\n"
            "Puede consultarla cuando quiera con /estado {code}"
        ).format(code=ini.code),
        reply_markup=main_menu(),
    )


@routes.callback_query(FormCb.filter(F.action == "stop"), Propose.similar)
async def stop(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    if (message := await settle_press(query)) is not None:
        await message.answer(
            _("Entendido, no envié su iniciativa y no guardé nada de ella."), reply_markup=main_menu()
        )


@routes.callback_query(FormCb.filter(F.action == "keep"), StateFilter(Propose))
async def keep(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    if (message := await settle_press(query)) is None:
        return
    await state.update_data(editing=False)
    await state.set_state(Propose.review)
    await ask(message, state, session, locale)


@routes.callback_query(FormCb.filter(F.action == "keep_name"), Propose.org_name)
async def keep_org_name(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    """Only the organisation's type was corrected: the name stays, the new type applies."""
    if (message := await settle_press(query)) is None:
        return
    draft, data = await load(state)
    draft.org_type = data.get("org_type_pending") or draft.org_type
    await save(state, draft)
    await state.update_data(editing=False)
    await state.set_state(Propose.review)
    await ask(message, state, session, locale)
