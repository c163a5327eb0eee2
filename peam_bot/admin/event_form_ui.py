"""What the staff event form (/nuevo_evento, /editar_evento) shows: its states, each step's question
and buttons (also while correcting one field from the review screen), the review screen, and the
answers to a value that does not fit."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import register_states
from peam_bot.i18n import gettext as _
from peam_bot.i18n import ngettext
from peam_bot.services import event_drafts, reference
from peam_bot.services.event_drafts import EventDraft
from peam_bot.services.events import KIND_LABELS
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.rendering import STAFF_LOCALE
from peam_bot.services.text import esc, truncate


class EventForm(StatesGroup):
    kind = State()
    title = State()
    description = State()
    district = State()
    axis = State()
    mesa = State()
    venue = State()
    address = State()
    location = State()
    start = State()
    end = State()
    capacity = State()
    deadline = State()
    walk_ins = State()
    organizer = State()
    review = State()
    discard = State()


register_states(EventForm, permission="events")

STEPS = [
    EventForm.kind, EventForm.title, EventForm.description, EventForm.district, EventForm.axis,
    EventForm.mesa, EventForm.venue, EventForm.address, EventForm.location, EventForm.start,
    EventForm.end, EventForm.capacity, EventForm.deadline, EventForm.walk_ins, EventForm.organizer,
]  # fmt: skip
STEP_BY_NAME = {s.state: s for s in STEPS}
FIELD_OF_STEP = {s.state: (s.state or "").split(":")[1] for s in STEPS}  # "EventForm:title" -> "title"


class EvFormCb(CallbackData, prefix="ef"):
    action: str  # kind | district | axis | mesa | skip | keep | nolimit | walkins | org | edit | create | …
    value: str = ""


def button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=EvFormCb(action=action, value=value).pack())


def keyboard(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(r) for r in rows if r])


def applies(step: State, draft: EventDraft, has_mesas: bool) -> bool:
    return step is not EventForm.mesa or (draft.kind == "mesa" and has_mesas)


# --- each step's question --------------------------------------------------------------------------


def _skip_row(editing: bool, present: bool) -> list[InlineKeyboardButton]:
    if editing and present:
        return [button(_("Quitar"), "skip")]
    return [button(_("Omitir"), "skip")]


def _keep_row(editing: bool) -> list[InlineKeyboardButton]:
    return [button(_("↩️ Dejar como está"), "keep")] if editing else []


def _now_says(value: str | None, editing: bool) -> str:
    if not editing or not value:
        return ""
    return "\n" + _("Ahora dice: «{current}»").format(current=esc(truncate(value, 300)))


async def district_rows(session: AsyncSession, page: str) -> list[list[InlineKeyboardButton]]:
    metro = page == "main"
    chosen = [(s, n) for s, n, m in await reference.districts(session) if m == metro]
    buttons = [button(n, "district", s) for s, n in chosen]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if metro:
        rows.append([button(_("Otros distritos ➡️"), "district", "_more")])
    else:
        rows.append([button(_("⬅️ Volver"), "district", "_main")])
    return rows


async def prompt(
    step: str, draft: EventDraft, session: AsyncSession, editing: bool, staff_name: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of one step and its buttons (also to repeat it after a wrong answer)."""
    keep = _keep_row(editing)
    if step == EventForm.kind.state:
        rows = [[button(_(label), "kind", kind)] for kind, label in KIND_LABELS.items()]
        return _("¿Qué <b>tipo de evento</b> es?"), keyboard(*rows, keep)
    if step == EventForm.title.state:
        text = _(
            "Escriba el <b>título</b> del evento (5 a 120 letras).\nEjemplo: «Taller de movilidad en Cayma»."
        )
        return text + _now_says(draft.title, editing), keyboard(keep)
    if step == EventForm.description.state:
        text = _(
            "Escriba una <b>descripción</b> corta: de qué trata y para quién es (hasta 2000 letras). "
            "Si no hace falta, pulse Omitir."
        )
        return text + _now_says(draft.description, editing), keyboard(
            _skip_row(editing, bool(draft.description)), keep
        )
    if step == EventForm.district.state:
        return _("¿En qué <b>distrito</b> es?"), keyboard(*await district_rows(session, "main"), keep)
    if step == EventForm.axis.state:
        rows = [[button(_(name), "axis", slug)] for slug, name in await reference.themes(session)]
        text = _("¿De qué <b>eje del Plan</b> es? Si toca varios, pulse Omitir.")
        return text, keyboard(*rows, _skip_row(editing, draft.axis is not None), keep)
    if step == EventForm.mesa.state:
        rows = [
            [button(truncate(name, 60), "mesa", str(mid))]
            for mid, _c, name in await event_drafts.mesas(session)
        ]
        rows.append([button(_("Ninguna"), "mesa", "none")])
        return _("¿De qué <b>mesa de concertación</b> es esta sesión?"), keyboard(*rows, keep)
    if step == EventForm.venue.state:
        text = _(
            "¿Dónde es? Escriba el <b>nombre del lugar</b> (3 a 160 letras).\n"
            "Ejemplo: «Auditorio de la Municipalidad de Cayma»."
        )
        return text + _now_says(draft.venue, editing), keyboard(keep)
    if step == EventForm.address.state:
        text = _("Escriba la <b>dirección</b>, o pulse Omitir.\nEjemplo: «Plaza de Cayma s/n».")
        return text + _now_says(draft.address, editing), keyboard(
            _skip_row(editing, bool(draft.address)), keep
        )
    if step == EventForm.location.state:
        text = _(
            "Si quiere, comparta el <b>punto en el mapa</b>: toque 📎 y luego «Ubicación».\n"
            "Si no, pulse Omitir."
        )
        return text, keyboard(_skip_row(editing, draft.latitude is not None), keep)
    if step == EventForm.start.state:
        text = _(
            "¿Cuándo <b>empieza</b>? Escriba el día y la hora de Lima.\n"
            "Ejemplos: «{example}», «sábado 12 de diciembre 9:00»."
        ).format(example=event_drafts.example_start())
        return text, keyboard(keep)
    if step == EventForm.end.state:
        text = _(
            "¿A qué hora <b>termina</b>? Si es el mismo día, basta la hora (por ejemplo, 12:00); "
            "si no, escriba el día y la hora."
        )
        return text, keyboard(keep)
    if step == EventForm.capacity.state:
        text = _("¿Cuántos <b>cupos</b> hay? Escriba un número, o pulse Sin límite.")
        return text, keyboard([button(_("Sin límite"), "nolimit")], keep)
    if step == EventForm.deadline.state:
        text = _(
            "¿Hasta cuándo se reciben <b>inscripciones</b>? Escriba el día y la hora, "
            "o pulse Omitir: se reciben hasta el inicio."
        )
        return text, keyboard(_skip_row(editing, draft.registration_deadline is not None), keep)
    if step == EventForm.walk_ins.state:
        text = _("¿Se recibe a quien llegue <b>sin inscripción</b>, si hay sitio?")
        return text, keyboard([button(_("Sí"), "walkins", "yes"), button(_("No"), "walkins", "no")], keep)
    if step == EventForm.organizer.state:
        text = _("¿Quién <b>organiza</b>? Pulse un nombre o escriba otro (por ejemplo, una institución).")
        names = [staff_name, "AQPlan"] if staff_name and staff_name != "AQPlan" else ["AQPlan"]
        return text + _now_says(draft.organizer, editing), keyboard(
            [button(truncate(n, 40), "org", str(i)) for i, n in enumerate(names)], keep
        )
    return _("¿Qué desea hacer?"), None


