"""Talleres, mesas de concertación and other events for residents: the upcoming ones by district and
axis, an event's card with its map, **Inscribirme** (a seat or the waiting list), and
/mis_inscripciones with each ticket (code, QR, .ics) and its cancellation."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks
from peam_bot.handlers.ui import MENU_EVENTS, Registered, main_menu, menu_labels
from peam_bot.i18n import gettext as _
from peam_bot.services import events, mesas, reference, tickets
from peam_bot.services.events import EventError
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.text import clean_input, esc, has_letters, truncate
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User, utcnow
from peam_bot.telegram.routing import Routes

routes = Routes("events")

PAGE = 6
NAME_MIN, NAME_MAX = 3, 80
ORG_MAX = 100


class EvListCb(CallbackData, prefix="evl"):
    scope: str  # t: every event | m: mesa sessions
    district: str = ""
    axis: str = ""
    page: int = 0
    facet: str = ""  # "" the list | d: pick a district | a: pick an axis


class EvCb(CallbackData, prefix="ev"):
    action: str  # card | reg | map | who | me | org | orgt | mine | ticket | cancel | cancel_ok
    code: str  # an event code, or a registration id (ticket, cancel)
    value: str = ""


class Signup(StatesGroup):
    name = State()
    org_name = State()


def _b(text: str, cb: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=cb.pack())


def stale() -> str:
    return _("Ese botón ya no está activo.")


REFUSALS = {
    "cancelled": lambda: _("Este evento fue cancelado: ya no recibe inscripciones."),
    "past": lambda: _("Este evento ya pasó: ya no recibe inscripciones."),
    "closed": lambda: _("Las inscripciones para este evento ya cerraron."),
    "already_cancelled": lambda: _("Esa inscripción ya estaba cancelada."),
    "attended": lambda: _("Su asistencia ya está registrada: esta inscripción ya no se puede cancelar."),
}


# --- lists -----------------------------------------------------------------------------------------


async def list_view(
    session: AsyncSession, cb: EvListCb, locale: str
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of one page of upcoming events (None: the page does not exist)."""
    districts = {slug: name for slug, name, _m in await reference.districts(session)}
    themes = {slug: _(name) for slug, name in await reference.themes(session)}
    if (cb.district and cb.district not in districts) or (cb.axis and cb.axis not in themes):
        return None
    if cb.facet:
        labels = districts if cb.facet == "d" else themes
        rows, buttons = [], []
        for slug, label in labels.items():
            target = EvListCb(scope=cb.scope, district=slug if cb.facet == "d" else cb.district,
                              axis=slug if cb.facet == "a" else cb.axis)  # fmt: skip
            buttons.append(_b(truncate(label, 30), target))
        width = 2 if cb.facet == "d" else 1
        rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
        rows.append([_b(_("⬅️ Volver"), EvListCb(scope=cb.scope, district=cb.district, axis=cb.axis))])
        title = _("Elija un distrito:") if cb.facet == "d" else _("Elija un tema:")
        return title, InlineKeyboardMarkup(inline_keyboard=rows)
    found, total = await events.upcoming(
        session, utcnow(), mesas_only=cb.scope == "m", district=cb.district or None,
        axis=cb.axis or None, offset=cb.page * PAGE, limit=PAGE,
    )  # fmt: skip
    pages = max(1, -(-total // PAGE))
    if cb.page >= pages:
        return None
    what = _("Sesiones de mesas de concertación") if cb.scope == "m" else _("Talleres y eventos")
    filters = [f for f in (districts.get(cb.district), themes.get(cb.axis)) if f]
    head = f"<b>{what}</b>" + (f" · {esc(' · '.join(filters))}" if filters else "")
    if total == 0:
        lines = [head, _("No hay eventos programados por ahora. Vuelva pronto o pruebe otro filtro.")]
    else:
        lines = [head + " " + _("· página {page} de {pages}").format(page=cb.page + 1, pages=pages)]
        lines += [event_line(e, locale) for e in found]
    rows = [[_b(f"{e.code} · {truncate(e.title, 40)}", EvCb(action="card", code=e.code))] for e in found]
    nav = []
    if cb.page > 0:
        nav.append(_b(_("◀️ Anterior"), cb.model_copy(update={"page": cb.page - 1})))
    if cb.page + 1 < pages:
        nav.append(_b(_("Siguiente ▶️"), cb.model_copy(update={"page": cb.page + 1})))
    if nav:
        rows.append(nav)
    rows.append(
        [
            _b(_("📍 Distrito"), cb.model_copy(update={"facet": "d", "page": 0})),
            _b(_("🏷 Tema"), cb.model_copy(update={"facet": "a", "page": 0})),
        ]
    )
    if cb.district or cb.axis:
        rows.append([_b(_("✖️ Quitar filtros"), EvListCb(scope=cb.scope))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def event_line(event: Event, locale: str) -> str:
    left = events.seats_left(event)
    seats = "" if left is None else " · " + (_("{n} cupos").format(n=left) if left else _("lista de espera"))
    return f"• <b>{esc(truncate(event.title, 70))}</b>\n  {esc(events.when(event, locale))}{seats}"


@routes.message(Command("talleres", "eventos", "events"), StateFilter(None))
@routes.message(F.text.in_(menu_labels(MENU_EVENTS)), StateFilter(None))
async def talleres(message: Message, session: AsyncSession, locale: str) -> None:
    view = await list_view(session, EvListCb(scope="t"), locale)
    assert view is not None
    await message.answer(view[0], reply_markup=view[1])


@routes.callback_query(EvListCb.filter())
async def list_page(query: CallbackQuery, callback_data: EvListCb, session: AsyncSession, locale: str) -> None:
    view = await list_view(session, callback_data, locale)
    if view is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    await query.message.edit_text(view[0], reply_markup=view[1])


# --- the card --------------------------------------------------------------------------------------


async def card_text(session: AsyncSession, event: Event, locale: str) -> str:
    kind = _(events.KIND_LABELS.get(event.kind, event.kind))
    lines = [f"<b>{esc(event.title)}</b>", f"{esc(kind)} · {esc(event.code)}"]
    if event.status == "cancelado":
        lines.append(_("❌ <b>Cancelado</b>"))
    elif event.status == "reprogramado":
        lines.append(_("🔁 Reprogramado"))
    lines.append("🗓 " + esc(events.when(event, locale)))
    lines.append("📍 " + esc(", ".join(p for p in (event.venue, event.address) if p)))
    facts = []
    if event.district:
        facts.append(await reference.district_name(session, event.district))
    if event.axis:
        facts.append(_(await reference.theme_name(session, event.axis)))
    if facts:
        lines.append("🏷 " + esc(" · ".join(facts)))
    left = events.seats_left(event)
    if left is None:
        lines.append(_("👥 Sin límite de cupos"))
    elif left:
        lines.append(_("👥 Quedan {n} de {total} cupos").format(n=left, total=event.capacity))
    else:
        lines.append(_("👥 Cupos agotados: puede anotarse en la lista de espera"))
    lines.append(_("⏳ Inscripciones hasta: {when}").format(when=esc(fmt_datetime(event.deadline, locale))))
    lines.append(_("Organiza: {who}").format(who=esc(event.organizer)))
    if event.description:
        lines.append("")
        lines.append(esc(truncate(event.description, 1500)))
    return "\n".join(lines)


async def card_keyboard(session: AsyncSession, event: Event, user: User | None) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    mine = await events.registration_of(session, event.id, user.id) if user is not None else None
    if mine is not None and mine.status != "cancelado":
        rows.append([_b(_("🎟 Ver mi entrada"), EvCb(action="ticket", code=str(mine.id)))])
    elif events.refusal(event, utcnow()) is None:
        full = events.seats_left(event) == 0
        rows.append([_b(_("📝 Anotarme en la lista de espera") if full else _("✅ Inscribirme"),
                        EvCb(action="reg", code=event.code))])  # fmt: skip
    if event.latitude is not None and event.longitude is not None:
        rows.append([_b(_("🗺 Ver el lugar en el mapa"), EvCb(action="map", code=event.code))])
    rows.append([_b(_("⬅️ Ver todos"), EvListCb(scope="m" if event.kind == "mesa" else "t"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def send_card(message: Message, session: AsyncSession, event: Event, user: User | None, locale: str) -> None:
    await message.answer(
        await card_text(session, event, locale), reply_markup=await card_keyboard(session, event, user)
    )


@routes.callback_query(EvCb.filter(F.action == "card"))
async def card_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User | None, locale: str
) -> None:
    event = await events.by_code(session, callback_data.code)
    if event is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    await send_card(query.message, session, event, user, locale)


@routes.callback_query(EvCb.filter(F.action == "map"))
async def map_button(query: CallbackQuery, callback_data: EvCb, session: AsyncSession) -> None:
    event = await events.by_code(session, callback_data.code)
    if event is None or event.latitude is None or event.longitude is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    await query.message.answer_venue(
        event.latitude, event.longitude, truncate(event.venue, 64), truncate(event.address or event.venue, 200)
    )


@deeplinks.register("evento")
async def open_event_link(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    event = await events.by_code(session, rest)
    if event is None:
        await message.answer(_("No encontré ese evento. Vea los próximos con /talleres."), reply_markup=main_menu())
        return
    await send_card(message, session, event, user, user.locale)


# --- Inscribirme -----------------------------------------------------------------------------------


@routes.callback_query(EvCb.filter(F.action == "reg"), Registered())
async def register_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext, locale: str
) -> None:
    event = await events.by_code(session, callback_data.code)
    if event is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    reason = events.refusal(event, utcnow())
    if reason is not None:
        await query.answer(REFUSALS[reason](), show_alert=True)
        return
    if await busy(state):
        return await query.answer(BUSY(), show_alert=True)
    await query.answer()
    await state.set_data({"event": event.code})
    if user.attendance_name is None:
        await ask_name(query.message, state, query.from_user.full_name)
    elif user.organization:
        await ask_organization(query.message, event, user)
    else:
        await finish(query.message, session, state, user, user.attendance_name, None, None, locale)


def BUSY() -> str:  # noqa: N802 - a text, like REFUSALS
    return _("Tiene un formulario a medias (por ejemplo, una iniciativa): termínelo o escriba /cancelar, y "
             "vuelva a pulsar Inscribirme.")  # fmt: skip


async def busy(state: FSMContext) -> bool:
    """The resident is in the middle of another form, whose answers the inscription must not replace."""
    current = await state.get_state()
    return current is not None and not current.startswith(Signup.__name__)


async def ask_name(message: Message, state: FSMContext, telegram_name: str) -> None:
    await state.set_state(Signup.name)
    rows = []
    name = clean_input(telegram_name)
    if NAME_MIN <= len(name) <= NAME_MAX and has_letters(name):
        await state.update_data(tg_name=name)
        rows.append([_b(_("Usar «{name}»").format(name=truncate(name, 40)), EvCb(action="who", code="-"))])
    await message.answer(
        _("¿Con qué nombre quiere aparecer en la lista de asistentes? Escríbalo (nombre y apellido)."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
    )


async def ask_organization(message: Message, event: Event, user: User) -> None:
    rows = [[_b(_("🙋 A título personal"), EvCb(action="me", code=event.code))]]
    if user.organization:
        rows.insert(0, [_b(_("🏢 Por «{org}»").format(org=truncate(user.organization, 40)),
                           EvCb(action="org", code=event.code, value="same"))])  # fmt: skip
    rows.append([_b(_("🏢 Por otra organización") if user.organization else _("🏢 Por una organización"),
                    EvCb(action="org", code=event.code, value="new"))])  # fmt: skip
    await message.answer(_("¿Se inscribe a título personal o en nombre de una organización?"),
                         reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))  # fmt: skip


async def _signup_event(session: AsyncSession, state: FSMContext) -> Event | None:
    code = (await state.get_data()).get("event")
    return await events.by_code(session, code) if code else None


async def _named(message: Message, session: AsyncSession, state: FSMContext, user: User, name: str) -> None:
    event = await _signup_event(session, state)
    if event is None:
        await state.clear()
        await message.answer(stale(), reply_markup=main_menu())
        return
    user.attendance_name = name
    await state.set_state(None)
    await ask_organization(message, event, user)


@routes.message(Signup.name, F.text, ~F.text.startswith("/"), Registered())
async def got_name(message: Message, session: AsyncSession, state: FSMContext, user: User) -> None:
    name = clean_input(message.text or "")
    if not (NAME_MIN <= len(name) <= NAME_MAX) or not has_letters(name):
        await message.answer(
            _("Escriba su nombre como quiere que aparezca en la lista ({min} a {max} letras).").format(
                min=NAME_MIN, max=NAME_MAX
            )
        )
        return
    await _named(message, session, state, user, name)


@routes.callback_query(EvCb.filter(F.action == "who"), Signup.name, Registered())
async def telegram_name_button(query: CallbackQuery, session: AsyncSession, state: FSMContext, user: User) -> None:
    name = (await state.get_data()).get("tg_name")
    if not name or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    await _named(query.message, session, state, user, name)


@routes.message(Signup.org_name, F.text, ~F.text.startswith("/"), Registered())
async def got_org_name(message: Message, state: FSMContext) -> None:
    org = clean_input(message.text or "")
    if not (2 <= len(org) <= ORG_MAX) or not has_letters(org):
        await message.answer(_("Escriba el nombre de la organización (hasta {n} letras).").format(n=ORG_MAX))
        return
    data = await state.get_data()
    await state.set_state(None)
    await state.update_data(org=org)
    code = str(data.get("event", ""))
    await message.answer(
        _("¿Qué tipo de organización es «{org}»?").format(org=esc(org)),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [_b(_("🏘 Territorial (junta vecinal, asociación de vivienda…)"),
                    EvCb(action="orgt", code=code, value="territorial"))],
                [_b(_("🤝 Funcional (comedor, club de madres, gremio…)"),
                    EvCb(action="orgt", code=code, value="funcional"))],
            ]
        ),
    )  # fmt: skip


@routes.message(StateFilter(Signup.name, Signup.org_name), Registered())
async def not_text(message: Message) -> None:
    """A photo, a sticker or a command while the inscription waits for a name."""
    await message.answer(_("Sigo esperando ese nombre para su inscripción: escríbalo en un mensaje de texto. "
                           "Para dejarlo: /cancelar"))  # fmt: skip


async def _choosing(query: CallbackQuery, callback_data: EvCb, user: User, state: FSMContext) -> bool:
    """The press that chooses for whom the resident registers: answered, and the event kept for the
    steps after it; False (answered too) when the button is stale or another form is under way."""
    if not isinstance(query.message, Message) or user.attendance_name is None:
        await query.answer(stale())
        return False
    if await busy(state):
        await query.answer(BUSY(), show_alert=True)
        return False
    await query.answer()
    await state.set_data({"event": callback_data.code})
    return True


@routes.callback_query(EvCb.filter(F.action == "me"), Registered())
async def personal_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext, locale: str
) -> None:
    if not await _choosing(query, callback_data, user, state):
        return
    await finish(query.message, session, state, user, user.attendance_name, None, None, locale)


@routes.callback_query(EvCb.filter(F.action == "org"), Registered())
async def organization_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext, locale: str
) -> None:
    if not await _choosing(query, callback_data, user, state):
        return
    if callback_data.value == "same" and user.organization:
        await finish(query.message, session, state, user, user.attendance_name, user.organization,
                     user.organization_type, locale)  # fmt: skip
        return
    await state.set_state(Signup.org_name)
    await query.message.answer(_("Escriba el nombre de la organización (hasta {n} letras).").format(n=ORG_MAX))


@routes.callback_query(EvCb.filter(F.action == "orgt"), Registered())
async def organization_type_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, state: FSMContext, locale: str
) -> None:
    org = (await state.get_data()).get("org")
    if not org or callback_data.value not in ("territorial", "funcional") or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    await query.answer()
    await finish(query.message, session, state, user, user.attendance_name or "", org, callback_data.value, locale)


async def finish(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    user: User,
    name: str,
    org: str | None,
    org_type: str | None,
    locale: str,
) -> None:
    event = await _signup_event(session, state)
    await state.clear()
    if event is None:
        await message.answer(stale(), reply_markup=main_menu())
        return
    try:
        outcome = await events.register(session, event, user, name, org, org_type)
    except EventError as exc:
        await message.answer(REFUSALS[exc.reason](), reply_markup=main_menu())
        return
    reg = outcome.registration
    title, when = esc(event.title), esc(events.when(event, locale))
    if outcome.seat:
        text = (_("Ya estaba inscrito(a) en <b>{title}</b> ({when}).") if outcome.already
                else _("✅ Listo, está inscrito(a) en <b>{title}</b> ({when}).")).format(title=title, when=when)  # fmt: skip
        text += "\n" + _("Su entrada es <code>{ticket}</code>: muéstrela al llegar. Le recordaré el evento por "
                         "aquí antes de que empiece.").format(ticket=reg.ticket)  # fmt: skip
    else:
        text = _("📝 Los cupos de <b>{title}</b> están completos: está en la lista de espera, puesto {n}. Si se "
                 "libera un cupo, se lo doy a usted en orden de llegada y le aviso por aquí.").format(
            title=title, n=outcome.waiting_position)  # fmt: skip
    rows = [[_b(_("🎟 Ver mi entrada"), EvCb(action="ticket", code=str(reg.id)))]] if outcome.seat else []
    rows.append([_b(_("❌ Cancelar inscripción"), EvCb(action="cancel", code=str(reg.id)))])
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


# --- my registrations ------------------------------------------------------------------------------


@routes.message(Command("mis_inscripciones", "inscripciones", "my_registrations"), StateFilter(None), Registered())
async def my_registrations(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    found = await events.mine(session, user.id, utcnow())
    if not found:
        await message.answer(_("No tiene inscripciones para próximos eventos. Vea los talleres con /talleres."),
                             reply_markup=main_menu())  # fmt: skip
        return
    lines = [_("<b>Sus inscripciones</b> ({n})").format(n=len(found))]
    rows = []
    for reg, event in found[:20]:
        if event.status == "cancelado":
            status = _("❌ evento cancelado")
        elif reg.status == "inscrito":
            status = _("entrada {ticket}").format(ticket=reg.ticket)
        else:
            status = _("lista de espera, puesto {n}").format(n=await events.waiting_position(session, reg))
        lines.append(f"• <b>{esc(truncate(event.title, 60))}</b>\n  {esc(events.when(event, locale))} · {status}")
        rows.append([_b(f"🎟 {event.code} · {truncate(event.title, 36)}", EvCb(action="ticket", code=str(reg.id)))])
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def _own_registration(
    session: AsyncSession, callback_data: EvCb, user: User
) -> tuple[Registration, Event] | None:
    if not callback_data.code.isdigit():
        return None
    reg = await events.registration_by_id(session, int(callback_data.code))
    if reg is None or reg.user_id != user.id:
        return None
    event = await session.get(Event, reg.event_id)
    return None if event is None else (reg, event)


@routes.callback_query(EvCb.filter(F.action == "ticket"), Registered())
async def ticket_button(
    query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User, locale: str
) -> None:
    found = await _own_registration(session, callback_data, user)
    if found is None or found[0].status == "cancelado" or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    reg, event = found
    await query.answer()
    place = ", ".join(p for p in (event.venue, event.address) if p)
    if reg.status == "espera":
        caption = _("📝 <b>{title}</b>\n{when}\nEstá en la lista de espera, puesto {n}.").format(
            title=esc(event.title), when=esc(events.when(event, locale)), n=await events.waiting_position(session, reg)
        )
        await query.message.answer(caption, reply_markup=_ticket_keyboard(reg))
        return
    caption = _("🎟 Entrada <code>{ticket}</code> · {name}\n<b>{title}</b>\n{when}\n📍 {place}").format(
        ticket=reg.ticket, name=esc(reg.attendee_name), title=esc(event.title),
        when=esc(events.when(event, locale)), place=esc(place),
    )  # fmt: skip
    await query.message.answer_photo(
        BufferedInputFile(tickets.qr_png(reg.ticket), filename=f"entrada-{reg.ticket}.png"),
        caption=caption,
        reply_markup=_ticket_keyboard(reg),
    )
    await query.message.answer_document(
        BufferedInputFile(tickets.ics(event, reg.ticket), filename=f"{event.code}.ics"),
        caption=_("📅 Ábralo para agregar el evento a su calendario."),
    )


def _ticket_keyboard(reg: Registration) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_b(_("❌ Cancelar inscripción"),
                                                      EvCb(action="cancel", code=str(reg.id)))]])  # fmt: skip


