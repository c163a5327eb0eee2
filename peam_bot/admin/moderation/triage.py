"""Triage of initiatives by AQPlan moderators, in the staff group and in private chat.

The buttons of an initiative's staff message (announcement, answer, `/iniciativa` card) swap in
place for the second step (which project, which reason, which original…), so a moderator clears an
initiative in one or two taps. Text the moderator must type (a question, a reason) is asked with a
ForceReply, so it reaches the bot in a group with privacy mode on. Every step runs the role check
(flags) and the service's compare-and-set; a loser sees who won.
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.moderation.card import ask_text, done, refused, second_step, show_card
from peam_bot.admin.moderation.inputs import ModInput
from peam_bot.admin.moderation.keyboards import TriageCb, button
from peam_bot.config import Settings
from peam_bot.i18n import gettext as _
from peam_bot.services import reference, staff, users
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import (
    announcements,
    cards,
    conduct,
    decisions,
    queue,
    states,
    templates,
    workflow,
)
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.text import esc, truncate
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-moderation")
TRIAGE = {"permission": "triage"}
UNDO = {"permission": "undo"}


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
