"""Cartera Abierta de Proyectos (Banco de Proyectos): browse, follow, and the dated timeline.

Every change of phase, progress or timeline is kept in `project_changes` (who and when), and every
timeline entry is announced through the outbox to the project's followers, each in their language.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services import audit, text
from peam_bot.services.initiatives import InvalidInput, check_length, distance_m
from peam_bot.storage.models import (
    District,
    Project,
    ProjectChange,
    ProjectDistrict,
    ProjectFollower,
    ProjectInitiative,
    ProjectUpdate,
    Theme,
    User,
    utcnow,
)

PHASES: tuple[str, ...] = (
    "idea",
    "perfil",
    "expediente_tecnico",
    "en_financiamiento",
    "en_ejecucion",
    "concluido",
    "suspendido",
)
PHASE_LABELS: dict[str, str] = {
    "idea": N_("Idea"),
    "perfil": N_("Perfil"),
    "expediente_tecnico": N_("Expediente técnico"),
    "en_financiamiento": N_("En financiamiento"),
    "en_ejecucion": N_("En ejecución"),
    "concluido": N_("Concluido"),
    "suspendido": N_("Suspendido"),
}
PRIORITIES: tuple[str, ...] = ("alta", "media", "baja")
PRIORITY_LABELS: dict[str, str] = {"alta": N_("Alta"), "media": N_("Media"), "baja": N_("Baja")}
FUNDING_SOURCES: tuple[str, ...] = (
    "plan_inversiones",
    "presupuesto_participativo",
    "municipal",
    "gobierno_regional",
    "cooperacion_internacional",
    "privado",
)
FUNDING_LABELS: dict[str, str] = {
    "plan_inversiones": N_("Plan de Inversiones Anual"),
    "presupuesto_participativo": N_("Presupuesto Participativo"),
    "municipal": N_("Municipal"),
    "gobierno_regional": N_("Gobierno Regional"),
    "cooperacion_internacional": N_("Cooperación internacional"),
    "privado": N_("Privado"),
}
CODE_RE = re.compile(r"^P-\d{3,}$", re.IGNORECASE)

NAME_MAX = 200
UPDATE_MIN, UPDATE_MAX = 5, 2000
CAPTION_MAX = 1024  # Telegram: photo caption, after entity parsing


def normalize_code(code: str) -> str:
    return code.strip().upper()


def phase_label(phase: str, locale: str) -> str:
    label = PHASE_LABELS.get(phase)
    return gettext(label, locale) if label is not None else phase


def progress_bar(percent: int, width: int = 10) -> str:
    """`▰▰▰▱▱▱▱▱▱▱ 30 %`: readable on any phone, no images."""
    percent = max(0, min(100, int(percent)))
    filled = int(percent * width / 100 + 0.5)
    return "▰" * filled + "▱" * (width - filled) + f" {percent} %"


def _by_code() -> tuple[object, object]:
    # natural order: P-099 before P-100 before P-1000
    return func.length(Project.code), Project.code


async def get_project(session: AsyncSession, code: str) -> Project | None:
    code = normalize_code(code)
    if not CODE_RE.match(code):
        return None
    return (await session.execute(select(Project).where(Project.code == code))).scalar_one_or_none()


async def get_projects(session: AsyncSession, codes: list[str]) -> list[Project]:
    """The projects with these codes, in the same order (unknown codes are left out)."""
    wanted = [normalize_code(c) for c in codes]
    found = {
        p.code: p for p in (await session.execute(select(Project).where(Project.code.in_(wanted)))).scalars()
    }
    return [found[c] for c in wanted if c in found]


def _filtered(stmt: Select, district: str | None, axis: str | None, phase: str | None) -> Select:  # type: ignore[type-arg]
    if district is not None:
        stmt = stmt.where(
            Project.id.in_(select(ProjectDistrict.project_id).where(ProjectDistrict.district == district))
        )
    if axis is not None:
        stmt = stmt.where(Project.axis == axis)
    if phase is not None:
        stmt = stmt.where(Project.phase == phase)
    return stmt


async def list_projects(
    session: AsyncSession,
    *,
    district: str | None = None,
    axis: str | None = None,
    phase: str | None = None,
    offset: int = 0,
    limit: int = 8,
) -> tuple[list[Project], int]:
    """One page of projects (ordered by code) and the total that match the filters."""
    total = (
        await session.execute(_filtered(select(func.count(Project.id)), district, axis, phase))
    ).scalar_one()
    rows = (
        await session.execute(
            _filtered(select(Project), district, axis, phase)
            .order_by(*_by_code())
            .offset(max(0, offset))
            .limit(limit)
        )
    ).scalars()
    return list(rows), int(total)


async def facet_counts(
    session: AsyncSession, kind: Literal["district", "axis", "phase"]
) -> list[tuple[str, int]]:
    """(value, number of projects) for the browse menus, in the reference order, only values in use."""
    if kind == "district":
        n = func.count(func.distinct(ProjectDistrict.project_id))
        stmt = (
            select(ProjectDistrict.district, n)
            .join(District, District.slug == ProjectDistrict.district)
            .group_by(ProjectDistrict.district, District.metropolitan, District.position)
            .order_by(District.metropolitan.desc(), District.position)
        )
        return [(r[0], int(r[1])) for r in await session.execute(stmt)]
    if kind == "axis":
        stmt = (
            select(Project.axis, func.count(Project.id))
            .join(Theme, Theme.slug == Project.axis)
            .group_by(Project.axis, Theme.position)
            .order_by(Theme.position)
        )
        return [(r[0], int(r[1])) for r in await session.execute(stmt)]
    if kind == "phase":
        rows = await session.execute(select(Project.phase, func.count(Project.id)).group_by(Project.phase))
        counts = {r[0]: int(r[1]) for r in rows}
        return [(p, counts[p]) for p in PHASES if p in counts]
    raise ValueError(f"unknown facet {kind}")


async def followers_count(session: AsyncSession, project_id: int) -> int:
    stmt = select(func.count()).where(ProjectFollower.project_id == project_id)
    return int((await session.execute(stmt)).scalar_one())


async def is_following(session: AsyncSession, project_id: int, user_id: int) -> bool:
    stmt = select(ProjectFollower.user_id).where(
        ProjectFollower.project_id == project_id, ProjectFollower.user_id == user_id
    )
    return (await session.execute(stmt)).first() is not None


async def follow(session: AsyncSession, project_id: int, user_id: int) -> bool:
    """Follow a project; True if newly followed (following twice is harmless)."""
    if await is_following(session, project_id, user_id):
        return False
    try:
        async with session.begin_nested():
            await session.execute(insert(ProjectFollower).values(project_id=project_id, user_id=user_id))
    except IntegrityError:  # a concurrent tap of the same button
        return False
    return True


async def unfollow(session: AsyncSession, project_id: int, user_id: int) -> bool:
    row = await session.get(ProjectFollower, (project_id, user_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def followed_by(session: AsyncSession, user_id: int) -> list[Project]:
    stmt = (
        select(Project)
        .join(ProjectFollower, ProjectFollower.project_id == Project.id)
        .where(ProjectFollower.user_id == user_id)
        .order_by(*_by_code())
    )
    return list((await session.execute(stmt)).scalars())


async def nearest(
    session: AsyncSession, lat: float, lon: float, limit: int = 5
) -> list[tuple[Project, float]]:
    """The projects with a location closest to a point, with their distance in metres."""
    points = (
        await session.execute(
            select(Project.id, Project.latitude, Project.longitude).where(
                Project.latitude.is_not(None), Project.longitude.is_not(None)
            )
        )
    ).all()
    ranked = sorted(
        ((distance_m(lat, lon, r.latitude, r.longitude), r.id) for r in points), key=lambda d: (d[0], d[1])
    )[: max(0, limit)]
    if not ranked:
        return []
    found = {
        p.id: p
        for p in (
            await session.execute(select(Project).where(Project.id.in_([i for _, i in ranked])))
        ).scalars()
    }
    return [(found[i], d) for d, i in ranked]


def validate_update_text(value: str) -> str:
    return check_length(value, UPDATE_MIN, UPDATE_MAX)


def validate_progress(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput("bad_progress", min=0, max=100)
    return value


def validate_phase(value: str) -> str:
    if value not in PHASES:
        raise InvalidInput("bad_phase")
    return value


def _visible_len(markup: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]*>", "", markup)))


def update_message(project: Project, update: ProjectUpdate, locale: str, limit: int = 4096) -> str:
    """The notice a follower receives, in their language; the update text is cut to fit `limit`."""
    _ = lambda s: gettext(s, locale)  # noqa: E731

    def build(body: str) -> str:
        lines = [
            _("🔔 Novedades de <b>{name}</b> ({code})").format(
                name=text.esc(project.name), code=text.esc(project.code)
            )
        ]
        if update.new_phase is not None:
            lines.append(
                _("Nueva fase: <b>{phase}</b>").format(phase=text.esc(phase_label(update.new_phase, locale)))
            )
        if update.new_progress is not None:
            lines.append(_("Avance: {bar}").format(bar=progress_bar(update.new_progress)))
        lines += [
            "",
            text.esc(body),
            "",
            _("Vea la ficha del proyecto: /estado {code}").format(code=project.code),
        ]
        return "\n".join(lines)

    room = limit - _visible_len(build(""))
    return build(text.truncate(update.text, max(room, 1)))


async def add_update(
    session: AsyncSession,
    project: Project,
    author_id: int | None,
    text: str,
    photo_file_id: str | None = None,
    new_phase: str | None = None,
    new_progress: int | None = None,
) -> ProjectUpdate:
    """Add a dated entry to the timeline (optionally changing phase/progress), record who changed what,
    and queue one notice per reachable follower."""
    body = validate_update_text(text)
    if new_phase is not None:
        validate_phase(new_phase)
        if new_phase == project.phase:
            new_phase = None
    if new_progress is not None:
        validate_progress(new_progress)
        if new_progress == project.progress:
            new_progress = None

    upd = ProjectUpdate(
        text=body,
        photo_file_id=photo_file_id or None,
        new_phase=new_phase,
        new_progress=new_progress,
        author_id=author_id,
    )
    project.updates.append(upd)
    changes = [ProjectChange(field="update", before=None, after=body)]
    if new_phase is not None:
        changes.append(ProjectChange(field="phase", before=project.phase, after=new_phase))
        project.phase = new_phase
    if new_progress is not None:
        changes.append(ProjectChange(field="progress", before=str(project.progress), after=str(new_progress)))
        project.progress = new_progress
    for change in changes:
        change.project_id = project.id
        change.actor_id = author_id
        change.source = "bot"
        session.add(change)
    project.updated_at = utcnow()
    audit.record(
        session,
        author_id,
        "project_update",
        project.code,
        None,
        "; ".join(f"{c.field}: {c.after}" for c in changes)[:2000],
    )
    await session.flush()
    await _notify_followers(session, project, upd)
    return upd


async def _notify_followers(session: AsyncSession, project: Project, upd: ProjectUpdate) -> None:
    followers = await session.execute(
        select(User.id, User.locale)
        .join(ProjectFollower, ProjectFollower.user_id == User.id)
        .where(ProjectFollower.project_id == project.id, User.unreachable_at.is_(None))
        .order_by(User.id)
    )
    ref = f"project-update:{upd.id}"
    for user_id, locale in followers:
        if upd.photo_file_id:
            caption = update_message(project, upd, locale, limit=CAPTION_MAX)
            outbox.enqueue(
                session, user_id, "photo", {"photo": upd.photo_file_id, "caption": caption}, ref=ref
            )
        else:
            outbox.enqueue_text(session, user_id, update_message(project, upd, locale), ref=ref)


async def link_initiative(session: AsyncSession, project_id: int, initiative_id: int, author_id: int) -> None:
    """Link an initiative to the project that takes it up; its author follows the project from then on."""
    exists = await session.get(ProjectInitiative, (project_id, initiative_id))
    if exists is None:
        session.add(ProjectInitiative(project_id=project_id, initiative_id=initiative_id))
        await session.flush()
    await follow(session, project_id, author_id)


async def linked_initiatives(session: AsyncSession, project_id: int) -> list[int]:
    stmt = (
        select(ProjectInitiative.initiative_id)
        .where(ProjectInitiative.project_id == project_id)
        .order_by(ProjectInitiative.initiative_id)
    )
    return list((await session.execute(stmt)).scalars())