@routes.callback_query(EvCb.filter(F.action == "cancel"), Registered())
async def cancel_button(query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User) -> None:
    found = await _own_registration(session, callback_data, user)
    if found is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    reg, event = found
    if reg.status == "cancelado":
        await query.answer(REFUSALS["already_cancelled"](), show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        _("¿Cancela su inscripción en <b>{title}</b>? Su cupo pasará a la siguiente persona en espera.").format(
            title=esc(event.title)
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[_b(_("Sí, cancelar"), EvCb(action="cancel_ok", code=str(reg.id))),
                              _b(_("No"), EvCb(action="ticket", code=str(reg.id)))]]
        ),
    )  # fmt: skip


@routes.callback_query(EvCb.filter(F.action == "cancel_ok"), Registered())
async def cancel_confirmed(query: CallbackQuery, callback_data: EvCb, session: AsyncSession, user: User) -> None:
    found = await _own_registration(session, callback_data, user)
    if found is None or not isinstance(query.message, Message):
        await query.answer(stale())
        return
    reg, event = found
    try:
        await events.cancel(session, reg)
    except EventError as exc:
        await query.answer(REFUSALS[exc.reason](), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(
        _("Cancelé su inscripción en <b>{title}</b>. Puede volver a inscribirse desde /talleres si hay cupo.").format(
            title=esc(event.title)
        )
    )


mesas.install_card_button(
    lambda text, code: {"text": text, "callback_data": EvCb(action="card", code=code).pack()}
)
