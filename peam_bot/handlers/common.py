"""Commands available everywhere (/ayuda, /cancelar, /idioma), a look at one's initiatives in the middle
of the form, and the last-resort answers."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import onboarding, propose_flow, tracking
from peam_bot.handlers.ui import (
    MENU_HELP,
    MENU_MINE,
    LangCb,
    Onboarding,
    Propose,
    Registered,
    StatusCb,
    language_keyboard,
    main_menu,
    menu_labels,
)
from peam_bot.i18n import available_locales, current_locale
from peam_bot.i18n import gettext as _
from peam_bot.services import staff, users
from peam_bot.storage.models import User
from peam_bot.telegram.routing import Routes

routes = Routes("common")


def help_text() -> str:
    return _(
        "<b>¿Cómo le ayudo?</b>\n"
        "/proyectos — ver los proyectos del plan y su avance\n"
        "/buscar puente Chilina — buscar un proyecto (o escriba su nombre)\n"
        "/siguiendo — los proyectos que sigue\n"
        "/proponer — enviar una iniciativa para su distrito\n"
        "/mis_iniciativas — ver las que envió y su estado\n"
        "/talleres — talleres y eventos del plan: inscribirse\n"
        "/mesas — sesiones de las mesas de concertación\n"
        "/mis_inscripciones — sus entradas e inscripciones\n"
        "/estado INI-2026-00012 — consultar una iniciativa por su código\n"
        "/distrito — cambiar su distrito\n"
        "/idioma — cambiar el idioma\n"
        "/cancelar — salir de lo que esté haciendo\n"
        "También puede usar los botones del menú."
    )


def staff_help_text(role: str) -> str:
    lines = [_("<b>Equipo AQPlan</b>")]
    if role in staff.PERMISSIONS["triage"]:
        lines += [
            _("/cola — iniciativas pendientes, con filtros"),
            _("/iniciativa INI-2026-00012 — ver una iniciativa con su historial y sus botones"),
            _("/auditoria INI-2026-00012 — quién hizo qué y cuándo"),
            _("/plantillas — motivos para no admitir una iniciativa"),
        ]
    if role in staff.PERMISSIONS["events"]:
        lines.append(_("/organizar — próximos eventos: check-in, entradas y asistencia"))
        lines.append(_("/nuevo_evento — crear un evento · /editar_evento EV-0001 — corregirlo"))
    if role == "admin":
        lines += [_("/equipo — el equipo y sus roles"), _("/invitar moderador — enlace de invitación")]
    return "\n".join(lines)


@routes.message(Command("ayuda", "help"))
@routes.message(F.text.in_(menu_labels(MENU_HELP)))
async def help_command(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    locale: str,
    settings: Settings,
) -> None:
    current = await state.get_state()
    text = help_text()
    role = await staff.role_of(session, settings.admin_ids, message.chat.id)
    if role in staff.ROLES:
        text += "\n\n" + staff_help_text(role)
    await message.answer(text, reply_markup=main_menu() if user is not None and not current else None)
    if current and current.startswith(Propose.__name__):
        await propose_flow.resume(message, state, session, locale)


# --- a look at one's initiatives in the middle of the form: shown, then the form goes on -----------
# (/estado without a code only says how: the code typed next would be taken as the form's answer)


@routes.message(Command("mis_iniciativas", "my_initiatives"), StateFilter(Propose), Registered())
@routes.message(F.text.in_(menu_labels(MENU_MINE)), StateFilter(Propose), Registered())
async def mine_in_form(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    await tracking.my_initiatives(message, session, user, locale)
    await propose_flow.resume(message, state, session, locale)


@routes.message(Command("estado", "status", magic=F.args), StateFilter(Propose), Registered())
async def status_in_form(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    command: CommandObject,
) -> None:
    await tracking.status_command(message, session, user, locale, settings, command)
    await propose_flow.resume(message, state, session, locale)


@routes.message(Command("estado", "status"), StateFilter(Propose), Registered())
async def status_without_code_in_form(
    message: Message, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    note = _(
        "Está preparando una iniciativa. Para ver otra sin salir, escriba /estado con su código, "
        "por ejemplo /estado INI-2026-00012."
    )
    await propose_flow.ask(message, state, session, locale, note)


@routes.callback_query(StatusCb.filter(), StateFilter(Propose))
async def status_button_in_form(
    query: CallbackQuery,
    callback_data: StatusCb,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    locale: str,
) -> None:
    await tracking.status_button(query, callback_data, session, locale, user)
    if isinstance(query.message, Message):
        await propose_flow.resume(query.message, state, session, locale)


@routes.message(Command("cancelar", "cancel"))
async def cancel(message: Message, state: FSMContext, user: User | None) -> None:
    current = await state.get_state()
    await state.clear()
    if current and current.startswith(Propose.__name__):
        text = _("Listo, cancelé la iniciativa. No se guardó nada de lo que había escrito.")
    elif current:
        text = _("Listo, cancelado.")
    else:
        text = _("No hay nada que cancelar.")
    await message.answer(text, reply_markup=main_menu() if user is not None else None)


@routes.message(Command("idioma", "language"))
async def language(message: Message) -> None:
    await message.answer(_("Elija su idioma / Choose your language:"), reply_markup=language_keyboard())


@routes.callback_query(LangCb.filter())
async def language_chosen(
    query: CallbackQuery,
    callback_data: LangCb,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    settings: Settings,
) -> None:
    if callback_data.code not in available_locales():
        await query.answer(_("Ese botón ya no está activo."))
        return
    if user is not None:
        await users.set_locale(session, user, callback_data.code)
    else:
        await state.update_data(locale=callback_data.code)  # remembered in the conversation, nothing personal
    current_locale.set(callback_data.code)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("Listo: le escribiré en español."))
        current = await state.get_state()
        if current and current.startswith(Propose.__name__):
            await propose_flow.ask(query.message, state, session, callback_data.code)
        elif user is not None and not current:
            await query.message.answer(_("¿Qué desea hacer?"), reply_markup=main_menu())
        elif (
            user is None
            and current in (None, Onboarding.consent.state)
            and await staff.role_of(session, settings.admin_ids, query.from_user.id) is None
        ):
            # someone who has not accepted (or declined): the notice again, in the language just
            # chosen; the choice lives in that conversation state and goes with it on No acepto
            # (staff members without a resident record keep their choice and see no notice)
            payload = (await state.get_data()).get("payload")
            await onboarding.begin(query.message, state, callback_data.code, payload)


@routes.my_chat_member(F.chat.type == "private")
async def membership(event: ChatMemberUpdated, session: AsyncSession, user: User | None) -> None:
    """The resident blocked or unblocked the bot: stop or resume proactive messages."""
    if user is None:
        return
    if event.new_chat_member.status == "kicked":
        await users.mark_unreachable(session, user.id)


fallback = Routes("fallback")


@fallback.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("No conozco ese comando. Escriba /ayuda para ver lo que puedo hacer."))


@fallback.message()
async def unknown_message(message: Message, user: User | None) -> None:
    await message.answer(
        _("No entendí su mensaje. Use los botones del menú o escriba /ayuda."),
        reply_markup=main_menu() if user is not None else None,
    )


@fallback.callback_query()
async def stale_callback(query: CallbackQuery) -> None:
    await query.answer(_("Ese botón ya no está activo."))
