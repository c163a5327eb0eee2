"""The review screen of the staff event form: changing one field, Crear evento / Guardar cambios
(with the link for posters), Descartar."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.event_form_flow import PERM, load, show
from peam_bot.admin.event_form_ui import STEP_BY_NAME, EventForm, EvFormCb
from peam_bot.i18n import N_
from peam_bot.i18n import gettext as _
from peam_bot.services import event_drafts, events
from peam_bot.services.event_drafts import EventDraft, EventEditRefused
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.text import esc, truncate
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-event-review")


@routes.callback_query(EvFormCb.filter(F.action == "edit"), EventForm.review, flags=PERM)
async def edit_field(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    step = STEP_BY_NAME.get(f"{EventForm.__name__}:{callback_data.value}")
    if step is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    _draft, data = await load(state)
    if step in (EventForm.start, EventForm.end) and int(data.get("registrations", 0)):
        await query.answer(
            _("Este evento ya tiene personas inscritas: para cambiar la fecha o la hora use Reprogramar."),
            show_alert=True,
        )
        return
    await state.update_data(editing=True)
    await state.set_state(step)
    await show(query.message, state, session, press=query)


@routes.callback_query(EvFormCb.filter(F.action == "create"), EventForm.review, flags=PERM)
async def create(query: CallbackQuery, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    draft, data = await load(state)
    if not isinstance(query.message, Message):
        await query.answer()
        return
    code = data.get("code")
    try:
        if code:
            event = await events.by_code(session, code)
            if event is None:
                await state.clear()
                await query.answer(_("Ese evento ya no existe."), show_alert=True)
                return
            changed = await event_drafts.update_event(session, event, draft, query.from_user.id)
        else:
            event = await event_drafts.create_event(session, draft, query.from_user.id)
            changed = []
    except InvalidInput as exc:
        await fix_before_saving(query, state, session, draft, exc)
        return
    except EventEditRefused as exc:
        await query.answer(refused_text(exc), show_alert=True)
        return
    await session.commit()  # saved before it is announced
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if code:
        await query.message.answer(saved_text(event.code, changed))
        return
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=evento_{event.code}"
    await query.message.answer(
        _(
            "Evento creado ✅ <b>{code}</b> · {title}\n"
            "Los vecinos ya lo ven en /talleres. Enlace para afiches y mensajes:\n{link}\n"
            "Para corregirlo: /editar_evento {code}"
        ).format(code=esc(event.code), title=esc(truncate(event.title, 80)), link=link),
        disable_web_page_preview=True,
    )


async def fix_before_saving(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, draft: EventDraft, exc: InvalidInput
) -> None:
    """The draft no longer fits (the start passed while it waited, a field is missing): ask that step."""
    assert isinstance(query.message, Message)
    if exc.reason == "missing":
        step = STEP_BY_NAME[f"{EventForm.__name__}:{FIELD_OF_STEP_BY_FIELD[draft.missing()[0]]}"]
        note = _("Falta un dato antes de guardar.")
    elif exc.reason == "past":
        step, note = EventForm.start, _("La fecha de inicio ya pasó: escriba otra.")
    elif exc.reason == "end_before_start":
        step, note = EventForm.end, _("El fin tiene que ser después del inicio.")
    else:
        step, note = EventForm.deadline, _("Las inscripciones tienen que cerrar antes del inicio.")
    await state.update_data(editing=True)
    await state.set_state(step)
    await show(query.message, state, session, note, query)


FIELD_OF_STEP_BY_FIELD = {
    "kind": "kind", "title": "title", "district": "district", "venue": "venue",
    "starts_at": "start", "ends_at": "end", "organizer": "organizer",
}  # fmt: skip


def refused_text(exc: EventEditRefused) -> str:
    if exc.reason == "has_registrations":
        return _("Este evento ya tiene personas inscritas: para cambiar la fecha o la hora use Reprogramar.")
    if exc.reason == "capacity_below":
        return _("Ya hay {n} personas con cupo: los cupos no pueden ser menos de {n}.").format(
            n=exc.params.get("registered", 0)
        )
    return _("Este evento fue cancelado o ya pasó: no se puede editar.")


CHANGED_NAMES = {
    "kind": N_("tipo"), "title": N_("título"), "description": N_("descripción"), "district": N_("distrito"),
    "axis": N_("eje"), "mesa_id": N_("mesa"), "venue": N_("lugar"), "address": N_("dirección"),
    "latitude": N_("mapa"), "longitude": N_("mapa"), "starts_at": N_("inicio"), "ends_at": N_("fin"),
    "capacity": N_("cupos"), "registration_deadline": N_("inscripciones"), "walk_ins": N_("sin inscripción"),
    "organizer": N_("organiza"),
}  # fmt: skip


def saved_text(code: str, changed: list[str]) -> str:
    if not changed:
        return _("No había cambios: {code} sigue igual.").format(code=esc(code))
    names = list(dict.fromkeys(_(CHANGED_NAMES.get(c, c)) for c in changed))
    return _(
        "Cambios guardados ✅ en <b>{code}</b>: {fields}.\nLa ficha del evento ya muestra los datos nuevos."
    ).format(code=esc(code), fields=esc(", ".join(names)))


@routes.callback_query(EvFormCb.filter(F.action == "discard"), EventForm.review, flags=PERM)
async def discard(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    if isinstance(query.message, Message):
        await state.set_state(EventForm.discard)
        await show(query.message, state, session, press=query)


@routes.callback_query(
    EvFormCb.filter(F.action.in_({"discard_yes", "discard_no"})), EventForm.discard, flags=PERM
)
async def discard_answer(
    query: CallbackQuery, callback_data: EvFormCb, state: FSMContext, session: AsyncSession
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    if callback_data.action == "discard_no":
        await state.set_state(EventForm.review)
        await show(query.message, state, session, press=query)
        return
    code = (await state.get_data()).get("code")
    await state.clear()
    await query.answer()
    text = (
        _("Listo, no cambié nada en {code}.").format(code=esc(code))
        if code
        else _("Listo, descarté el evento: no se creó nada.")
    )
    await edit_text(query.message, text)
