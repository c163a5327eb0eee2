"""The moderators' screens: the queue (``/cola``, 5 per page, filters by district and theme), an
initiative's card with its history (``/iniciativa``) and its audit trail (``/auditoria``)."""

from __future__ import annotations

from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from babel.dates import format_timedelta
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import staff_routes
from peam_bot.admin.moderation.card import markup_of
from peam_bot.admin.moderation.keyboards import QueueCb, TriageAction, button
from peam_bot.i18n import gettext as _
from peam_bot.services import audit, reference, staff
from peam_bot.services.formatting import babel_locale
from peam_bot.services.moderation import cards, history, queue, workflow
from peam_bot.services.rendering import status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, utcnow
from peam_bot.telegram.client import edit_text

routes = staff_routes("staff-moderation-screens")
TRIAGE = {"permission": "triage"}
AUDIT = {"permission": "audit"}
PER_PAGE = 5


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
        rows.append([button(f"{n}. {ini.code}", TriageAction.OPEN, ini.id)])
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
