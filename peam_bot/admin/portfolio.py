"""Staff work on the portfolio from private chat: a timeline update from a project's card (text,
optional photo, new phase/progress; followers are notified through the outbox) and importing the
portfolio spreadsheet by sending the file. Every step re-checks the caller's role."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import HasPermission, register_states, staff_routes
from peam_bot.handlers.portfolio import ProjectCb
from peam_bot.i18n import gettext as _
from peam_bot.services import portfolio, portfolio_sheet
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.text import esc, truncate

routes = staff_routes("staff-portfolio")
PERM = {"permission": "portfolio"}

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class StaffUpdate(StatesGroup):
    text = State()
    photo = State()
    phase = State()
    progress = State()
    confirm = State()


register_states(StaffUpdate)


class UpdCb(CallbackData, prefix="su"):
    action: str  # nophoto | phase | progress | publish | cancel
    value: str = ""


@routes.callback_query(ProjectCb.filter(F.action == "upd"), flags=PERM)
async def start_update(
    query: CallbackQuery, callback_data: ProjectCb, state: FSMContext, session: AsyncSession
) -> None:
    project = await portfolio.get_project(session, callback_data.code)
    if project is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    await state.set_state(StaffUpdate.text)
    await state.set_data({"code": project.code})
    await query.message.answer(
        _("Escriba la novedad de <b>{code}</b> · {name} (5 a 2000 letras). Para salir: /cancelar").format(
            code=esc(project.code), name=esc(truncate(project.name, 60))
        )
    )


def update_keyboard(*rows: list[tuple[str, str, str]]) -> InlineKeyboardMarkup:
    kb = [
        [InlineKeyboardButton(text=t, callback_data=UpdCb(action=a, value=v).pack()) for t, a, v in row]
        for row in rows
    ]
    kb.append([InlineKeyboardButton(text=_("✖️ Cancelar"), callback_data=UpdCb(action="cancel").pack())])
    return InlineKeyboardMarkup(inline_keyboard=kb)


def phase_keyboard(locale: str) -> InlineKeyboardMarkup:
    rows = [[(portfolio.phase_label(p, locale), "phase", p)] for p in portfolio.PHASES]
    rows.append([(_("Sin cambio de fase"), "phase", "_")])
    return update_keyboard(*rows)


def progress_keyboard() -> InlineKeyboardMarkup:
    values = list(range(0, 101, 10))
    rows = [[(f"{v} %", "progress", str(v)) for v in values[i : i + 4]] for i in range(0, len(values), 4)]
    rows.append([(_("Sin cambio de avance"), "progress", "_")])
    return update_keyboard(*rows)


@routes.message(StaffUpdate.text, F.text, ~F.text.startswith("/"), flags=PERM)
async def got_text(message: Message, state: FSMContext) -> None:
    try:
        text = portfolio.validate_update_text(message.text or "")
    except InvalidInput:
        await message.answer(_("La novedad necesita entre 5 y 2000 letras. Escríbala de nuevo."))
        return
    await state.update_data(text=text)
    await state.set_state(StaffUpdate.photo)
    await message.answer(
        _("¿Agrega una foto? Envíela, o pulse Sin foto."),
        reply_markup=update_keyboard([(_("Sin foto"), "nophoto", "")]),
    )


@routes.message(StaffUpdate.photo, F.photo, flags=PERM)
async def got_photo(message: Message, state: FSMContext, locale: str) -> None:
    await state.update_data(photo=message.photo[-1].file_id)  # type: ignore[index]
    await state.set_state(StaffUpdate.phase)
    await message.answer(_("¿Cambia la fase del proyecto?"), reply_markup=phase_keyboard(locale))


@routes.callback_query(UpdCb.filter(F.action == "nophoto"), StaffUpdate.photo, flags=PERM)
async def no_photo(query: CallbackQuery, state: FSMContext, locale: str) -> None:
    await query.answer()
    await state.set_state(StaffUpdate.phase)
    if isinstance(query.message, Message):
        await query.message.edit_text(_("¿Cambia la fase del proyecto?"), reply_markup=phase_keyboard(locale))


@routes.callback_query(UpdCb.filter(F.action == "phase"), StaffUpdate.phase, flags=PERM)
async def got_phase(query: CallbackQuery, callback_data: UpdCb, state: FSMContext) -> None:
    if callback_data.value != "_" and callback_data.value not in portfolio.PHASES:
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    await state.update_data(phase=None if callback_data.value == "_" else callback_data.value)
    await state.set_state(StaffUpdate.progress)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _("¿Cuál es el avance ahora? Pulse un valor o escriba un número de 0 a 100."),
            reply_markup=progress_keyboard(),
        )


async def ask_confirm(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    data = await state.get_data()
    await state.set_state(StaffUpdate.confirm)
    lines = [_("<b>Revise la novedad de {code}</b>").format(code=esc(data["code"])), esc(data["text"])]
    if data.get("photo"):
        lines.append(_("Con foto."))
    if data.get("phase"):
        lines.append(_("Nueva fase: {phase}").format(phase=esc(portfolio.phase_label(data["phase"], locale))))
    if data.get("progress") is not None:
        lines.append(_("Nuevo avance: {n} %").format(n=data["progress"]))
    project = await portfolio.get_project(session, data["code"])
    followers = await portfolio.followers_count(session, project.id) if project else 0
    lines.append(_("Seguidores a los que se avisará: {n}.").format(n=followers))
    await message.answer("\n".join(lines), reply_markup=update_keyboard([(_("✅ Publicar"), "publish", "")]))


@routes.callback_query(UpdCb.filter(F.action == "progress"), StaffUpdate.progress, flags=PERM)
async def got_progress(
    query: CallbackQuery, callback_data: UpdCb, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    value: int | None = None
    if callback_data.value != "_":
        if not callback_data.value.isdigit() or int(callback_data.value) > 100:
            await query.answer(_("Ese botón ya no está activo."))
            return
        value = int(callback_data.value)
    await query.answer()
    await state.update_data(progress=value)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await ask_confirm(query.message, state, session, locale)


@routes.message(StaffUpdate.progress, F.text.regexp(r"^\s*\d{1,3}\s*%?\s*$"), flags=PERM)
async def typed_progress(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    value = int((message.text or "").strip().rstrip("%").strip())
    if value > 100:
        await message.answer(_("El avance va de 0 a 100."))
        return
    await state.update_data(progress=value)
    await ask_confirm(message, state, session, locale)


@routes.callback_query(UpdCb.filter(F.action == "publish"), StaffUpdate.confirm, flags=PERM)
async def publish(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    project = await portfolio.get_project(session, data.get("code", ""))
    if project is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    await portfolio.add_update(
        session,
        project,
        query.from_user.id,
        data["text"],
        photo_file_id=data.get("photo"),
        new_phase=data.get("phase"),
        new_progress=data.get("progress"),
    )
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    followers = await portfolio.followers_count(session, project.id)
    await query.message.answer(
        _("Publicado ✅. Seguidores a los que avisaré por aquí en los próximos minutos: {n}.").format(
            n=followers
        )
    )


@routes.callback_query(UpdCb.filter(F.action == "cancel"), StateFilter(StaffUpdate), flags=PERM)
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Listo, no se publicó nada."))


@routes.message(StateFilter(StaffUpdate), ~F.text.startswith("/"), flags=PERM)
async def unexpected(message: Message, state: FSMContext) -> None:
    current = await state.get_state()
    hint = {
        StaffUpdate.text.state: _("Escriba la novedad en un mensaje de texto."),
        StaffUpdate.photo.state: _("Envíe una foto o pulse Sin foto."),
        StaffUpdate.progress.state: _("Escriba un número de 0 a 100 o pulse un botón."),
    }.get(current or "", _("Use los botones del mensaje anterior."))
    await message.answer(hint)


@routes.message(StateFilter(None), F.document, HasPermission("portfolio"), flags=PERM)
async def import_spreadsheet(
    message: Message, bot: Bot, session: AsyncSession, locale: str, **_kw: Any
) -> None:
    """A staff member sends the portfolio spreadsheet: same validation and report as the CLI."""
    doc = message.document
    assert doc is not None
    name = (doc.file_name or "").lower()
    suffix = Path(name).suffix
    if suffix not in (".csv", ".xlsx"):
        await message.answer(_("Envíe la cartera como archivo .csv o .xlsx."))
        return
    if (doc.file_size or 0) > MAX_IMPORT_BYTES:
        await message.answer(_("El archivo es muy grande (máximo 5 MB)."))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"cartera{suffix}"
        await bot.download(doc, destination=path)
        report = await portfolio_sheet.import_file(
            session, path, message.from_user.id if message.from_user else None
        )
    await message.answer(esc(truncate(report.summary(locale, max_errors=40), 3900)))
