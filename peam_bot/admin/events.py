"""Running an event, for staff with the `events` permission (organizador, moderador, admin), in private
chat: `/organizar` and `/evento EV-0001` (the staff card with the live counts), the **check-in screen**
(a QR of a deep link that residents scan with the phone's camera; its count is edited in place as
they arrive), check-in by ticket codes typed, pasted or forwarded, and the poster QR that opens the
event's card."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import register_states, staff_routes
from peam_bot.config import Settings
from peam_bot.i18n import gettext as _
from peam_bot.outbox import queue as outbox
from peam_bot.services import attendance_list, checkin, event_admin, events, tickets
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.services.text import esc, truncate
from peam_bot.storage.event_models import Event
from peam_bot.storage.models import utcnow
from peam_bot.telegram.routing import Routes

routes: Routes = staff_routes("staff-events")
PERM = {"permission": "events"}


class StaffEvCb(CallbackData, prefix="se"):
    action: str  # card | screen | refresh | codes | poster | list | cancel | cancel_ok | move | move_ok
    code: str
    value: str = ""  # list: csv | xlsx | pdf


class TicketCheckin(StatesGroup):
    codes = State()


register_states(TicketCheckin)


def _b(text: str, action: str, code: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=StaffEvCb(action=action, code=code).pack())


def stale() -> str:
    return _("Ese botón ya no está activo.")


async def pressed_event(query: CallbackQuery, session: AsyncSession, code: str) -> Event | None:
    """The event a staff button names, or None after telling the presser the button is stale."""
    event = await events.by_code(session, code)
    if event is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return None
    return event


async def counts_line(session: AsyncSession, event: Event) -> str:
    c = await checkin.counts(session, event.id)
    return _("Inscritos: {registered} · Presentes: {present} · Sin inscripción: {walk_ins} · En espera: {waiting}").format(
        registered=c.registered, present=c.present, walk_ins=c.walk_ins, waiting=c.waiting
    )


async def staff_card(session: AsyncSession, event: Event) -> tuple[str, InlineKeyboardMarkup]:
    kind = _(events.KIND_LABELS.get(event.kind, event.kind))
    cap = _("sin límite") if event.capacity is None else str(event.capacity)
    lines = [
        f"<b>{esc(event.title)}</b> · {esc(event.code)}",
        f"{esc(kind)} · {esc(events.when(event, 'es'))}",
        "📍 " + esc(", ".join(p for p in (event.venue, event.address) if p)),
        _("Estado: {status} · Cupos: {cap}").format(status=esc(event.status), cap=cap),
        await counts_line(session, event),
    ]
    rows = [
        [_b(_("📷 Pantalla de check-in (QR)"), "screen", event.code)],
        [_b(_("⌨️ Registrar entradas por código"), "codes", event.code)],
        [InlineKeyboardButton(text=_("📋 Lista de asistentes ({fmt})").format(fmt=fmt.upper()),
                              callback_data=StaffEvCb(action="list", code=event.code, value=fmt).pack())
         for fmt in attendance_list.FORMATS],
        [_b(_("🖼 Cartel con QR del evento"), "poster", event.code), _b(_("🔄 Actualizar"), "card", event.code)],
    ]  # fmt: skip
    if event.status in events.OPEN:
        rows.append([_b(_("🔁 Reprogramar"), "move", event.code), _b(_("❌ Cancelar el evento"), "cancel", event.code)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@routes.message(Command("organizar", "organize"), StateFilter(None), flags=PERM)
async def list_events(message: Message, session: AsyncSession) -> None:
    found, total = await events.upcoming(session, utcnow(), limit=20)
    if not found:
        await message.answer(_("No hay eventos próximos. Cree uno con /nuevo_evento."))
        return
    lines = [_("<b>Próximos eventos</b> ({n})").format(n=total)]
    lines += [f"• {esc(e.code)} · {esc(truncate(e.title, 60))} · {esc(events.when(e, 'es'))}" for e in found]
    rows = [[_b(f"{e.code} · {truncate(e.title, 40)}", "card", e.code)] for e in found]
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@routes.message(Command("evento", "event"), flags=PERM)
async def event_command(message: Message, command: CommandObject, session: AsyncSession, state: FSMContext) -> None:
    event = await events.by_code(session, (command.args or "").strip()) if command.args else None
    if event is None:
        await message.answer(_("Indique el código del evento, por ejemplo: /evento EV-0001. Vea la lista con /organizar."))
        return
    await state.clear()
    text, markup = await staff_card(session, event)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(StaffEvCb.filter(F.action == "card"), flags=PERM)
async def card_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    await query.answer()
    text, markup = await staff_card(session, event)
    await query.message.answer(text, reply_markup=markup)


# --- the check-in screen ---------------------------------------------------------------------------


async def screen_caption(session: AsyncSession, event: Event) -> str:
    until = checkin.valid_until(utcnow()).astimezone(DEFAULT_TZ).strftime("%H:%M")
    return "\n".join(
        [
            _("📷 <b>Check-in · {title}</b>").format(title=esc(truncate(event.title, 80))),
            _("Escanee este código con la cámara del celular para registrar su asistencia."),
            await counts_line(session, event),
            _("Código válido hasta las {time}: pulse 🔄 para uno nuevo.").format(time=until),
        ]
    )


def screen_keyboard(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_b(_("🔄 Nuevo código y conteo"), "refresh", code)],
            [_b(_("⌨️ Registrar entradas por código"), "codes", code)],
        ]
    )


async def screen_photo(bot: Bot, settings: Settings, event: Event) -> BufferedInputFile:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={checkin.payload(checkin.secret_from(settings.bot_token), event.code)}"
    return BufferedInputFile(tickets.qr_png(link, scale=8), filename=f"checkin-{event.code}.png")


@routes.callback_query(StaffEvCb.filter(F.action.in_({"screen", "refresh"})), flags=PERM)
async def screen_button(
    query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession, bot: Bot, settings: Settings
) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    now = utcnow()
    if not checkin.is_open(event, now):
        opens = (event.starts_at - checkin.OPENS_BEFORE).astimezone(DEFAULT_TZ).strftime("%d/%m %H:%M")
        text = (_("Este evento está cancelado.") if event.status == "cancelado" else
                _("El check-in abre 30 minutos antes del inicio ({opens}) y cierra al final.").format(opens=opens))  # fmt: skip
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    photo = await screen_photo(bot, settings, event)
    caption, markup = await screen_caption(session, event), screen_keyboard(event.code)
    if callback_data.action == "refresh" and query.message.photo:
        await query.message.edit_media(InputMediaPhoto(media=photo, caption=caption), reply_markup=markup)
        sent = query.message
    else:
        sent = await query.message.answer_photo(photo, caption=caption, reply_markup=markup)
    event.checkin_chat_id, event.checkin_message_id = sent.chat.id, sent.message_id


# --- check-in by ticket codes ----------------------------------------------------------------------


@routes.callback_query(StaffEvCb.filter(F.action == "codes"), flags=PERM)
async def codes_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession, state: FSMContext) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    await query.answer()
    await state.set_state(TicketCheckin.codes)
    await state.set_data({"event": event.code})
    await query.message.answer(
        _("Escriba o pegue los códigos de las entradas de <b>{title}</b> (uno o varios por mensaje), o reenvíeme "
          "la entrada de un vecino. Para terminar: /cancelar").format(title=esc(truncate(event.title, 80)))
    )  # fmt: skip


@routes.message(TicketCheckin.codes, flags=PERM)
async def got_codes(message: Message, session: AsyncSession, state: FSMContext) -> None:
    text = message.text or message.caption or ""
    if text.startswith("/"):
        await message.answer(_("Para salir del registro de entradas use /cancelar."))
        return
    event = await events.by_code(session, str((await state.get_data()).get("event", "")))
    if event is None:
        await state.clear()
        await message.answer(stale())
        return
    found = checkin.tickets_in(text)
    if not found:
        await message.answer(_("No encontré códigos de entrada en ese mensaje: son 6 letras y números, como {example}.").format(
            example="ACD3FG"))  # fmt: skip
        return
    if not checkin.is_open(event, utcnow()):
        await message.answer(_("El registro de asistencia de este evento no está abierto ahora."))
        return
    lines = []
    for ticket in found[:50]:
        result = await checkin.by_ticket(session, event, ticket)
        name = esc(result.registration.attendee_name) if result.registration is not None else ""
        lines.append({
            "present": _("✅ {ticket} presente · {name}"),
            "already": _("☑️ {ticket} ya estaba presente · {name}"),
            "unknown": _("❔ {ticket} no es una entrada de este evento"),
        }[result.outcome].format(ticket=ticket, name=name))  # fmt: skip
    await refresh_screen(session, event)
    lines.append(await counts_line(session, event))
    await message.answer("\n".join(lines))


async def refresh_screen(session: AsyncSession, event: Event) -> None:
    """Queue the check-in screen's new count (coalesced: one edit every few seconds at most)."""
    if event.checkin_chat_id is None or event.checkin_message_id is None:
        return
    await session.flush()
    payload = {
        "message_id": event.checkin_message_id,
        "caption": await screen_caption(session, event),
        "reply_markup": screen_keyboard(event.code).model_dump(exclude_none=True),
    }
    await outbox.replace_or_enqueue(session, event.checkin_chat_id, "caption", payload, ref=f"checkin:{event.id}")


