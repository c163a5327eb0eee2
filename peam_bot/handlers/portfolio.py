"""The open project portfolio for residents: browse, search, nearest, cards, follow; inline mode;
and, for staff, timeline updates from the card and spreadsheet import by sending the file."""

from __future__ import annotations

import re

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks
from peam_bot.handlers.ui import MENU_PROJECTS, main_menu, menu_labels
from peam_bot.i18n import gettext as _
from peam_bot.services import portfolio, project_search, reference, staff
from peam_bot.services.rendering import project_card, project_line
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Project, User
from peam_bot.telegram.routing import Routes

routes = Routes("portfolio")
inline_routes = Routes("portfolio-inline", private_only=False)

PAGE = 8


class BrowseCb(CallbackData, prefix="br"):
    kind: str  # menu | facet-d | facet-a | facet-p | d | a | p | near
    value: str = ""
    page: int = 0


class ProjectCb(CallbackData, prefix="pj"):
    action: str  # card | follow | unfollow | map | upd
    code: str


class Near(StatesGroup):
    waiting = State()


LOOSE_CODE = re.compile(r"^\s*P\s*-?\s*(\d{1,6})\s*$", re.IGNORECASE)


def loose_code(text: str) -> str | None:
    """ "p12", "P-12", "P012" → "P-012" (codes have at least three digits)."""
    m = LOOSE_CODE.match(text)
    return f"P-{int(m.group(1)):03d}" if m else None


async def can_update(session: AsyncSession, settings: Settings, user_id: int) -> bool:
    """Staff who may publish project news see the button (the action checks the role again)."""
    return await staff.allowed(session, settings.admin_ids, user_id, "portfolio")


# --- rendering helpers ---------------------------------------------------------------------------


def browse_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📍 Por distrito"), callback_data=BrowseCb(kind="facet-d").pack()
                ),
                InlineKeyboardButton(text=_("🏷 Por tema"), callback_data=BrowseCb(kind="facet-a").pack()),
            ],
            [
                InlineKeyboardButton(text=_("🚧 Por fase"), callback_data=BrowseCb(kind="facet-p").pack()),
                InlineKeyboardButton(text=_("🧭 Cerca de mí"), callback_data=BrowseCb(kind="near").pack()),
            ],
        ]
    )


def project_buttons(projects: list[Project]) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                text=f"{p.code} · {truncate(p.name, 40)}",
                callback_data=ProjectCb(action="card", code=p.code).pack(),
            )
        ]
        for p in projects
    ]


