"""The triage buttons of an initiative's staff message: one handler per :class:`TriageAction`.

The buttons of the staff message (announcement, answer, `/iniciativa` card) swap in place for the
second step (which project, which reason, which original…), so a moderator clears an initiative in
one or two taps. Text the moderator must type (a question, a reason) is asked with a ForceReply
(:mod:`.inputs`). Every step runs the role check (flags) and the service's compare-and-set; a loser
sees who won.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.moderation.card import ask_text, done, pressed, refusals, second_step, show_card
from peam_bot.admin.moderation.inputs import ModInput
from peam_bot.admin.moderation.keyboards import TriageAction, TriageCb, button, on
from peam_bot.config import Settings
from peam_bot.i18n import gettext as _
from peam_bot.services import mesas, staff
from peam_bot.services.moderation import announcements, cards, decisions, queue, states, templates, workflow
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.text import esc, truncate
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-moderation")
TRIAGE = {"permission": "triage"}


# --- the card -------------------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.OPEN), flags=TRIAGE)
async def open_card(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    """A queue entry (/cola): the card, in a new message."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, message = found
    await query.answer()
    await show_card(message, session, ini, in_place=False)


@routes.callback_query(on(TriageAction.BACK), flags=TRIAGE)
async def back(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    """Out of a second step: the card with its own buttons again."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, message = found
    await query.answer()
    await show_card(message, session, ini, in_place=True)


# --- Aceptar / Vincular ---------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.ACCEPT), flags=TRIAGE)
async def accept(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """A new project, or one of the similar projects of the portfolio."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
        projects = await queue.similar_projects(session, ini)
        rows = [[button(_("🆕 Crear un proyecto nuevo"), TriageAction.NEW_PROJECT, ini.id)]]
        rows += [
            [
                button(
                    _("🔗 Vincular a {code} · {name}").format(code=p.code, name=truncate(p.name, 40)),
                    TriageAction.LINK,
                    ini.id,
                    p.code,
                )
            ]
            for p in projects
        ]
        await second_step(
            query, session, ini, _("<b>¿Proyecto nuevo o vincular a uno de la cartera?</b>"), rows
        )


@routes.callback_query(on(TriageAction.NEW_PROJECT), flags=TRIAGE)
async def new_project(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        project = await decisions.accept_as_new_project(session, ini, query.from_user.id, role)
        await done(query, session, ini, _("Aceptada: ahora es el proyecto {code}.").format(code=project.code))


@routes.callback_query(on(TriageAction.LINK), flags=TRIAGE)
async def link(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """The argument is the project's code."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        project = await decisions.link_to_project(session, ini, query.from_user.id, role, callback_data.arg)
        await done(query, session, ini, _("Vinculada a {code}.").format(code=project.code))


# --- Pedir información ----------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.REQUEST_INFO), flags=TRIAGE)
async def request_info(
    query: CallbackQuery,
    callback_data: TriageCb,
    state: FSMContext,
    session: AsyncSession,
    role: str | None = None,
) -> None:
    """The question is typed next (:func:`.inputs.got_question`)."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
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


# --- Rechazar -------------------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.REJECT), flags=TRIAGE)
async def reject(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """The reasons of /plantillas, or one to write."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
        rows = [
            [button("📝 " + t.title, TriageAction.SHOW_REASON, ini.id, str(t.id))]
            for t in await templates.templates(session)
        ]
        rows.append([button(_("✏️ Escribir otro motivo"), TriageAction.WRITE_REASON, ini.id)])
        await second_step(query, session, ini, _("<b>¿Por qué no se admite?</b>"), rows)


@routes.callback_query(on(TriageAction.SHOW_REASON), flags=TRIAGE)
async def show_reason(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """A template's text as the author would receive it: send it, or edit it first."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)  # an old button: decided since, or taken
        tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
        if tpl is None:
            raise Refused("gone")
        rows = [
            [button(_("📨 Enviar este motivo"), TriageAction.SEND_REASON, ini.id, str(tpl.id))],
            [button(_("✏️ Editarlo antes"), TriageAction.WRITE_REASON, ini.id, str(tpl.id))],
            [button(_("↩️ Volver"), TriageAction.REJECT, ini.id)],
        ]
        await query.answer()
        await edit_text(
            message,
            await cards.staff_card(session, ini)
            + "\n\n"
            + _("<b>Motivo que recibirá la persona autora:</b>\n<i>{body}</i>").format(body=esc(tpl.body)),
            InlineKeyboardMarkup(inline_keyboard=rows),
        )


@routes.callback_query(on(TriageAction.WRITE_REASON), flags=TRIAGE)
async def write_reason(
    query: CallbackQuery,
    callback_data: TriageCb,
    state: FSMContext,
    session: AsyncSession,
    role: str | None = None,
) -> None:
    """The reason is typed next (:func:`.inputs.got_reason`), from a template's text if one is given."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
        tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
        prompt = _("escriba el motivo que recibirá la persona autora de {code}.").format(code=ini.code)
        if tpl is not None:
            prompt += (
                "\n" + _("Texto de la plantilla, para copiar y corregir:") + f"\n<code>{esc(tpl.body)}</code>"
            )
        await ask_text(query, state, ini, ModInput.reason, prompt)


@routes.callback_query(on(TriageAction.SEND_REASON), flags=TRIAGE)
async def send_reason(
    query: CallbackQuery,
    callback_data: TriageCb,
    state: FSMContext,
    session: AsyncSession,
    role: str | None = None,
) -> None:
    """Rechazar with a template's text, or (argument ``c``) with the reason typed in this conversation."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        if arg == "c":
            reason = (await state.get_data()).get("reason", "")
            if not reason:
                await query.answer(
                    _("Ese paso se canceló. Pulse Rechazar de nuevo para elegir el motivo."), show_alert=True
                )
                return
            await state.clear()
        else:
            tpl = await templates.template(session, int(arg)) if arg.isdigit() else None
            if tpl is None:
                raise Refused("gone")
            reason = tpl.body
        await decisions.reject(session, ini, query.from_user.id, role, reason)
        await done(query, session, ini, _("No admitida; se avisó a la persona autora."))


# --- Duplicada ------------------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.DUPLICATE), flags=TRIAGE)
async def duplicate(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """The similar initiatives, or the original's code to type."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
        similar = await queue.similar_initiatives(session, ini)
        originals = [await workflow.by_code(session, s.code) for s in similar]
        rows = [
            [button(f"♊ {o.code} · {truncate(o.title, 40)}", TriageAction.DUPLICATE_OF, ini.id, str(o.id))]
            for o in originals
            if o is not None
        ]
        rows.append([button(_("✏️ Escribir el código de la original"), TriageAction.TYPE_ORIGINAL, ini.id)])
        await second_step(query, session, ini, _("<b>¿Duplicada de cuál?</b>"), rows)


@routes.callback_query(on(TriageAction.TYPE_ORIGINAL), flags=TRIAGE)
async def type_original(
    query: CallbackQuery, callback_data: TriageCb, state: FSMContext, session: AsyncSession
) -> None:
    """The code is typed next (:func:`.inputs.got_dup_code`)."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await ask_text(
            query,
            state,
            ini,
            ModInput.dup_code,
            _("escriba el código de la iniciativa original (por ejemplo INI-2026-00012)."),
        )


@routes.callback_query(on(TriageAction.DUPLICATE_OF), flags=TRIAGE)
async def duplicate_of(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """The argument is the original's id."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        if not arg.isdigit():
            raise Refused("gone")
        original = await decisions.mark_duplicate(session, ini, query.from_user.id, role, int(arg))
        await done(query, session, ini, _("Marcada como duplicada de {code}.").format(code=original.code))


# --- Asignar --------------------------------------------------------------------------------------


@routes.callback_query(on(TriageAction.ASSIGN), flags=TRIAGE)
async def assign(
    query: CallbackQuery,
    callback_data: TriageCb,
    session: AsyncSession,
    settings: Settings,
    role: str | None = None,
) -> None:
    """The moderators, and the mesas de concertación."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await workflow.take(session, ini, query.from_user.id, role)
        rows = [
            [button("👤 " + (m.name or f"#{m.user_id}"), TriageAction.ASSIGN_TO, ini.id, str(m.user_id))]
            for m in await staff.with_permission(session, settings.admin_ids, "triage")
        ]
        rows += [
            [button("🗂 " + truncate(mesa.name, 48), TriageAction.ASSIGN_MESA, ini.id, mesa.code)]
            for mesa in await mesas.all_mesas(session)
        ]
        await second_step(query, session, ini, _("<b>¿A quién se asigna?</b>"), rows)


@routes.callback_query(on(TriageAction.ASSIGN_TO), flags=TRIAGE)
async def assign_to(
    query: CallbackQuery,
    callback_data: TriageCb,
    session: AsyncSession,
    settings: Settings,
    role: str | None = None,
) -> None:
    """The argument is the moderator's user id."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        if not arg.isdigit():
            raise Refused("gone")
        await decisions.assign(
            session, ini, query.from_user.id, role, to_user=int(arg), admin_ids=settings.admin_ids
        )
        await done(
            query,
            session,
            ini,
            _("Asignada a {who}.").format(who=await staff.display_name(session, int(arg))),
        )


@routes.callback_query(on(TriageAction.ASSIGN_MESA), flags=TRIAGE)
async def assign_mesa(
    query: CallbackQuery, callback_data: TriageCb, session: AsyncSession, role: str | None = None
) -> None:
    """The argument is the mesa's code."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    arg = callback_data.arg
    async with refusals(query, session, ini.id):
        await decisions.assign(session, ini, query.from_user.id, role, mesa=arg)
        await done(
            query,
            session,
            ini,
            _("Asignada a la {name}.").format(name=await mesas.mesa_name(session, arg)),
        )


# --- last: a code this version does not know ------------------------------------------------------


@routes.callback_query(TriageCb.filter(), flags=TRIAGE)
async def unknown_action(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    """A button of an older version, or a forged one (TriageCb.action is a plain str for this)."""
    if await pressed(query, session, callback_data) is not None:
        await query.answer(_("Ese botón ya no está activo."), show_alert=True)
