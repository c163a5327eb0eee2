"""Reprogramar an event from its staff card: the new start, the new end, a confirmation showing
how many people will be told; registrants and the waiting list hear it in their language and their
reminders move (`services.event_admin.reschedule_event`)."""

from __future__ import annotations

from datetime import datetime

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import register_states, staff_routes
from peam_bot.admin.event_form_ui import date_text
from peam_bot.admin.events import StaffEvCb, _b, stale
from peam_bot.i18n import gettext as _
from peam_bot.services import checkin, event_admin, event_drafts, events
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.rendering import STAFF_LOCALE
from peam_bot.services.text import esc
from peam_bot.telegram.routing import Routes

routes: Routes = staff_routes("staff-event-reschedule")
PERM = {"permission": "events"}


class Reschedule(StatesGroup):
    start = State()
    end = State()
    confirm = State()


register_states(Reschedule, permission="events")


def moment(value: object) -> str:
    return event_drafts.moment_text(value, STAFF_LOCALE)  # type: ignore[arg-type]


@routes.callback_query(StaffEvCb.filter(F.action == "move"), flags=PERM)
async def move_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession, state: FSMContext) -> None:
    event = await events.by_code(session, callback_data.code)
    if event is None or not isinstance(query.message, Message) or event.status not in events.OPEN:
        await query.answer(stale())
        return
    await query.answer()
    await state.set_state(Reschedule.start)
    await state.set_data({"event": event.code})
    await query.message.answer(
        _("🔁 Reprogramar <b>{title}</b> (ahora: {when}).\nEscriba la nueva fecha y hora de inicio, por ejemplo "
          "{example}. Para salir: /cancelar").format(
            title=esc(event.title), when=esc(events.when(event, STAFF_LOCALE)), example=event_drafts.example_start())
    )  # fmt: skip


@routes.message(Reschedule.start, F.text, ~F.text.startswith("/"), flags=PERM)
async def got_start(message: Message, state: FSMContext) -> None:
    try:
        start = event_drafts.parse_start(message.text or "")
    except InvalidInput as exc:
        await message.answer(date_text(exc))
        return
    await state.update_data(starts_at=start.isoformat())
    await state.set_state(Reschedule.end)
    await message.answer(_("Nuevo inicio: <b>{when}</b> ✅\n¿A qué hora termina? (por ejemplo 12:00)").format(when=moment(start)))


@routes.message(Reschedule.end, F.text, ~F.text.startswith("/"), flags=PERM)
async def got_end(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    start = datetime.fromisoformat(data["starts_at"])
    try:
        end = event_drafts.parse_end(message.text or "", start)
    except InvalidInput as exc:
        await message.answer(date_text(exc, moment(start)))
        return
    event = await events.by_code(session, str(data.get("event", "")))
    if event is None:
        await state.clear()
        await message.answer(stale())
        return
    await state.update_data(ends_at=end.isoformat())
    await state.set_state(Reschedule.confirm)
    c = await checkin.counts(session, event.id)
    await message.answer(
        _("¿Reprograma <b>{title}</b> para el {new}?\nAntes: {old}.\nSe avisará a {n} personas inscritas o en espera.").format(
            title=esc(event.title), new=esc(event_drafts.moment_text(start, STAFF_LOCALE)) + " – " + moment(end),
            old=esc(events.when(event, STAFF_LOCALE)), n=c.registered + c.waiting),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            _b(_("Sí, reprogramar"), "move_ok", event.code), _b(_("No"), "card", event.code)]]),
    )  # fmt: skip


@routes.message(Reschedule.start, flags=PERM)
@routes.message(Reschedule.end, flags=PERM)
async def not_a_date(message: Message) -> None:
    await message.answer(_("Escriba la fecha y la hora en un mensaje de texto. Para salir: /cancelar"))


@routes.callback_query(StaffEvCb.filter(F.action == "move_ok"), Reschedule.confirm, flags=PERM)
async def move_confirmed(
    query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession, state: FSMContext
) -> None:
    data = await state.get_data()
    event = await events.by_code(session, callback_data.code)
    if event is None or data.get("event") != callback_data.code or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    try:
        told = await event_admin.reschedule_event(
            session, event, datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"]),
            query.from_user.id,
        )  # fmt: skip
    except events.EventError as exc:
        await query.answer(
            {"unchanged": _("Esas son las mismas fechas."), "cancelled": _("Este evento ya estaba cancelado."),
             "past": _("Este evento ya terminó.")}.get(exc.reason, _("Esas fechas no sirven: revíselas.")),
            show_alert=True,
        )  # fmt: skip
        return
    await state.clear()
    await query.answer()
    await query.message.edit_text(
        _("🔁 Reprogramé <b>{title}</b>: {when}. Avisaré a {n} personas por aquí.").format(
            title=esc(event.title), when=esc(events.when(event, STAFF_LOCALE)), n=told)
    )  # fmt: skip