# --- the attendance list --------------------------------------------------------------------------


@routes.callback_query(StaffEvCb.filter(F.action == "list"), flags=PERM)
async def list_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession) -> None:
    event = await events.by_code(session, callback_data.code)
    if event is None or callback_data.value not in attendance_list.FORMATS or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    data, filename = await attendance_list.attendance_file(session, event, callback_data.value)
    await query.message.answer_document(
        BufferedInputFile(data, filename=filename),
        caption=_("📋 Lista de asistentes de <b>{title}</b> · {counts}").format(
            title=esc(truncate(event.title, 80)), counts=await counts_line(session, event)
        ),
    )


# --- cancelling ------------------------------------------------------------------------------------


@routes.callback_query(StaffEvCb.filter(F.action == "cancel"), flags=PERM)
async def cancel_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    await query.answer()
    c = await checkin.counts(session, event.id)
    await query.message.answer(
        _("¿Cancela <b>{title}</b>? Se avisará a {n} personas inscritas o en espera, y no recibirán recordatorios.").format(
            title=esc(event.title), n=c.registered + c.waiting
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
            _b(_("Sí, cancelar el evento"), "cancel_ok", event.code), _b(_("No"), "card", event.code),
        ]]),
    )  # fmt: skip


@routes.callback_query(StaffEvCb.filter(F.action == "cancel_ok"), flags=PERM)
async def cancel_confirmed(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    try:
        told = await event_admin.cancel_event(session, event, query.from_user.id)
    except events.EventError as exc:
        text = _("Este evento ya estaba cancelado.") if exc.reason == "cancelled" else _("Este evento ya terminó.")
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(
        _("❌ Cancelé <b>{title}</b>. Avisaré a {n} personas por aquí.").format(title=esc(event.title), n=told)
    )


# --- the poster ------------------------------------------------------------------------------------


@routes.callback_query(StaffEvCb.filter(F.action == "poster"), flags=PERM)
async def poster_button(query: CallbackQuery, callback_data: StaffEvCb, session: AsyncSession, bot: Bot) -> None:
    if (event := await pressed_event(query, session, callback_data.code)) is None:
        return
    await query.answer()
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=evento_{event.code}"
    await query.message.answer_photo(
        BufferedInputFile(tickets.qr_png(link), filename=f"cartel-{event.code}.png"),
        caption=_("🖼 QR para el cartel de <b>{title}</b>: abre la ficha del evento en el bot.\n{link}").format(
            title=esc(event.title), link=esc(link)
        ),
    )
