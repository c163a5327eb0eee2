"""/start, the privacy notice (Ley 29733), district choice and deep links."""

from __future__ import annotations

import re

from aiogram import F
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks
from peam_bot.handlers.ui import (
    ConsentCb,
    DistrictCb,
    Onboarding,
    Registered,
    answer_and,
    chosen_district,
    consent_keyboard,
    district_keyboard,
    main_menu,
)
from peam_bot.i18n import gettext as _
from peam_bot.services import reference, users
from peam_bot.services.text import esc
from peam_bot.storage.models import User
from peam_bot.telegram.routing import Routes

routes = Routes("onboarding")

PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def welcome_text() -> str:
    return _(
        "👋 ¡Bienvenido(a)! Soy el asistente del <b>Plan Estratégico de Arequipa Metropolitana (PEAM)</b>.\n"
        "Por aquí puede proponer iniciativas para su distrito y seguir su estado, junto con la oficina técnica "
        "AQPlan de la Municipalidad."
    )


def privacy_text() -> str:
    return _(
        "🔒 <b>Sus datos personales</b>\n"
        "Para atender sus iniciativas guardaremos su número de usuario de Telegram, su distrito, su idioma y lo "
        "que usted nos envíe (textos, fotos y ubicación). Solo se usan para la participación en el PEAM.\n"
        "Los conservamos mientras participe y hasta 2 años después de su último mensaje.\n"
        "Responsable: Municipalidad Provincial de Arequipa, oficina técnica AQPlan. Según la Ley 29733 puede "
        "pedir acceso, corrección o eliminación de sus datos a la oficina AQPlan.\n\n"
        "¿Acepta que guardemos estos datos?"
    )


async def begin(message: Message, state: FSMContext, locale: str, payload: str | None) -> None:
    await state.set_state(Onboarding.consent)
    data = {"locale": locale}
    if payload:
        data["payload"] = payload
    await state.set_data(data)
    await message.answer(welcome_text())
    await message.answer(privacy_text(), reply_markup=consent_keyboard())


async def ask_district(
    message: Message, session: AsyncSession, page: str = "main", current: str | None = None
) -> None:
    question = _("¿En qué distrito vive? Elija uno de la lista.")
    if current is not None:
        question = (
            _("Ahora figura en <b>{district}</b>. Para dejarlo así, escriba /cancelar.").format(
                district=esc(await reference.district_name(session, current))
            )
            + "\n"
            + question
        )
    await message.answer(
        question, reply_markup=district_keyboard(await reference.districts(session), "on", page)
    )


async def finish(
    message: Message, state: FSMContext, session: AsyncSession, user: User, first: bool, settings: Settings
) -> None:
    payload = (await state.get_data()).get("payload")
    await state.clear()
    if payload and not first:  # a link or a QR scanned by someone we know: straight to it
        await deeplinks.open_payload(message, state, session, user, payload, settings)
        return
    name = await reference.district_name(session, user.district)
    text = (
        _("Listo, quedó registrado en {district}. ¿Qué desea hacer?").format(district=name)
        if first
        else _("Hola de nuevo 👋. ¿Qué desea hacer?")
    )
    await message.answer(text, reply_markup=main_menu())
    if payload:
        await deeplinks.open_payload(message, state, session, user, payload, settings)


@routes.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    locale: str,
    settings: Settings,
) -> None:
    payload = command.args.strip() if command.args else None
    if payload and not PAYLOAD_RE.match(payload):
        payload = None
    if user is None:
        await begin(message, state, locale, payload)
        return
    if user.district is None:
        await state.set_state(Onboarding.district)
        await state.set_data({"payload": payload} if payload else {})
        await ask_district(message, session)
        return
    await state.set_data({"payload": payload} if payload else {})
    await finish(message, state, session, user, first=False, settings=settings)


@routes.callback_query(ConsentCb.filter(F.answer == "yes"), Onboarding.consent)
async def consent_yes(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user: User | None, locale: str
) -> None:
    await users.accept_consent(session, query.from_user.id, locale)
    if not isinstance(query.message, Message):
        await query.answer(_("Gracias."))
        return
    accepted = privacy_text() + "\n\n" + _("✅ Usted aceptó.")
    await answer_and(query, query.message.edit_text(accepted), _("Gracias."))
    await state.set_state(Onboarding.district)
    await ask_district(query.message, session)


@routes.callback_query(ConsentCb.filter(F.answer == "no"), Onboarding.consent)
async def consent_no(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(privacy_text() + "\n\n" + _("Usted no aceptó."))
        await query.message.answer(
            _(
                "Entendido. No guardamos ningún dato suyo.\n"
                "Si cambia de opinión, escriba /start cuando quiera."
            )
        )


@routes.callback_query(DistrictCb.filter(F.purpose == "on"), Onboarding.district)
async def district_chosen(
    query: CallbackQuery,
    callback_data: DistrictCb,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    settings: Settings,
) -> None:
    if user is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    districts = await reference.districts(session)
    slug = await chosen_district(query, callback_data, districts)
    if slug is None:
        return
    await users.set_district(session, user, slug)
    done = _("Distrito: <b>{district}</b> ✅").format(
        district=await reference.district_name(session, user.district)
    )
    await answer_and(query, query.message.edit_text(done))
    await finish(query.message, state, session, user, first=True, settings=settings)


@routes.message(Onboarding.district, F.text, ~F.text.startswith("/"))
async def district_typed(
    message: Message, state: FSMContext, session: AsyncSession, user: User | None, settings: Settings
) -> None:
    """Some residents type the district's name instead of pressing its button."""
    slug = reference.match_district(await reference.districts(session), message.text or "")
    if user is None or slug is None:
        await message.answer(_("No reconocí ese distrito. Elíjalo con uno de los botones, por favor."))
        await ask_district(message, session)
        return
    await users.set_district(session, user, slug)
    await finish(message, state, session, user, first=True, settings=settings)


@routes.message(Onboarding.district)
async def district_expected(message: Message, session: AsyncSession) -> None:
    await message.answer(_("Elija su distrito con uno de los botones, por favor."))
    await ask_district(message, session)


@routes.message(Command("distrito", "district"), Registered())
async def change_district(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    await state.set_state(Onboarding.district)
    await state.set_data({})
    await ask_district(message, session, current=user.district)


# commands that, sent before the privacy notice was accepted, are carried out once onboarding ends
# (as the deep link of the same name: handlers/deeplinks.py)
KEPT_COMMANDS = {"/proponer": "proponer", "/propose": "proponer"}


@routes.message(~Registered())
async def needs_consent(message: Message, state: FSMContext, locale: str) -> None:
    """Anyone who has not accepted the privacy notice sees it first; nothing is stored."""
    if await state.get_state() == Onboarding.consent.state:
        await message.answer(
            _("Antes de seguir necesito su respuesta: pulse <b>Acepto</b> o <b>No acepto</b>."),
            reply_markup=consent_keyboard(),
        )
        return
    words = (message.text or "").split(maxsplit=1)
    command = words[0].split("@", 1)[0].lower() if words else ""
    await begin(message, state, locale, KEPT_COMMANDS.get(command))


@routes.callback_query(~Registered())
async def needs_consent_button(query: CallbackQuery) -> None:
    await query.answer(_("Primero escriba /start para empezar."), show_alert=True)
