"""The card's Ocultar and Bloquear al autor buttons, and their undoing (admins only).

Registered before :mod:`.triage`, whose last handler answers the codes no handler knows.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.moderation.card import ask_text, done, pressed, refusals, second_step
from peam_bot.admin.moderation.inputs import ModInput
from peam_bot.admin.moderation.keyboards import TriageAction, TriageCb, button, on
from peam_bot.i18n import gettext as _
from peam_bot.services import users
from peam_bot.services.moderation import conduct, workflow
from peam_bot.services.moderation.refusals import Refused

routes = staff_routes("staff-moderation-conduct")
TRIAGE = {"permission": "triage"}
UNDO = {"permission": "undo"}


@routes.callback_query(on(TriageAction.HIDE), flags=TRIAGE)
async def hide(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    """One tap tells the author they broke the rules: confirm it first."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
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
            [[button(_("🙈 Sí, ocultar"), TriageAction.CONFIRM_HIDE, ini.id)]],
        )


@routes.callback_query(on(TriageAction.CONFIRM_HIDE), flags=TRIAGE)
async def confirm_hide(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        await conduct.hide(session, ini, query.from_user.id)
        await done(query, session, ini, _("Oculta al público."))


@routes.callback_query(on(TriageAction.BLOCK), flags=TRIAGE)
async def block(
    query: CallbackQuery, callback_data: TriageCb, state: FSMContext, session: AsyncSession
) -> None:
    """The reason is typed next (:func:`.inputs.got_block_reason`)."""
    if (found := await pressed(query, session, callback_data)) is None:
        return
    ini, _message = found
    async with refusals(query, session, ini.id):
        author = await users.get(session, ini.author_id)
        if author is not None and author.blocked_at is not None:
            await query.answer(_("La persona autora ya está bloqueada."), show_alert=True)
            return
        await ask_text(
            query,
            state,
            ini,
            ModInput.block_reason,
            _("escriba el motivo del bloqueo de la persona autora de {code} (se le enviará una vez).").format(
                code=ini.code
            ),
        )


@routes.callback_query(on(TriageAction.UNHIDE), flags=UNDO)
async def unhide(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    ini = await workflow.get(session, callback_data.id)
    if ini is None:
        await query.answer(_("Ese elemento ya no existe."), show_alert=True)
        return
    async with refusals(query, session, ini.id):
        await conduct.unhide(session, ini, query.from_user.id)
        await done(query, session, ini, _("Vuelve a ser pública."))


@routes.callback_query(on(TriageAction.UNBLOCK), flags=UNDO)
async def unblock(query: CallbackQuery, callback_data: TriageCb, session: AsyncSession) -> None:
    ini = await workflow.get(session, callback_data.id)
    if ini is None:
        await query.answer(_("Ese elemento ya no existe."), show_alert=True)
        return
    if not await conduct.unblock(session, ini.author_id, query.from_user.id):
        await query.answer(_("La persona autora no estaba bloqueada."), show_alert=True)
        return
    await done(query, session, ini, _("La persona autora puede volver a enviar iniciativas."))
