"""Staff create and correct events from private chat: /nuevo_evento asks one thing per message (type,
title, description, district, axis, the mesa of a mesa's session, venue, address, map point, start,
end, capacity, registration deadline, walk-ins, organizer; Omitir on the optional ones), then shows
every answer on a review screen with a button to change each; "Crear evento" saves it and gives the
link for posters. /editar_evento EV-0001 opens the same review screen with the event's values.

The draft lives in the conversation state (the FSM storage: it survives a restart). Every step
re-checks the caller's role (permission ``events``). The questions, the review screen and the
answers to a value that does not fit are in event_form_ui.py; moving from step to step in
event_form_flow.py; the review screen's buttons in event_form_review.py."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin import event_form_review
from peam_bot.admin.access import staff_routes
from peam_bot.admin.event_form_flow import PERM, go, load, show
from peam_bot.admin.event_form_ui import (
    FIELD_OF_STEP,
    STEPS,
    EventForm,
    EvFormCb,
    button,
    capacity_text,
    date_text,
    district_rows,
    keyboard,
    length_text,
    organizer_choice,
)
from peam_bot.i18n import gettext as _
from peam_bot.services import event_drafts, events, reference
from peam_bot.services.event_drafts import EventDraft
from peam_bot.services.events import KIND_LABELS
from peam_bot.services.initiatives import InvalidInput, validate_location
from peam_bot.services.rendering import STAFF_LOCALE
from peam_bot.services.text import esc, truncate
from peam_bot.telegram.routing import Routes

steps = staff_routes("staff-event-steps")
leftovers = staff_routes("staff-event-leftovers")


# --- opening the form ------------------------------------------------------------------------------


def private_only_text() -> str:
    return _("Los eventos se preparan en el chat privado conmigo: escríbame allí.")


@steps.message(Command("nuevo_evento", "new_event"), StateFilter(None), flags=PERM)
async def new_event(message: Message, state: FSMContext, session: AsyncSession) -> None:
    if message.chat.type != "private":
        await message.answer(private_only_text())
        return
    name = message.from_user.full_name if message.from_user else ""
    draft = EventDraft(organizer_id=message.from_user.id if message.from_user else None)
    await state.set_state(EventForm.kind)
    await state.set_data({"draft": draft.to_dict(), "staff_name": name})
    intro = _(
        "Vamos a preparar un evento, un dato por mensaje. Nada se publica hasta que lo confirme en la "
        "revisión. Para salir: /cancelar"
    )
    await show(message, state, session, intro)


@steps.message(Command("editar_evento", "edit_event"), StateFilter(None), flags=PERM)
async def edit_event(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession
) -> None:
    if message.chat.type != "private":
        await message.answer(private_only_text())
        return
    code = (command.args or "").strip().split(" ")[0]
    if not code:
        await message.answer(_("Escriba el código del evento, por ejemplo: /editar_evento EV-0001"))
        return
    event = await events.by_code(session, code)
    if event is None:
        await message.answer(
            _("No encontré el evento {code}. Revise el código.").format(code=esc(code.upper()))
        )
        return
    if not event_drafts.editable(event):
        await message.answer(
            _("El evento {code} fue cancelado o ya pasó: no se puede editar.").format(code=esc(event.code))
        )
        return
    name = message.from_user.full_name if message.from_user else ""
    await state.set_state(EventForm.review)
    await state.set_data(
        {
            "draft": EventDraft.of(event).to_dict(),
            "staff_name": name,
            "code": event.code,
            "registrations": await event_drafts.active_registrations(session, event),
        }
    )
    await show(message, state, session)


# --- commands in the middle of the form ----------------------------------------------------------


@steps.message(Command("cancelar", "cancel"), StateFilter(EventForm), flags=PERM)
async def cancel(message: Message, state: FSMContext) -> None:
    code = (await state.get_data()).get("code")
    await state.clear()
    if code:
        await message.answer(_("Listo, no cambié nada en {code}.").format(code=esc(code)))
    else:
        await message.answer(_("Listo, descarté el evento: no se creó nada."))


@steps.message(StateFilter(EventForm), F.text.startswith("/"), flags=PERM)
async def command_in_form(message: Message, state: FSMContext, session: AsyncSession) -> None:
    note = _("Está preparando un evento; lo que ya escribió está guardado. Para salir, escriba /cancelar.")
    await show(message, state, session, note)


# --- typed answers -------------------------------------------------------------------------------

TEXT_FIELDS = {
    EventForm.title.state: ("title", event_drafts.validate_title),
    EventForm.description.state: ("description", event_drafts.validate_description),
    EventForm.venue.state: ("venue", event_drafts.validate_venue),
    EventForm.address.state: ("address", event_drafts.validate_address),
    EventForm.organizer.state: ("organizer", event_drafts.validate_organizer),
}


@steps.message(
    StateFilter(
        EventForm.title, EventForm.description, EventForm.venue, EventForm.address, EventForm.organizer
    ),
    F.text,
    flags=PERM,
)
async def got_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    field, validate = TEXT_FIELDS[await state.get_state() or ""]
    try:
        value = validate(message.text or "")
    except InvalidInput as exc:
        await message.answer(length_text(field, exc, message.text or ""))
        return
    draft, _data = await load(state)
    setattr(draft, field, value)
    await go(message, state, session, draft)


def moment(value: Any) -> str:
    return event_drafts.moment_text(value, STAFF_LOCALE)


@steps.message(StateFilter(EventForm.start, EventForm.end, EventForm.deadline), F.text, flags=PERM)
async def got_moment(message: Message, state: FSMContext, session: AsyncSession) -> None:
    draft, _data = await load(state)
    current = await state.get_state()
    typed = message.text or ""
    start_text = moment(draft.starts_at) if draft.starts_at else ""
    try:
        if current == EventForm.start.state:
            draft.starts_at = event_drafts.parse_start(typed)
            note = _("Inicio: <b>{when}</b> ✅").format(when=moment(draft.starts_at))
            if draft.registration_deadline is not None and draft.registration_deadline > draft.starts_at:
                draft.registration_deadline = None
                note += "\n" + _(
                    "Las inscripciones cerrarán al inicio (la fecha de cierre anterior era después)."
                )
        elif draft.starts_at is None:  # not reachable through the form's order; start over from the start
            await state.set_state(EventForm.start)
            await show(message, state, session)
            return
        elif current == EventForm.end.state:
            draft.ends_at = event_drafts.parse_end(typed, draft.starts_at)
            note = _("Fin: <b>{when}</b> ✅").format(when=moment(draft.ends_at))
        else:
            draft.registration_deadline = event_drafts.parse_deadline(typed, draft.starts_at)
            note = _("Inscripciones hasta: <b>{when}</b> ✅").format(when=moment(draft.registration_deadline))
    except InvalidInput as exc:
        await message.answer(date_text(exc, start_text))
        return
    await go(message, state, session, draft, note)


@steps.message(EventForm.capacity, F.text, flags=PERM)
async def got_capacity(message: Message, state: FSMContext, session: AsyncSession) -> None:
    try:
        capacity = event_drafts.parse_capacity(message.text or "")
    except InvalidInput as exc:
        await message.answer(capacity_text(exc))
        return
    await chose_capacity(message, state, session, capacity)


async def chose_capacity(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    capacity: int | None,
    press: CallbackQuery | None = None,
) -> None:
    draft, data = await load(state)
    taken = await seats_taken(session, data.get("code"))
    if capacity is not None and capacity < taken:
        text = _("Ya hay {n} personas con cupo: los cupos no pueden ser menos de {n}.").format(n=taken)
        if press is not None:
            await press.answer(text, show_alert=True)
        else:
            await message.answer(text)
        return
    draft.capacity = capacity
    note = _("Cupos: <b>{n}</b> ✅").format(n=capacity if capacity is not None else _("sin límite"))
    await go(message, state, session, draft, note, press)


async def seats_taken(session: AsyncSession, code: str | None) -> int:
    event = await events.by_code(session, code) if code else None
    return event.registered if event is not None else 0


@steps.message(EventForm.location, F.location, flags=PERM)
async def got_location(message: Message, state: FSMContext, session: AsyncSession) -> None:
    assert message.location is not None
    try:
        lat, lon = validate_location(message.location.latitude, message.location.longitude)
    except InvalidInput:
        await message.answer(
            _("Ese punto queda fuera de la provincia de Arequipa. Envíe otro, o pulse Omitir.")
        )
        return
    draft, _data = await load(state)
    draft.latitude, draft.longitude = lat, lon
    await go(message, state, session, draft, _("Punto en el mapa guardado ✅"))


@steps.message(EventForm.district, F.text, flags=PERM)
async def district_typed(message: Message, state: FSMContext, session: AsyncSession) -> None:
    slug = reference.match_district(await reference.districts(session), message.text or "")
    if slug is None:
        await show(message, state, session, _("No reconocí ese distrito. Elíjalo con los botones."))
        return
    draft, _data = await load(state)
    draft.district = slug
    note = _("Distrito: <b>{v}</b> ✅").format(v=esc(await reference.district_name(session, slug)))
    await go(message, state, session, draft, note)


# --- buttons -----------------------------------------------------------------------------------------


@steps.callback_query(EvFormCb.filter(F.action == "kind"), EventForm.kind, flags=PERM)
async def got_kind(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    if callback_data.value not in KIND_LABELS or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    draft, _data = await load(state)
    draft.kind = callback_data.value
    if draft.kind != "mesa":
        draft.mesa_id = None
    note = _("Tipo: <b>{v}</b> ✅").format(v=esc(_(KIND_LABELS[draft.kind])))
    await go(query.message, state, session, draft, note, query)


@steps.callback_query(EvFormCb.filter(F.action == "district"), EventForm.district, flags=PERM)
async def got_district(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    if callback_data.value in ("_more", "_main"):
        _draft, data = await load(state)
        rows = await district_rows(session, "more" if callback_data.value == "_more" else "main")
        if data.get("editing"):
            rows.append([button(_("↩️ Dejar como está"), "keep")])
        await query.answer()
        await query.message.edit_reply_markup(reply_markup=keyboard(*rows))
        return
    if callback_data.value not in {s for s, _n, _m in await reference.districts(session)}:
        await query.answer(_("Ese botón ya no está activo."))
        return
    draft, _data = await load(state)
    draft.district = callback_data.value
    note = _("Distrito: <b>{v}</b> ✅").format(v=esc(await reference.district_name(session, draft.district)))
    await go(query.message, state, session, draft, note, query)


@steps.callback_query(EvFormCb.filter(F.action == "axis"), EventForm.axis, flags=PERM)
async def got_axis(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    if callback_data.value not in {s for s, _n in await reference.themes(session)} or not isinstance(
        query.message, Message
    ):
        await query.answer(_("Ese botón ya no está activo."))
        return
    draft, _data = await load(state)
    draft.axis = callback_data.value
    note = _("Eje: <b>{v}</b> ✅").format(v=esc(_(await reference.theme_name(session, draft.axis))))
    await go(query.message, state, session, draft, note, query)


@steps.callback_query(EvFormCb.filter(F.action == "mesa"), EventForm.mesa, flags=PERM)
async def got_mesa(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    names = {str(mid): name for mid, _c, name in await event_drafts.mesas(session)}
    if (callback_data.value != "none" and callback_data.value not in names) or not isinstance(
        query.message, Message
    ):
        await query.answer(_("Ese botón ya no está activo."))
        return
    draft, _data = await load(state)
    draft.mesa_id = None if callback_data.value == "none" else int(callback_data.value)
    name = names.get(callback_data.value) or _("ninguna")
    await go(
        query.message,
        state,
        session,
        draft,
        _("Mesa: <b>{v}</b> ✅").format(v=esc(truncate(name, 80))),
        query,
    )


SKIPPABLE = (EventForm.description, EventForm.axis, EventForm.address, EventForm.location, EventForm.deadline)


@steps.callback_query(EvFormCb.filter(F.action == "skip"), StateFilter(*SKIPPABLE), flags=PERM)
async def skip(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    draft, _data = await load(state)
    current = await state.get_state()
    if current == EventForm.description.state:
        draft.description, note = "", _("Descripción: ninguna ✅")
    elif current == EventForm.axis.state:
        draft.axis, note = None, _("Eje: ninguno ✅")
    elif current == EventForm.address.state:
        draft.address, note = "", _("Dirección: ninguna ✅")
    elif current == EventForm.location.state:
        draft.latitude = draft.longitude = None
        note = _("Mapa: sin punto ✅")
    else:
        draft.registration_deadline, note = None, _("Inscripciones: hasta el inicio ✅")
    await go(query.message, state, session, draft, note, query)


@steps.callback_query(EvFormCb.filter(F.action == "nolimit"), EventForm.capacity, flags=PERM)
async def no_limit(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    if isinstance(query.message, Message):
        await chose_capacity(query.message, state, session, None, query)


@steps.callback_query(EvFormCb.filter(F.action == "walkins"), EventForm.walk_ins, flags=PERM)
async def got_walk_ins(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    draft, _data = await load(state)
    draft.walk_ins = callback_data.value == "yes"
    note = _("Sin inscripción: <b>{v}</b> ✅").format(
        v=_("se recibe si hay sitio") if draft.walk_ins else _("no se recibe")
    )
    await go(query.message, state, session, draft, note, query)


@steps.callback_query(EvFormCb.filter(F.action == "org"), EventForm.organizer, flags=PERM)
async def got_organizer(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    draft, data = await load(state)
    name = organizer_choice(callback_data.value, data.get("staff_name", ""))
    if name is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    try:
        draft.organizer = event_drafts.validate_organizer(name)
    except InvalidInput:  # a Telegram name of emojis only
        draft.organizer = "AQPlan"
    await go(
        query.message,
        state,
        session,
        draft,
        _("Organiza: <b>{v}</b> ✅").format(v=esc(draft.organizer)),
        query,
    )


@steps.callback_query(EvFormCb.filter(F.action == "keep"), StateFilter(*STEPS), flags=PERM)
async def keep(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    """Correcting one field from the review screen, then leaving it as it was."""
    _draft, data = await load(state)
    if not data.get("editing") or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    await state.update_data(editing=False)
    await state.set_state(EventForm.review)
    await show(query.message, state, session, press=query)


# --- anything else while the form is open: say what is expected, keep everything -----------------


TYPED_STEPS = (
    "title",
    "description",
    "venue",
    "address",
    "organizer",
    "start",
    "end",
    "capacity",
    "deadline",
)


@leftovers.message(StateFilter(EventForm), flags=PERM)
async def unexpected(message: Message, state: FSMContext, session: AsyncSession) -> None:
    current = await state.get_state() or ""
    field = FIELD_OF_STEP.get(current)
    if message.photo and field in TYPED_STEPS:
        note = _("Recibí una foto; aquí necesito un mensaje de texto.")
    elif field in TYPED_STEPS:
        note = _("No pude leer eso. Necesito un mensaje de texto.")
    elif field == "location":
        note = _("Aquí espero una ubicación compartida desde 📎. Si no la tiene, pulse Omitir.")
    else:
        note = _("Para este paso use los botones.")
    await show(message, state, session, note)


@leftovers.callback_query(StateFilter(EventForm), EvFormCb.filter(), flags=PERM)
async def stale_button(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    await query.answer(_("Ese botón ya no está activo. Siga con el paso actual."))
    if isinstance(query.message, Message):
        await show(query.message, state, session)


# The form's one router: the steps (commands in the middle first), the review screen, then what no step
# expects.
routes = Routes.joined("staff-event-form", steps, event_form_review.routes, leftovers)