async def card_keyboard(
    session: AsyncSession, project: Project, user: User | None, settings: Settings
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if user is not None:
        if await portfolio.is_following(session, project.id, user.id):
            rows.append([_button(_("✅ Siguiendo · Dejar de seguir"), "unfollow", project.code)])
        else:
            rows.append([_button(_("⭐ Seguir (le aviso de cada novedad)"), "follow", project.code)])
    extra = []
    if project.latitude is not None:
        extra.append(_button(_("📍 Ver en el mapa"), "map", project.code))
    extra.append(InlineKeyboardButton(text=_("📤 Compartir"), switch_inline_query=project.code))
    rows.append(extra)
    if user is not None and await can_update(session, settings, user.id):
        rows.append([_button(_("➕ Agregar novedad"), "upd", project.code)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _button(text: str, action: str, code: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ProjectCb(action=action, code=code).pack())


async def send_card(
    message: Message,
    session: AsyncSession,
    project: Project,
    user: User | None,
    locale: str,
    settings: Settings,
) -> None:
    followers = await portfolio.followers_count(session, project.id)
    await message.answer(
        await project_card(session, project, locale, followers),
        reply_markup=await card_keyboard(session, project, user, settings),
    )


async def open_card(
    message: Message, session: AsyncSession, code: str, user: User | None, locale: str, settings: Settings
) -> None:
    project = await portfolio.get_project(session, loose_code(code) or code)
    if project is None:
        await message.answer(
            _("No encontré el proyecto «{code}». Los códigos tienen la forma P-012.").format(
                code=esc(truncate(code, 30))
            ),
            reply_markup=browse_keyboard(),
        )
        return
    await send_card(message, session, project, user, locale, settings)


# --- browse ----------------------------------------------------------------------------------------


@routes.message(Command("proyectos", "projects"), StateFilter(None))
@routes.message(F.text.in_(menu_labels(MENU_PROJECTS)), StateFilter(None))
async def projects_menu(message: Message, session: AsyncSession) -> None:
    total = (await portfolio.list_projects(session, limit=1))[1]
    await message.answer(
        _(
            "La Cartera de Proyectos del PEAM tiene {n} proyectos. ¿Cómo quiere buscarlos?\n"
            "También puede escribir el nombre, por ejemplo: puente Chilina."
        ).format(n=total),
        reply_markup=browse_keyboard(),
    )


async def facet_labels(session: AsyncSession, kind: str, locale: str) -> dict[str, str]:
    if kind == "d":
        return {slug: name for slug, name, _m in await reference.districts(session)}
    if kind == "a":
        return {slug: _(name) for slug, name in await reference.themes(session)}
    return {slug: portfolio.phase_label(slug, locale) for slug in portfolio.PHASES}


@routes.callback_query(BrowseCb.filter(F.kind.in_({"facet-d", "facet-a", "facet-p"})))
async def facet_menu(
    query: CallbackQuery, callback_data: BrowseCb, session: AsyncSession, locale: str
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    kind = callback_data.kind[-1]
    facet = {"d": "district", "a": "axis", "p": "phase"}[kind]
    labels = await facet_labels(session, kind, locale)
    counts = dict(await portfolio.facet_counts(session, facet))  # type: ignore[arg-type]
    rows: list[list[InlineKeyboardButton]] = []
    buttons = [
        InlineKeyboardButton(
            text=f"{label} ({counts[slug]})", callback_data=BrowseCb(kind=kind, value=slug).pack()
        )
        for slug, label in labels.items()
        if counts.get(slug)
    ]
    width = 1 if kind == "a" else 2
    for i in range(0, len(buttons), width):
        rows.append(buttons[i : i + width])
    rows.append([InlineKeyboardButton(text=_("⬅️ Volver"), callback_data=BrowseCb(kind="menu").pack())])
    title = {"d": _("Elija un distrito:"), "a": _("Elija un tema:"), "p": _("Elija una fase:")}[kind]
    await query.message.edit_text(title, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@routes.callback_query(BrowseCb.filter(F.kind == "menu"))
async def back_to_menu(query: CallbackQuery, session: AsyncSession) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        total = (await portfolio.list_projects(session, limit=1))[1]
        await query.message.edit_text(
            _("La Cartera de Proyectos del PEAM tiene {n} proyectos. ¿Cómo quiere buscarlos?").format(
                n=total
            ),
            reply_markup=browse_keyboard(),
        )


@routes.callback_query(BrowseCb.filter(F.kind.in_({"d", "a", "p"})))
async def project_list(
    query: CallbackQuery, callback_data: BrowseCb, session: AsyncSession, locale: str
) -> None:
    if not isinstance(query.message, Message):
        return
    kind, value, page = callback_data.kind, callback_data.value, max(0, callback_data.page)
    labels = await facet_labels(session, kind, locale)
    if value not in labels:
        await query.answer(_("Ese botón ya no está activo."))
        return
    filters = {{"d": "district", "a": "axis", "p": "phase"}[kind]: value}
    projects, total = await portfolio.list_projects(session, offset=page * PAGE, limit=PAGE, **filters)
    pages = max(1, -(-total // PAGE))
    if page >= pages:
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    lines = [
        _("<b>{what}</b>: {n} proyectos · página {page} de {pages}").format(
            what=esc(labels[value]), n=total, page=page + 1, pages=pages
        )
    ]
    lines += [project_line(p, locale) for p in projects]
    rows = project_buttons(projects)
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text=_("◀️ Anterior"), callback_data=BrowseCb(kind=kind, value=value, page=page - 1).pack()
            )
        )
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(
                text=_("Siguiente ▶️"), callback_data=BrowseCb(kind=kind, value=value, page=page + 1).pack()
            )
        )
    if nav:
        rows.append(nav)
    rows.append(
        [InlineKeyboardButton(text=_("⬅️ Volver"), callback_data=BrowseCb(kind=f"facet-{kind}").pack())]
    )
    await query.message.edit_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


# --- cards, follow ---------------------------------------------------------------------------------


@routes.callback_query(ProjectCb.filter(F.action == "card"))
async def card_button(
    query: CallbackQuery,
    callback_data: ProjectCb,
    session: AsyncSession,
    user: User | None,
    locale: str,
    settings: Settings,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await open_card(query.message, session, callback_data.code, user, locale, settings)


@routes.callback_query(ProjectCb.filter(F.action.in_({"follow", "unfollow"})))
async def follow_button(
    query: CallbackQuery,
    callback_data: ProjectCb,
    session: AsyncSession,
    user: User | None,
    locale: str,
    settings: Settings,
) -> None:
    project = await portfolio.get_project(session, callback_data.code)
    if project is None or user is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    if callback_data.action == "follow":
        await portfolio.follow(session, project.id, user.id)
        await query.answer(_("Listo: le avisaré por aquí de cada novedad de este proyecto."), show_alert=True)
    else:
        await portfolio.unfollow(session, project.id, user.id)
        await query.answer(_("Ya no recibirá avisos de este proyecto."))
    await session.flush()
    followers = await portfolio.followers_count(session, project.id)
    await query.message.edit_text(
        await project_card(session, project, locale, followers),
        reply_markup=await card_keyboard(session, project, user, settings),
    )


@routes.callback_query(ProjectCb.filter(F.action == "map"))
async def map_button(query: CallbackQuery, callback_data: ProjectCb, session: AsyncSession) -> None:
    project = await portfolio.get_project(session, callback_data.code)
    if project is None or project.latitude is None or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    await query.answer()
    await query.message.answer_location(project.latitude, project.longitude)  # type: ignore[arg-type]


@routes.message(Command("siguiendo", "following"), StateFilter(None))
async def following(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    projects = await portfolio.followed_by(session, user.id)
    if not projects:
        await message.answer(
            _("Todavía no sigue ningún proyecto. Abra uno con /proyectos y pulse «Seguir»."),
            reply_markup=main_menu(),
        )
        return
    lines = [_("<b>Proyectos que sigue</b> ({n})").format(n=len(projects))]
    lines += [project_line(p, locale) for p in projects[:30]]
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=project_buttons(projects[:30]))
    )


@deeplinks.register("proyecto")
async def open_project_link(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    await open_card(message, session, rest, user, user.locale, settings)


# --- nearest ---------------------------------------------------------------------------------------


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Enviar mi ubicación"), request_location=True)],
            [KeyboardButton(text=_("✖️ Cancelar"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@routes.callback_query(BrowseCb.filter(F.kind == "near"))
async def near_button(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await state.set_state(Near.waiting)
        await query.message.answer(
            _(
                "Comparta su ubicación con el botón de abajo (o desde 📎 → Ubicación) y le muestro los proyectos más cercanos."
            ),
            reply_markup=location_keyboard(),
        )


@routes.message(StateFilter(Near.waiting, None), F.location)
async def near_location(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    await state.clear()
    loc = message.location
    assert loc is not None
    found = await portfolio.nearest(session, loc.latitude, loc.longitude, limit=5)
    if not found:
        await message.answer(_("No hay proyectos con ubicación todavía."), reply_markup=main_menu())
        return
    lines = [_("<b>Proyectos más cercanos</b>")]
    for project, metres in found:
        distance = f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"
        lines.append(f"{project_line(project, locale)} · {distance}")
    await message.answer(_("Aquí tiene:"), reply_markup=main_menu())
    await message.answer(
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=project_buttons([p for p, _d in found])),
    )


@routes.message(Near.waiting)
async def near_other(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str, settings: Settings
) -> None:
    """Anything but a location ends the wait; typed words (a place, a project) are searched, as
    they would be outside it, instead of being dropped."""
    await state.clear()
    text = (message.text or "").strip()
    if not text or text.startswith("/") or text == _("✖️ Cancelar"):
        await message.answer(_("Listo, no busqué por cercanía."), reply_markup=main_menu())
        return
    await message.answer(_("No busqué por cercanía; busco lo que escribió."), reply_markup=main_menu())
    await run_search(message, session, text, user, locale, settings)


# --- search ----------------------------------------------------------------------------------------


async def run_search(
    message: Message, session: AsyncSession, text: str, user: User | None, locale: str, settings: Settings
) -> None:
    text = text.strip()
    code = loose_code(text)
    if code is not None and (project := await portfolio.get_project(session, code)) is not None:
        await send_card(message, session, project, user, locale, settings)
        return
    hits = await project_search.search(session, text, limit=5)
    projects = await portfolio.get_projects(session, [h.code for h in hits])
    if not projects:
        await message.answer(
            _(
                "No encontré nada para «{query}». Puede ver los proyectos por distrito, por tema o por fase:"
            ).format(query=esc(truncate(text, 60))),
            reply_markup=browse_keyboard(),
        )
        return
    lines = [_("Esto encontré para «{query}»:").format(query=esc(truncate(text, 60)))]
    lines += [project_line(p, locale) for p in projects]
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=project_buttons(projects))
    )


@routes.message(Command("buscar", "search"), StateFilter(None))
async def search_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
) -> None:
    if not command.args:
        await message.answer(_("Escriba /buscar y lo que busca, por ejemplo: /buscar puente Chilina"))
        return
    await run_search(message, session, command.args, user, locale, settings)


# text typed outside a form is read first by handlers/free_text.py, which searches what is left


# --- inline mode -----------------------------------------------------------------------------------


@inline_routes.inline_query()
async def inline_search(query: InlineQuery, bot: Bot, session: AsyncSession, locale: str) -> None:
    text = query.query.strip()
    code = loose_code(text)
    if code is not None:
        projects = await portfolio.get_projects(session, [code])
    elif text:
        projects = await portfolio.get_projects(
            session, [h.code for h in await project_search.search(session, text, limit=10)]
        )
    else:
        projects = (await portfolio.list_projects(session, limit=10))[0]
    me = await bot.me()
    results = []
    for project in projects:
        followers = await portfolio.followers_count(session, project.id)
        link = f"https://t.me/{me.username}?start=proyecto_{project.code}"
        results.append(
            InlineQueryResultArticle(
                id=project.code,
                title=f"{project.code} · {truncate(project.name, 60)}",
                description=f"{portfolio.phase_label(project.phase, locale)} · {project.progress} %",
                input_message_content=InputTextMessageContent(
                    message_text=await project_card(session, project, locale, followers), parse_mode="HTML"
                ),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text=_("Ver en el asistente del PEAM"), url=link)]]
                ),
            )
        )
    await query.answer(results, cache_time=30, is_personal=False)
