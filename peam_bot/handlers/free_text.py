"""Text a resident types outside any form: understood first (services/intents), then answered with the
screen it asks for — a greeting or thanks with a short word and the menu, "quiero inscribirme en un
taller" with the talleres, "¿cuándo es la próxima mesa?" with the mesas — and only what looks like a
project name searched in the portfolio."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import common, events, mesas, onboarding, portfolio, propose, tracking
from peam_bot.handlers.ui import MENU_PROPOSE, Registered, main_menu
from peam_bot.i18n import gettext as _
from peam_bot.services.intents import Kind, classify
from peam_bot.storage.models import User
from peam_bot.telegram.routing import Routes

routes = Routes("free-text")


class IntentCb(CallbackData, prefix="it"):
    action: str  # propose


def greeting_text() -> str:
    return _(
        "¡Hola! Soy el asistente del Plan Estratégico de Arequipa (PEAM).\n"
        "Elija una opción del menú, o escríbame qué busca: talleres, mesas o el nombre de un proyecto."
    )


def thanks_text() -> str:
    return _("¡Con gusto! Aquí estoy cuando me necesite.")


def propose_offer() -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "¿Quiere enviar una iniciativa para su barrio o distrito a la oficina técnica AQPlan?\n"
        "Son 7 pasos cortos y nada se envía hasta que usted lo confirme."
    )
    button = InlineKeyboardButton(text=_(MENU_PROPOSE), callback_data=IntentCb(action="propose").pack())
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


@routes.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def free_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
) -> None:
    """Each intent is answered by the handler of its command (the same function), so the screen is
    the one the command shows."""
    text = message.text or ""
    intent = classify(text)
    match intent.kind:
        case Kind.GREETING:
            await message.answer(greeting_text(), reply_markup=main_menu())
        case Kind.THANKS:
            await message.answer(thanks_text(), reply_markup=main_menu())
        case Kind.HELP:
            await common.help_command(message, state, session, user, locale, settings)
        case Kind.EVENTS:
            await events.talleres(message, session, locale)
        case Kind.MESAS:
            await mesas.mesas_command(message, session, locale)
        case Kind.MY_REGISTRATIONS:
            await events.my_registrations(message, session, user, locale)
        case Kind.PROPOSE:
            offer, markup = propose_offer()
            await message.answer(offer, reply_markup=markup)
        case Kind.MY_INITIATIVES:
            await tracking.my_initiatives(message, session, user, locale)
        case Kind.STATUS if intent.code:
            await tracking.show_status(message, session, intent.code, locale, user)
        case Kind.STATUS:
            await tracking.status_command(message, session, user, locale, settings)
        case Kind.PROJECTS:
            await portfolio.projects_menu(message, session)
        case Kind.FOLLOW:
            await portfolio.following(message, session, user, locale)
        case Kind.LANGUAGE:
            await common.language(message)
        case Kind.DISTRICT:
            await onboarding.change_district(message, state, session, user)
        case _:
            await portfolio.run_search(message, session, intent.query or text, user, locale, settings)


@routes.callback_query(IntentCb.filter(F.action == "propose"), StateFilter(None), Registered())
async def propose_button(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await propose.start_form(query.message, state, session, user, locale)
