"""/mis_iniciativas and /estado <código>."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks, portfolio
from peam_bot.handlers.ui import MENU_MINE, MENU_STATUS, StatusCb, main_menu, menu_labels
from peam_bot.i18n import gettext as _
from peam_bot.services import initiatives
from peam_bot.services.formatting import fmt_date
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.moderation import decisions, supports, workflow
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.rendering import public_status, status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import User
from peam_bot.telegram.client import edit_text
from peam_bot.telegram.routing import Routes

routes = Routes("tracking")


class SupportCb(CallbackData, prefix="sp"):
    id: int
    on: bool


class AnswerCb(CallbackData, prefix="ans"):  # the Responder under a moderator's question
    id: int


class AnswerInfo(StatesGroup):
    text = State()


def support_keyboard(ini_id: int, supporting: bool) -> InlineKeyboardMarkup:
    if supporting:
        button = InlineKeyboardButton(
            text=_("✅ La apoyo · Retirar mi apoyo"), callback_data=SupportCb(id=ini_id, on=False).pack()
        )
    else:
        button = InlineKeyboardButton(text=_("👍 Apoyar"), callback_data=SupportCb(id=ini_id, on=True).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@routes.message(Command("mis_iniciativas", "my_initiatives"))
@routes.message(F.text.in_(menu_labels(MENU_MINE)))
async def my_initiatives(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    items, total = await initiatives.for_author(session, user.id)
    if not items:
        await message.answer(
            _("Todavía no ha enviado iniciativas. Para proponer una, escriba /proponer."),
            reply_markup=main_menu(),
        )
        return
    lines = [_("<b>Sus iniciativas</b> ({total})").format(total=total)]
    buttons = []
    for ini in items:
        lines.append(
            _("• <b>{code}</b> · {title}\n   {status} · enviada el {sent} · último cambio {changed}").format(
                code=esc(ini.code),
                title=esc(truncate(ini.title, 60)),
                status=esc(status_label(ini.status, locale)),
                sent=fmt_date(ini.created_at, locale),
                changed=fmt_date(initiatives.last_change(ini), locale),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=_("Ver historial de {code}").format(code=ini.code),
                    callback_data=StatusCb(code=ini.code).pack(),
                )
            ]
        )
    if total > len(items):
        lines.append(_("(se muestran las {n} más recientes)").format(n=len(items)))
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


async def show_status(
    message: Message, session: AsyncSession, code: str, locale: str, viewer: User | None = None
) -> None:
    ini = await initiatives.by_code(session, code)
    if ini is None or (ini.hidden and (viewer is None or viewer.id != ini.author_id)):
        await message.answer(
            _("No encontré la iniciativa «{code}». Revise el código; tiene la forma INI-2026-00012.").format(
                code=esc(truncate(code, 40))
            )
        )
        return
    markup = None
    text = await public_status(session, ini, locale)
    if viewer is not None and viewer.id != ini.author_id and supports.can_support(ini):
        markup = support_keyboard(ini.id, await supports.is_supporter(session, ini.id, viewer.id))
    elif viewer is not None and viewer.id == ini.author_id and ini.status == "necesita_informacion":
        question = await decisions.open_question(session, ini)
        if question:  # the author can answer from here too, not only from the first message
            text += "\n\n" + _("❓ <b>Pregunta del equipo de AQPlan:</b>\n<i>{question}</i>").format(
                question=esc(truncate(question, 800))
            )
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=_("✍️ Responder"), callback_data=AnswerCb(id=ini.id).pack())]
                ]
            )
    await message.answer(text, reply_markup=markup)


@routes.message(Command("estado", "status"))
@routes.message(F.text.in_(menu_labels(MENU_STATUS)))
async def status_command(
    message: Message,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    command: CommandObject | None = None,
) -> None:
    if command is not None and command.args:
        code = command.args.strip()
        if portfolio.loose_code(code):
            await portfolio.open_card(message, session, code, user, locale, settings)
            return
        await show_status(message, session, code, locale, user)
        return
    await message.answer(
        _("Escriba el código de la iniciativa o del proyecto, por ejemplo INI-2026-00012 o P-012.")
    )


@routes.message(F.text.regexp(r"(?i)^\s*INI-\d{4}-\d{5}\s*$"))
async def status_by_code(message: Message, session: AsyncSession, locale: str, user: User | None) -> None:
    await show_status(message, session, message.text or "", locale, user)


@routes.callback_query(StatusCb.filter())
async def status_button(
    query: CallbackQuery, callback_data: StatusCb, session: AsyncSession, locale: str, user: User | None
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_status(query.message, session, callback_data.code, locale, user)


@deeplinks.register("ini")
async def open_initiative(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    await show_status(message, session, rest, user.locale, user)


@routes.callback_query(SupportCb.filter())
async def support_button(
    query: CallbackQuery, callback_data: SupportCb, session: AsyncSession, user: User | None, locale: str
) -> None:
    """Apoyar / Retirar mi apoyo: one support per resident; a double tap changes nothing."""
    ini = await workflow.get(session, callback_data.id)
    if user is None or ini is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    try:
        if callback_data.on:
            await supports.support(session, ini, user.id)
        else:
            await supports.withdraw_support(session, ini, user.id)
    except Refused as exc:
        text = (
            _("Usted es autor(a) de esta iniciativa.")
            if exc.reason == "own"
            else _("Esta iniciativa ya no recibe apoyos.")
        )
        await query.answer(text, show_alert=True)
        return
    await query.answer(
        _("¡Gracias! Apoyos: {n}. Le avisaré cuando se decida.").format(n=ini.supports)
        if callback_data.on
        else _("Retiré su apoyo. Apoyos: {n}.").format(n=ini.supports)
    )
    await edit_text(  # a double tap finds the message already showing this: not an error
        query.message, await public_status(session, ini, locale), support_keyboard(ini.id, callback_data.on)
    )


@routes.callback_query(AnswerCb.filter())
async def answer_button(
    query: CallbackQuery, callback_data: AnswerCb, state: FSMContext, session: AsyncSession, user: User | None
) -> None:
    ini = await workflow.get(session, callback_data.id)
    if user is None or ini is None or ini.author_id != user.id or ini.status != "necesita_informacion":
        await query.answer(_("Esa pregunta ya fue respondida o cerrada."), show_alert=True)
        return
    await query.answer()
    await state.set_state(AnswerInfo.text)
    await state.set_data({"ini": ini.id})
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Escriba su respuesta sobre {code} en un solo mensaje. Para salir: /cancelar").format(
                code=esc(ini.code)
            )
        )


@routes.message(AnswerInfo.text, F.text, ~F.text.startswith("/"))
async def got_answer(
    message: Message, state: FSMContext, session: AsyncSession, user: User, settings: Settings
) -> None:
    ini = await workflow.get(session, int((await state.get_data()).get("ini", 0)))
    if ini is None:
        await state.clear()
        await message.answer(_("Esa pregunta ya fue respondida o cerrada."), reply_markup=main_menu())
        return
    try:
        await decisions.answer_info(session, ini, user.id, message.text or "", settings.staff_chat_id)
    except InvalidInput:
        await message.answer(
            _("La respuesta necesita entre {min} y {max} caracteres con letras. Escríbala de nuevo.").format(
                min=decisions.ANSWER_MIN, max=decisions.ANSWER_MAX
            )
        )
        return
    except Refused:
        await state.clear()
        await message.answer(_("Esa pregunta ya fue respondida o cerrada."), reply_markup=main_menu())
        return
    await state.clear()
    await message.answer(
        _(
            "Gracias, enviamos su respuesta al equipo de AQPlan. Su iniciativa {code} vuelve a revisión."
        ).format(code=esc(ini.code)),
        reply_markup=main_menu(),
    )


@routes.message(AnswerInfo.text, ~F.text.startswith("/"))
async def answer_not_text(message: Message) -> None:
    await message.answer(_("Escriba su respuesta como texto, o salga con /cancelar."))