def organizer_choice(index: str, staff_name: str) -> str | None:
    names = [staff_name, "AQPlan"] if staff_name and staff_name != "AQPlan" else ["AQPlan"]
    return names[int(index)] if index.isdigit() and int(index) < len(names) else None


# --- the review screen -----------------------------------------------------------------------------


async def review(
    session: AsyncSession, draft: EventDraft, code: str | None, registrations: int
) -> tuple[str, InlineKeyboardMarkup]:
    loc = STAFF_LOCALE
    none = "—"
    head = (
        _("<b>Revise los cambios de {code}</b>").format(code=esc(code))
        if code
        else _("<b>Revise el evento antes de crearlo</b>")
    )
    kind = _(KIND_LABELS[draft.kind]) if draft.kind in KIND_LABELS else none
    axis = _(await reference.theme_name(session, draft.axis)) if draft.axis else none
    lines = [
        head,
        _("Tipo: {v}").format(v=esc(kind)),
        _("Título: <b>{v}</b>").format(v=esc(draft.title or none)),
        _("Descripción: {v}").format(v=esc(truncate(draft.description, 300)) if draft.description else none),
        _("Distrito: {v}").format(v=esc(await reference.district_name(session, draft.district))),
        _("Eje: {v}").format(v=esc(axis)),
    ]
    if draft.kind == "mesa":
        lines.append(
            _("Mesa: {v}").format(v=esc(await event_drafts.mesa_name(session, draft.mesa_id) or none))
        )
    where = _("punto guardado ✅") if draft.latitude is not None else none
    start = event_drafts.moment_text(draft.starts_at, loc) if draft.starts_at else none
    end = event_drafts.moment_text(draft.ends_at, loc) if draft.ends_at else none
    if draft.starts_at and draft.ends_at and event_drafts.same_day(draft.starts_at, draft.ends_at):
        end = _("{time}, el mismo día").format(time=event_drafts.clock_text(draft.ends_at))
    seats = str(draft.capacity) if draft.capacity is not None else _("sin límite")
    deadline = (
        event_drafts.moment_text(draft.registration_deadline, loc)
        if draft.registration_deadline
        else _("hasta el inicio")
    )
    lines += [
        _("Lugar: {v}").format(v=esc(draft.venue or none)),
        _("Dirección: {v}").format(v=esc(draft.address or none)),
        _("Mapa: {v}").format(v=where),
        _("Inicio: {v}").format(v=esc(start)),
        _("Fin: {v}").format(v=esc(end)),
        _("Cupos: {v}").format(v=esc(seats)),
        _("Inscripciones: {v}").format(v=esc(deadline)),
        _("Sin inscripción: {v}").format(
            v=_("se recibe si hay sitio") if draft.walk_ins else _("no se recibe")
        ),
        _("Organiza: {v}").format(v=esc(draft.organizer or none)),
    ]
    if registrations:
        lines.append(
            ngettext(
                "Ya hay {n} persona inscrita o en espera: para cambiar la fecha o la hora use Reprogramar.",
                "Ya hay {n} personas inscritas o en espera: para cambiar la fecha o la hora use Reprogramar.",
                registrations,
            ).format(n=registrations)
        )
    if code:
        lines.append(_("Nada cambia hasta que pulse Guardar cambios."))
    else:
        lines.append(_("Nada se publica hasta que pulse Crear evento."))
    save = button(_("💾 Guardar cambios"), "create") if code else button(_("✅ Crear evento"), "create")

    def edit(label: str, field: str) -> InlineKeyboardButton:
        return button(label, "edit", field)

    rows = [
        [save],
        [edit(_("✏️ Tipo"), "kind"), edit(_("✏️ Título"), "title")],
        [edit(_("✏️ Descripción"), "description"), edit(_("📍 Distrito"), "district")],
        [edit(_("🏷 Eje"), "axis"), edit(_("🏛 Lugar"), "venue")],
        [edit(_("✏️ Dirección"), "address"), edit(_("🗺 Mapa"), "location")],
        [edit(_("🕘 Inicio"), "start"), edit(_("🕛 Fin"), "end")],
        [edit(_("👥 Cupos"), "capacity"), edit(_("⏳ Inscripciones"), "deadline")],
        [edit(_("🚪 Sin inscripción"), "walk_ins"), edit(_("👤 Organiza"), "organizer")],
    ]
    if draft.kind == "mesa":
        rows[1].append(edit(_("✏️ Mesa"), "mesa"))
    rows.append([button(_("🗑 Descartar"), "discard")])
    return "\n".join(lines), keyboard(*rows)


