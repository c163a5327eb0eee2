"""Triage of initiatives by AQPlan moderators, in the staff group and in private chat.

The buttons of an initiative's staff message (announcement, answer, `/iniciativa` card) swap in
place for the second step (which project, which reason, which original…), so a moderator clears an
initiative in one or two taps. Text the moderator must type (a question, a reason) is asked with a
ForceReply, so it reaches the bot in a group with privacy mode on. Every step runs the role check
(flags) and the service's compare-and-set; a loser sees who won.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from babel.dates import format_timedelta
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import register_states, staff_routes
from peam_bot.config import Settings
from peam_bot.i18n import gettext as _
from peam_bot.services import audit, reference, staff, users
from peam_bot.services.formatting import babel_locale
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import (
    announcements,
    cards,
    conduct,
    decisions,
    history,
    queue,
    states,
    templates,
    workflow,
)
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.rendering import status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, utcnow
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-moderation")
TRIAGE = {"permission": "triage"}
UNDO = {"permission": "undo"}
AUDIT = {"permission": "audit"}
TEMPLATES = {"permission": "templates"}
PER_PAGE = 5


class TriageCb(CallbackData, prefix="mq"):
    action: str
    id: int
    arg: str = ""


class QueueCb(CallbackData, prefix="mc"):
    action: str  # page | fd (choose district) | ft (choose theme)
    page: int = 0
    d: int = -1  # index in the district list, -1: any
    t: int = -1  # index in the theme list, -1: any


class TplCb(CallbackData, prefix="mt"):
    action: str  # edit | del (asks) | delc (deletes) | list | new
    id: int = 0


class ModInput(StatesGroup):
    question = State()
    reason = State()
    block_reason = State()
    dup_code = State()
    template = State()


register_states(ModInput)


def button(text: str, action: str, ini_id: int, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=TriageCb(action=action, id=ini_id, arg=arg).pack())


async def markup_of(session: AsyncSession, ini: Initiative) -> InlineKeyboardMarkup:
    base = await cards.markup_for(session, ini) or {"inline_keyboard": []}
    return InlineKeyboardMarkup.model_validate(base)


def back_row(ini_id: int) -> list[InlineKeyboardButton]:
    return [button(_("↩️ Volver"), "back", ini_id)]


async def show_card(message: Message, session: AsyncSession, ini: Initiative, in_place: bool) -> None:
    text = await cards.staff_card(session, ini)
    markup = await markup_of(session, ini)
    if in_place:
        await edit_text(message, text, markup)
    else:
        await message.answer(text, reply_markup=markup, disable_web_page_preview=True)


async def refused(query: CallbackQuery, session: AsyncSession, exc: Refused, ini_id: int) -> None:
    """Tell the moderator why nothing happened and bring their message up to date."""
    await query.answer(truncate(exc.message("es"), 190), show_alert=True)
    ini = await workflow.get(session, ini_id)
    if ini is not None and isinstance(query.message, Message):
        await show_card(query.message, session, ini, in_place=True)


def here(query: CallbackQuery) -> tuple[int, int] | None:
    return (query.message.chat.id, query.message.message_id) if isinstance(query.message, Message) else None


async def done(query: CallbackQuery, session: AsyncSession, ini: Initiative, note: str) -> None:
    await announcements.refresh_announcement(session, ini, except_message=here(query))
    await session.commit()  # the moderator sees the outcome once it is stored, not before
    await query.answer(truncate(note, 190))
    if isinstance(query.message, Message):
        await show_card(query.message, session, ini, in_place=True)


async def second_step(
    query: CallbackQuery,
    session: AsyncSession,
    ini: Initiative,
    heading: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """Swap the card's buttons for the choices of the action's second step (with a way back)."""
    assert isinstance(query.message, Message)
    rows.append(back_row(ini.id))
    await query.answer()
    await edit_text(
        query.message,
        await cards.staff_card(session, ini) + "\n\n" + heading,
        InlineKeyboardMarkup(inline_keyboard=rows),
    )
    await announcements.refresh_announcement(session, ini, except_message=here(query))


async def ask_text(
    query: CallbackQuery, state: FSMContext, ini: Initiative, kind: State, prompt: str, **data: Any
) -> None:
    await state.set_state(kind)
    await state.set_data({"ini": ini.id, **data})
    await query.answer()
    if isinstance(query.message, Message):
        # in the group several moderators read along: say whose question it is
        who = f"{esc(query.from_user.first_name)}: " if query.message.chat.type != "private" else ""
        await query.message.answer(
            who + prompt[0].upper() + prompt[1:] + "\n" + _("Responda a este mensaje. Para salir: /cancelar"),
            reply_markup=ForceReply(selective=True, input_field_placeholder=_("Escriba aquí")),
        )


# --- the buttons --------------------------------------------------------------------------------


@routes.callback_query(TriageCb.filter(F.action.in_({"unh", "unb"})), flags=UNDO)
async def undo(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    ini = await workflow.get(session, callback_data.id)
    if ini is None:
        await query.answer(_("Ese elemento ya no existe."), show_alert=True)
        return
    try:
        if callback_data.action == "unh":
            await conduct.unhide(session, ini, query.from_user.id)
            note = _("Vuelve a ser pública.")
        else:
            if not await conduct.unblock(session, ini.author_id, query.from_user.id):
                await query.answer(_("La persona autora no estaba bloqueada."), show_alert=True)
                return
            note = _("La persona autora puede volver a enviar iniciativas.")
    except Refused as exc:
        await refused(query, session, exc, callback_data.id)
        return
    await done(query, session, ini, note)


@routes.callback_query(TriageCb.filter(), flags=TRIAGE)
async def triage(
    query: CallbackQuery,
    callback_data: TriageCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    role: str | None = None,
) -> None:
    ini = await workflow.get(session, callback_data.id)
    if ini is None or not isinstance(query.message, Message):
        await query.answer(_("Ese elemento ya no existe."), show_alert=True)
        return
    actor, action, arg, message = query.from_user.id, callback_data.action, callback_data.arg, query.message
    try:
        if action == "opn":
            await query.answer()
            await show_card(message, session, ini, in_place=False)
        elif action == "back":
            await query.answer()
            await show_card(message, session, ini, in_place=True)
        elif action == "acc":
            await workflow.take(session, ini, actor, role)
            projects = await queue.similar_projects(session, ini)
            rows = [[button(_("🆕 Crear un proyecto nuevo"), "new", ini.id)]]
            rows += [
                [
                    button(
                        _("🔗 Vincular a {code} · {name}").format(code=p.code, name=truncate(p.name, 40)),
                        "lnk",
                        ini.id,
                        p.code,
                    )
                ]
                for p in projects
            ]
            await second_step(
                query, session, ini, _("<b>¿Proyecto nuevo o vincular a uno de la cartera?</b>"), rows
            )
        elif action == "new":
            project = await decisions.accept_as_new_project(session, ini, actor, role)
            await done(
                query, session, ini, _("Aceptada: ahora es el proyecto {code}.").format(code=project.code)
            )
        elif action == "lnk":
            project = await decisions.link_to_project(session, ini, actor, role, arg)
            await done(query, session, ini, _("Vinculada a {code}.").format(code=project.code))
        elif action == "inf":
            await workflow.take(session, ini, actor, role)
            if not states.can(ini, "necesita_informacion"):
                raise Refused("impossible", ini.status)
            await announcements.refresh_announcement(session, ini)
            await ask_text(
                query,
                state,
                ini,
                ModInput.question,
                _("escriba la pregunta para la persona autora de {code}.").format(code=ini.code),
            )
        elif action == "rej":
            await workflow.take(session, ini, actor, role)
            rows = [
                [button("📝 " + t.title, "rjt", ini.id, str(t.id))]
                for t in await templates.templates(session)
            ]
            rows.append([button(_("✏️ Escribir otro motivo"), "rjw", ini.id)])
            await second_step(query, session, ini, _("<b>¿Por qué no se admite?</b>"), rows)
        elif action == "rjt":
            await workflow.take(session, ini, actor, role)  # an old button: decided since, or taken
            tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
            if tpl is None:
                raise Refused("gone")
            rows = [
                [button(_("📨 Enviar este motivo"), "rjs", ini.id, str(tpl.id))],
                [button(_("✏️ Editarlo antes"), "rjw", ini.id, str(tpl.id))],
                [button(_("↩️ Volver"), "rej", ini.id)],
            ]
            await query.answer()
            await edit_text(
                message,
                await cards.staff_card(session, ini)
                + "\n\n"
                + _("<b>Motivo que recibirá la persona autora:</b>\n<i>{body}</i>").format(
                    body=esc(tpl.body)
                ),
                InlineKeyboardMarkup(inline_keyboard=rows),
            )
        elif action == "rjw":
            await workflow.take(session, ini, actor, role)
            tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
            prompt = _("escriba el motivo que recibirá la persona autora de {code}.").format(code=ini.code)
            if tpl is not None:
                prompt += (
                    "\n"
                    + _("Texto de la plantilla, para copiar y corregir:")
                    + f"\n<code>{esc(tpl.body)}</code>"
                )
            await ask_text(query, state, ini, ModInput.reason, prompt)
        elif action == "rjs":
            if arg == "c":
                reason = (await state.get_data()).get("reason", "")
                if not reason:
                    await query.answer(
                        _("Ese paso se canceló. Pulse Rechazar de nuevo para elegir el motivo."),
                        show_alert=True,
                    )
                    return
                await state.clear()
            else:
                tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
                if tpl is None:
                    raise Refused("gone")
                reason = tpl.body
            await decisions.reject(session, ini, actor, role, reason)
            await done(query, session, ini, _("No admitida; se avisó a la persona autora."))
        elif action == "dup":
            await workflow.take(session, ini, actor, role)
            similar = await queue.similar_initiatives(session, ini)
            originals = [await workflow.by_code(session, s.code) for s in similar]
            rows = [
                [button(f"♊ {o.code} · {truncate(o.title, 40)}", "dpo", ini.id, str(o.id))]
                for o in originals
                if o is not None
            ]
            rows.append([button(_("✏️ Escribir el código de la original"), "dpw", ini.id)])
            await second_step(query, session, ini, _("<b>¿Duplicada de cuál?</b>"), rows)
        elif action == "dpw":
            await ask_text(
                query,
                state,
                ini,
                ModInput.dup_code,
                _("escriba el código de la iniciativa original (por ejemplo INI-2026-00012)."),
            )
        elif action == "dpo":
            if not arg.isdigit():
                raise Refused("gone")
            original = await decisions.mark_duplicate(session, ini, actor, role, int(arg))
            await done(query, session, ini, _("Marcada como duplicada de {code}.").format(code=original.code))
        elif action == "asg":
            await workflow.take(session, ini, actor, role)
            rows = [
                [button("👤 " + (m.name or f"#{m.user_id}"), "asu", ini.id, str(m.user_id))]
                for m in await staff.with_permission(session, settings.admin_ids, "triage")
            ]
            themes = await reference.themes(session)
            rows += [
                [button(_("🗂 Mesa: {name}").format(name=truncate(name, 40)), "asm", ini.id, slug)]
                for slug, name in themes
            ]
            await second_step(query, session, ini, _("<b>¿A quién se asigna?</b>"), rows)
        elif action == "asu":
            if not arg.isdigit():
                raise Refused("gone")
            await decisions.assign(session, ini, actor, role, to_user=int(arg), admin_ids=settings.admin_ids)
            await done(
                query,
                session,
                ini,
                _("Asignada a {who}.").format(who=await staff.display_name(session, int(arg))),
            )
        elif action == "asm":
            await decisions.assign(session, ini, actor, role, mesa=arg)
            await done(
                query,
                session,
                ini,
                _("Asignada a la mesa {name}.").format(name=await reference.theme_name(session, arg)),
            )
        elif action == "hid":  # one tap tells the author they broke the rules: confirm it first
            if ini.hidden:
                raise Refused("impossible", ini.status)
            await second_step(
                query,
                session,
                ini,
                _(
                    "<b>¿Ocultarla al público?</b> La persona autora recibirá un aviso de que no respeta "
                    "las normas de participación."
                ),
                [[button(_("🙈 Sí, ocultar"), "hdc", ini.id)]],
            )
        elif action == "hdc":
            await conduct.hide(session, ini, actor)
            await done(query, session, ini, _("Oculta al público."))
        elif action == "blk":
            author = await users.get(session, ini.author_id)
            if author is not None and author.blocked_at is not None:
                await query.answer(_("La persona autora ya está bloqueada."), show_alert=True)
                return
            await ask_text(
                query,
                state,
                ini,
                ModInput.block_reason,
                _(
                    "escriba el motivo del bloqueo de la persona autora de {code} (se le enviará una vez)."
                ).format(code=ini.code),
            )
        else:
            await query.answer(_("Ese botón ya no está activo."), show_alert=True)
    except Refused as exc:
        await refused(query, session, exc, callback_data.id)
    except InvalidInput:
        await query.answer(
            _("Ese paso se canceló. Pulse Rechazar de nuevo para elegir el motivo."), show_alert=True
        )


# --- typed answers (ForceReply) -------------------------------------------------------------------


async def _input_initiative(message: Message, state: FSMContext, session: AsyncSession) -> Initiative | None:
    ini = await workflow.get(session, int((await state.get_data()).get("ini", 0)))
    if ini is None:
        await state.clear()
        await message.answer(_("Ese elemento ya no existe."))
    return ini


def length_error(exc: InvalidInput, what: str, lo: int, hi: int, given: str) -> str:
    """Why a typed question / reason was not taken, with the numbers."""
    if exc.reason == "too_long":
        return _("{what}: tiene {n} caracteres y el máximo es {max}. Acórtelo y envíelo de nuevo.").format(
            what=what, n=len(given.strip()), max=hi
        )
    if exc.reason == "no_letters":
        return _("{what}: escriba palabras, no solo signos o emojis.").format(what=what)
    return _("{what}: necesita al menos {min} caracteres. Escríbalo de nuevo.").format(what=what, min=lo)


async def _after_input(message: Message, session: AsyncSession, ini: Initiative, note: str) -> None:
    await announcements.refresh_announcement(session, ini)
    await session.commit()
    await message.answer(
        note + "\n\n" + await cards.staff_card(session, ini), reply_markup=await markup_of(session, ini)
    )


@routes.message(Command("cancelar", "cancel"), StateFilter(ModInput), flags=TRIAGE)
async def cancel_input(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Listo, cancelado: no se envió nada."))


@routes.message(ModInput.question, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_question(
    message: Message, state: FSMContext, session: AsyncSession, role: str | None = None
) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        await decisions.request_info(session, ini, message.from_user.id, role, message.text or "")  # type: ignore[union-attr]
    except InvalidInput as exc:
        await message.answer(
            length_error(
                exc, _("La pregunta"), decisions.QUESTION_MIN, decisions.QUESTION_MAX, message.text or ""
            )
        )
        return
    except Refused as exc:
        await state.clear()
        await message.answer(exc.message("es"))
        return
    await state.clear()
    await _after_input(
        message, session, ini, _("Pregunta enviada a la persona autora de {code}.").format(code=ini.code)
    )


@routes.message(ModInput.reason, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_reason(message: Message, state: FSMContext, session: AsyncSession) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        reason = decisions.validate_reason(message.text or "")
    except InvalidInput as exc:
        await message.answer(
            length_error(exc, _("El motivo"), decisions.REASON_MIN, decisions.REASON_MAX, message.text or "")
        )
        return
    await state.update_data(reason=reason)
    rows = [
        [button(_("📨 Enviar este motivo"), "rjs", ini.id, "c")],
        [button(_("✏️ Escribirlo otra vez"), "rjw", ini.id)],
        back_row(ini.id),
    ]
    await message.answer(
        _("<b>Motivo que recibirá la persona autora ({code}):</b>\n<i>{body}</i>").format(
            code=ini.code, body=esc(reason)
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@routes.message(ModInput.block_reason, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_block_reason(message: Message, state: FSMContext, session: AsyncSession) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    try:
        blocked = await conduct.block(session, ini.author_id, message.from_user.id, message.text or "")  # type: ignore[union-attr]
    except InvalidInput as exc:
        await message.answer(
            length_error(exc, _("El motivo"), decisions.REASON_MIN, decisions.REASON_MAX, message.text or "")
        )
        return
    except Refused:
        await state.clear()
        await message.answer(_("No puede bloquearse a sí mismo."))
        return
    await state.clear()
    note = (
        _("La persona autora de {code} ya no puede enviar iniciativas; se le avisó una vez.")
        if blocked
        else _("La persona autora de {code} ya estaba bloqueada.")
    ).format(code=ini.code)
    await _after_input(message, session, ini, note)


@routes.message(ModInput.dup_code, F.text, ~F.text.startswith("/"), flags=TRIAGE)
async def got_dup_code(
    message: Message, state: FSMContext, session: AsyncSession, role: str | None = None
) -> None:
    ini = await _input_initiative(message, state, session)
    if ini is None:
        return
    original = await workflow.by_code(session, message.text or "")
    if original is None:
        await message.answer(_("No encontré esa iniciativa. Escriba un código como INI-2026-00012."))
        return
    if not decisions.can_be_original(ini, original):  # itself, hidden, declined or a duplicate
        await message.answer(
            _(
                "{code} no puede ser la original (es la misma, está oculta, no fue admitida o ya es "
                "duplicada). Escriba otro código o salga con /cancelar."
            ).format(code=original.code)
        )
        return
    await state.clear()
    # a typed code is easy to get wrong: show the original and let the moderator confirm (or go back)
    await message.answer(
        _("¿Marcar {code} como duplicada de esta?\n<b>{original}</b> · {title}").format(
            code=esc(ini.code), original=esc(original.code), title=esc(truncate(original.title, 100))
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    button(
                        _("♊ Sí, duplicada de {code}").format(code=original.code),
                        "dpo",
                        ini.id,
                        str(original.id),
                    )
                ],
                back_row(ini.id),
            ]
        ),
    )


@routes.message(
    StateFilter(ModInput.question, ModInput.reason, ModInput.block_reason, ModInput.dup_code),
    ~F.text.startswith("/"),
    flags=TRIAGE,
)
async def input_not_text(message: Message) -> None:
    await message.answer(
        _("Escriba el texto en un mensaje, respondiendo a mi pregunta, o salga con /cancelar.")
    )


# --- /cola ----------------------------------------------------------------------------------------


def age(ini: Initiative) -> str:
    return format_timedelta(utcnow() - ini.created_at, locale=babel_locale("es"))


async def queue_view(session: AsyncSession, cb: QueueCb) -> tuple[str, InlineKeyboardMarkup]:
    districts = await reference.districts(session)
    themes = await reference.themes(session)
    district = districts[cb.d][0] if 0 <= cb.d < len(districts) else None
    theme = themes[cb.t][0] if 0 <= cb.t < len(themes) else None
    items, total = await queue.pending(session, district, theme, cb.page, PER_PAGE)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    lines = [_("📥 <b>Iniciativas pendientes: {n}</b> (las más antiguas primero)").format(n=total)]
    filters = []
    if district:
        filters.append(esc(await reference.district_name(session, district)))
    if theme:
        filters.append(esc(await reference.theme_name(session, theme)))
    if filters:
        lines.append(_("Filtro: {f}").format(f=" · ".join(filters)))
    if not items:
        lines.append(_("No hay iniciativas pendientes con ese filtro. 🎉"))
    rows: list[list[InlineKeyboardButton]] = []
    for n, item in enumerate(items, start=cb.page * PER_PAGE + 1):
        ini = item.ini
        status = esc(status_label(ini.status, "es"))
        if ini.reviewer_id is not None:
            status += " · 👤 " + esc(await staff.display_name(session, ini.reviewer_id))
        if ini.hidden:
            status += " · 🙈"
        lines.append(
            _(
                "<b>{n}.</b> {code} · {title}\n    hace {age} · {district} · {theme} · 👍 {supports} · parecidas: {similar} · {status}"
            ).format(
                n=n,
                code=esc(ini.code),
                title=esc(truncate(ini.title, 60)),
                age=age(ini),
                district=esc(await reference.district_name(session, ini.district)),
                theme=esc(await reference.theme_name(session, ini.theme)),
                supports=ini.supports,
                similar=item.similar,
                status=status,
            )
        )
        rows.append([button(f"{n}. {ini.code}", "opn", ini.id)])
    if pages > 1:
        lines.append(_("Página {page} de {pages}").format(page=cb.page + 1, pages=pages))
    nav = []
    if cb.page > 0:
        nav.append(_qbutton(_("◀️ Anterior"), "page", cb.page - 1, cb.d, cb.t))
    if cb.page + 1 < pages:
        nav.append(_qbutton(_("Siguiente ▶️"), "page", cb.page + 1, cb.d, cb.t))
    if nav:
        rows.append(nav)
    rows.append([_qbutton(_("📍 Distrito"), "fd", 0, cb.d, cb.t), _qbutton(_("🗂 Tema"), "ft", 0, cb.d, cb.t)])
    if district or theme:
        rows.append([_qbutton(_("✖️ Quitar filtros"), "page", 0, -1, -1)])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _qbutton(text: str, action: str, page: int, d: int, t: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=QueueCb(action=action, page=page, d=d, t=t).pack())


async def facet_view(session: AsyncSession, cb: QueueCb) -> InlineKeyboardMarkup:
    districts = await reference.districts(session)
    themes = await reference.themes(session)
    district = districts[cb.d][0] if 0 <= cb.d < len(districts) else None
    theme = themes[cb.t][0] if 0 <= cb.t < len(themes) else None
    by_district, by_theme = await queue.facets(session, district, theme)
    rows: list[list[InlineKeyboardButton]] = []
    if cb.action == "fd":
        counts = dict(by_district)
        for i, (slug, name, _metro) in enumerate(await reference.districts(session)):
            if counts.get(slug):
                rows.append([_qbutton(f"{name} ({counts[slug]})", "page", 0, i, cb.t)])
    else:
        counts = dict(by_theme)
        for i, (slug, name) in enumerate(await reference.themes(session)):
            if counts.get(slug):
                rows.append([_qbutton(f"{name} ({counts[slug]})", "page", 0, cb.d, i)])
    rows.append([_qbutton(_("↩️ Volver"), "page", cb.page, cb.d, cb.t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@routes.message(Command("cola", "queue"), flags=TRIAGE)
async def queue_command(message: Message, session: AsyncSession) -> None:
    text, markup = await queue_view(session, QueueCb(action="page"))
    await message.answer(text, reply_markup=markup)


@routes.callback_query(QueueCb.filter(), flags=TRIAGE)
async def queue_button(query: CallbackQuery, callback_data: QueueCb, session: AsyncSession) -> None:
    if not isinstance(query.message, Message) or callback_data.page < 0:
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    if callback_data.action in ("fd", "ft"):
        await query.message.edit_reply_markup(reply_markup=await facet_view(session, callback_data))
        return
    text, markup = await queue_view(session, callback_data)
    await edit_text(query.message, text, markup)


# --- /iniciativa, /auditoria ------------------------------------------------------------------------


async def find(
    message: Message, session: AsyncSession, command: CommandObject, name: str
) -> Initiative | None:
    code = (command.args or "").strip()
    ini = await workflow.by_code(session, code) if code else None
    if ini is None:
        if code:
            await message.answer(
                _(
                    "No encontré la iniciativa «{code}». Revise el código; tiene la forma INI-2026-00012."
                ).format(code=esc(truncate(code, 40)))
            )
        else:
            await message.answer(
                _("Escriba el código después del comando, por ejemplo: {command} INI-2026-00012").format(
                    command=name
                )
            )
    return ini


@routes.message(Command("iniciativa", "initiative"), flags=TRIAGE)
async def initiative_command(
    message: Message, session: AsyncSession, command: CommandObject, role: str | None = None
) -> None:
    ini = await find(message, session, command, "/iniciativa")
    if ini is None:
        return
    lines = await history.history_lines(session, ini)
    text = (
        await cards.staff_card(session, ini) + "\n\n" + _("<b>Historial</b>") + "\n" + "\n".join(lines[-15:])
    )
    await message.answer(cards.truncate_html_safe(text), reply_markup=await markup_of(session, ini))


@routes.message(Command("auditoria", "audit"), flags=AUDIT)
async def audit_command(message: Message, session: AsyncSession, command: CommandObject) -> None:
    ini = await find(message, session, command, "/auditoria")
    if ini is None:
        return
    entries = await audit.for_target(session, ini.code) + await audit.for_target(
        session, f"user:{ini.author_id}"
    )
    entries.sort(key=lambda e: e.id)
    lines = [_("🧾 <b>Auditoría de {code}</b>").format(code=esc(ini.code))]
    if not entries:
        lines.append(_("Sin acciones registradas."))
    for e in entries:
        lines.append(await history.audit_line(session, e))
    await message.answer(cards.truncate_html_safe("\n".join(lines)))


# --- /plantillas ----------------------------------------------------------------------------------


async def templates_view(session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    items = await templates.templates(session)
    lines = [_("📝 <b>Motivos para no admitir una iniciativa</b>")]
    rows = []
    for t in items:
        lines.append(f"• <b>{esc(t.title)}</b>: {esc(truncate(t.body, 300))}")
        rows.append(
            [
                InlineKeyboardButton(text="✏️ " + t.title, callback_data=TplCb(action="edit", id=t.id).pack()),
                InlineKeyboardButton(text=_("🗑 Borrar"), callback_data=TplCb(action="del", id=t.id).pack()),
            ]
        )
    rows.append([InlineKeyboardButton(text=_("➕ Nuevo motivo"), callback_data=TplCb(action="new").pack())])
    return cards.truncate_html_safe("\n".join(lines)), InlineKeyboardMarkup(inline_keyboard=rows)


@routes.message(Command("plantillas", "templates"), flags=TEMPLATES)
async def templates_command(message: Message, session: AsyncSession) -> None:
    text, markup = await templates_view(session)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(TplCb.filter(), flags=TEMPLATES)
async def template_button(
    query: CallbackQuery, callback_data: TplCb, state: FSMContext, session: AsyncSession
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    if callback_data.action == "del":  # a template has no undo: ask first
        tpl = await templates.template(session, callback_data.id)
        if tpl is None:
            await query.answer(_("Ese elemento ya no existe."))
            return
        await query.answer()
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("🗑 Sí, borrar"), callback_data=TplCb(action="delc", id=tpl.id).pack()
                    ),
                    InlineKeyboardButton(text=_("↩️ Volver"), callback_data=TplCb(action="list").pack()),
                ]
            ]
        )
        await edit_text(
            query.message,
            _("¿Borrar el motivo <b>{title}</b>? No se puede deshacer.").format(title=esc(tpl.title)),
            markup,
        )
        return
    if callback_data.action == "list":
        await query.answer()
        text, markup = await templates_view(session)
        await edit_text(query.message, text, markup)
        return
    if callback_data.action == "delc":
        ok = await templates.delete_template(session, query.from_user.id, callback_data.id)
        await session.commit()  # stored before the list shows it gone
        await query.answer(_("Motivo borrado.") if ok else _("Ese elemento ya no existe."))
        text, markup = await templates_view(session)
        await edit_text(query.message, text, markup)
        return
    tpl = await templates.template(session, callback_data.id) if callback_data.action == "edit" else None
    if callback_data.action == "edit" and tpl is None:
        await query.answer(_("Ese elemento ya no existe."))
        return
    await query.answer()
    await state.set_state(ModInput.template)
    await state.set_data({"tpl": tpl.id if tpl else None})
    prompt = _("Escriba el motivo así: <b>Título | texto que recibirá la persona autora</b>.")
    if tpl is not None:
        prompt += "\n" + _("Actual:") + f"\n<code>{esc(tpl.title)} | {esc(tpl.body)}</code>"
    await query.message.answer(
        prompt + "\n" + _("Para salir: /cancelar"), reply_markup=ForceReply(selective=True)
    )


@routes.message(ModInput.template, F.text, ~F.text.startswith("/"), flags=TEMPLATES)
async def got_template(message: Message, state: FSMContext, session: AsyncSession) -> None:
    try:
        title, body = templates.parse_template(message.text or "")
    except InvalidInput:
        await message.answer(
            _(
                "Use la forma «Título | texto»: título de 3 a 40 caracteres y texto de 5 a 800. Escríbalo de nuevo."
            )
        )
        return
    tpl_id = (await state.get_data()).get("tpl")
    try:
        await templates.save_template(session, message.from_user.id, title, body, tpl_id)  # type: ignore[union-attr]
    except Refused:
        await state.clear()
        await message.answer(_("Ese elemento ya no existe."))
        return
    await state.clear()
    await session.commit()
    text, markup = await templates_view(session)
    await message.answer(_("Guardado ✅") + "\n\n" + text, reply_markup=markup)


@routes.message(ModInput.template, flags=TEMPLATES)
async def template_not_text(message: Message) -> None:
    await message.answer(_("Escriba el motivo como texto, o salga con /cancelar."))
