"""The Mesas de Concertación Ciudadana for residents: `/mesas` lists them with their next session, a
mesa's card shows its members and sessions, and **Unirme** / **Dejar la mesa** (members are convened
to every session). Deep link `/start mesa_<code>` for posters."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks
from peam_bot.handlers.events import EvCb, EvListCb
from peam_bot.handlers.ui import Registered, main_menu
from peam_bot.i18n import gettext as _
from peam_bot.services import events, mesas, reference
from peam_bot.services.text import clean_input, esc, truncate
from peam_bot.storage.event_models import Mesa
from peam_bot.storage.models import User, utcnow
from peam_bot.telegram.routing import Routes

routes = Routes("mesas")


class MesaCb(CallbackData, prefix="me"):
    action: str  # card | join | leave | list
    code: str = ""


def _b(text: str, cb: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=cb.pack())


async def list_view(session: AsyncSession, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    now = utcnow()
    lines = [_("<b>Mesas de Concertación Ciudadana</b>"),
             _("Espacios donde vecinos y organizaciones debaten y enriquecen el plan. Elija una:")]  # fmt: skip
    rows = []
    for mesa in await mesas.all_mesas(session):
        upcoming = await mesas.next_sessions(session, mesa.id, now, limit=1)
        nxt = esc(events.when(upcoming[0], locale)) if upcoming else _("sin sesión programada")
        lines.append(f"• <b>{esc(mesa.name)}</b> · {nxt}")
        rows.append([_b(truncate(mesa.name, 50), MesaCb(action="card", code=mesa.code))])
    rows.append([_b(_("🗓 Todas las sesiones"), EvListCb(scope="m"))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@routes.message(Command("mesas", "round_tables"), StateFilter(None))
async def mesas_command(message: Message, session: AsyncSession, locale: str) -> None:
    text, markup = await list_view(session, locale)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(MesaCb.filter(F.action == "list"))
async def list_button(query: CallbackQuery, session: AsyncSession, locale: str) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        text, markup = await list_view(session, locale)
        await query.message.edit_text(text, reply_markup=markup)


async def card(session: AsyncSession, mesa: Mesa, user: User | None, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [f"<b>{esc(mesa.name)}</b>"]
    if mesa.axis:
        lines.append("🏷 " + esc(_(await reference.theme_name(session, mesa.axis))))
    if mesa.committee_at is not None:
        lines.append(_("🏛 Convertida en Comité de Gestión Temático"))
    lines.append(esc(mesa.description))
    lines.append(_("👥 {n} participantes").format(n=await mesas.members_count(session, mesa.id)))
    upcoming = await mesas.next_sessions(session, mesa.id, utcnow())
    lines.append(_("<b>Próximas sesiones</b>") if upcoming else _("Todavía no hay sesiones programadas."))
    rows = []
    for event in upcoming:
        lines.append(f"• {esc(event.title)} · {esc(events.when(event, locale))}")
        rows.append([_b(f"🗓 {truncate(event.title, 44)}", EvCb(action="card", code=event.code))])
    member = user is not None and await mesas.is_member(session, mesa.id, user.id)
    if member:
        lines.append(_("✅ Usted participa en esta mesa: le convoco a cada sesión."))
        rows.append([_b(_("Dejar la mesa"), MesaCb(action="leave", code=mesa.code))])
    else:
        rows.append([_b(_("🤝 Unirme a la mesa"), MesaCb(action="join", code=mesa.code))])
    rows.append([_b(_("⬅️ Todas las mesas"), MesaCb(action="list"))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@routes.callback_query(MesaCb.filter(F.action == "card"))
async def card_button(
    query: CallbackQuery, callback_data: MesaCb, session: AsyncSession, user: User | None, locale: str
) -> None:
    mesa = await events.mesa_by_code(session, callback_data.code)
    if mesa is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    text, markup = await card(session, mesa, user, locale)
    await query.message.edit_text(text, reply_markup=markup)


@routes.callback_query(MesaCb.filter(F.action.in_({"join", "leave"})), Registered())
async def join_or_leave(
    query: CallbackQuery, callback_data: MesaCb, session: AsyncSession, user: User, locale: str
) -> None:
    mesa = await events.mesa_by_code(session, callback_data.code)
    if mesa is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    if callback_data.action == "join":
        name = user.attendance_name or clean_input(query.from_user.full_name) or "—"
        changed = await mesas.join(session, mesa, user, name)
        note = (_("Listo: participa en {mesa}. Le convocaré por aquí a cada sesión.") if changed
                else _("Ya participa en esta mesa.")).format(mesa=mesa.name)  # fmt: skip
    else:
        changed = await mesas.leave(session, mesa, user.id)
        note = _("Dejó la mesa. Puede volver cuando quiera.") if changed else _("Ya no participaba en esta mesa.")
    await query.answer(note, show_alert=changed)
    text, markup = await card(session, mesa, user, locale)
    if changed:
        await query.message.edit_text(text, reply_markup=markup)


@deeplinks.register("mesa")
async def open_mesa_link(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    mesa = await events.mesa_by_code(session, rest)
    if mesa is None:
        await message.answer(_("No encontré esa mesa. Vea todas con /mesas."), reply_markup=main_menu())
        return
    text, markup = await card(session, mesa, user, user.locale)
    await message.answer(text, reply_markup=markup)