def discard_keyboard() -> InlineKeyboardMarkup:
    return keyboard([button(_("Sí, descartar"), "discard_yes"), button(_("No, volver"), "discard_no")])


# --- answers that do not fit -------------------------------------------------------------------------

FIELD_NAMES: dict[str, Callable[[], str]] = {
    "title": lambda: _("el título"),
    "description": lambda: _("la descripción"),
    "venue": lambda: _("el nombre del lugar"),
    "address": lambda: _("la dirección"),
    "organizer": lambda: _("quién organiza"),
}


def length_text(field: str, exc: InvalidInput, given: str) -> str:
    name = FIELD_NAMES[field]()
    lo, hi = exc.params.get("min", 0), exc.params.get("max", 0)
    if exc.reason == "too_long":
        return _(
            "Es demasiado texto para {field}: tiene {n} letras y el máximo es {max}. Acórtelo, por favor."
        ).format(field=name, n=len(given.strip()), max=hi)
    if exc.reason == "no_letters":
        return _("Para {field} necesito palabras, no solo números o signos ({min} a {max} letras).").format(
            field=name, min=lo, max=hi
        )
    return _(
        "Es muy poco texto para {field}: se necesitan al menos {min} letras. Escríbalo de nuevo."
    ).format(field=name, min=lo)


def date_text(exc: InvalidInput, start_text: str = "") -> str:
    example = event_drafts.example_start()
    reasons: dict[str, Callable[[], str]] = {
        "bad_date": lambda: _("No reconocí esa fecha. Escriba día/mes/año y hora, por ejemplo: {example}."),
        "no_time": lambda: _("Falta la hora. Escriba el día y la hora, por ejemplo: {example}."),
        "no_date": lambda: _("Falta el día. Escriba el día y la hora, por ejemplo: {example}."),
        "bad_time": lambda: _("No reconocí esa hora. Escríbala así: 9:00, 15:30 o 3pm."),
        "past": lambda: _("Esa fecha y hora ya pasaron. Escriba una fecha futura, por ejemplo: {example}."),
        "too_far": lambda: _("Esa fecha es dentro de más de dos años: revise el año."),
        "weekday": lambda: _("Esa fecha cae en {weekday}: revise el día o el nombre del día."),
        "end_before_start": lambda: _(
            "El fin tiene que ser después del inicio ({start}). Escriba la hora en que termina."
        ),
        "after_start": lambda: _(
            "Las inscripciones tienen que cerrar antes del inicio ({start}). Escriba otra fecha, o pulse Omitir."
        ),
    }
    weekday = event_drafts.weekday_name(exc.params.get("weekday", 0), STAFF_LOCALE)
    text = reasons.get(exc.reason, reasons["bad_date"])()
    return text.format(example=example, weekday=weekday, start=start_text)


def capacity_text(exc: InvalidInput) -> str:
    if exc.reason == "out_of_range":
        return _("Los cupos van de 1 a {max}. Escriba otro número, o pulse Sin límite.").format(
            max=event_drafts.CAPACITY_MAX
        )
    return _("Escriba el número de cupos con cifras (por ejemplo, 40), o pulse Sin límite.")
