"""The reasons for not admitting an initiative (``/plantillas``): list, add, edit, delete after a
confirmation; typed as ``Título | texto``."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.moderation.inputs import ModInput
from peam_bot.admin.moderation.keyboards import TplCb
from peam_bot.i18n import gettext as _
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import cards, templates
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.text import esc, truncate
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-moderation-templates")
TEMPLATES = {"permission": "templates"}


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
