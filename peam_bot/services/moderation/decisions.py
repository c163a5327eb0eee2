"""The triage's decisions on an initiative: accept it as a new project or link it to one, reject it
with a reason, mark it a duplicate of another, ask its author for information (and take the
answer), assign it to a moderator or a mesa temática.

Each is one compare-and-set (:mod:`.workflow`), taking the initiative into review first if needed;
the author and supporters hear of the outcome (:mod:`.notices`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit, events, portfolio, staff
from peam_bot.services.initiatives import check_length
from peam_bot.services.moderation import notices
from peam_bot.services.moderation.announcements import post_answer, refresh_announcement
from peam_bot.services.moderation.refusals import Refused
from peam_bot.services.moderation.states import can
from peam_bot.services.moderation.supports import recount, supporters
from peam_bot.services.moderation.workflow import cas, decide, event, get, take
from peam_bot.storage.models import (
    Initiative,
    InitiativeMessage,
    InitiativeSupport,
    Project,
    ProjectDistrict,
    ProjectInitiative,
    User,
)

REASON_MIN, REASON_MAX = 5, 800
QUESTION_MIN, QUESTION_MAX = 5, 800
ANSWER_MIN, ANSWER_MAX = 2, 2000


def validate_reason(value: str) -> str:
    return check_length(value, REASON_MIN, REASON_MAX)


def validate_question(value: str) -> str:
    return check_length(value, QUESTION_MIN, QUESTION_MAX)


def validate_answer(value: str) -> str:
    return check_length(value, ANSWER_MIN, ANSWER_MAX)


# --- Aceptar / Vincular ---------------------------------------------------------------------------


async def _next_project_code(session: AsyncSession) -> str:
    codes = (await session.execute(select(Project.code))).scalars()
    highest = max((int(c[2:]) for c in codes if c[2:].isdigit()), default=0)
    return f"P-{highest + 1:03d}"


async def _new_project(session: AsyncSession, **values: Any) -> Project:
    """Insert a project with the next free code: two moderators accepting at the same moment get
    different codes (the loser of the unique code retries with the next one)."""
    for _attempt in range(5):
        code = await _next_project_code(session)
        try:
            async with session.begin_nested():
                stmt = insert(Project).values(code=code, **values).returning(Project.id)
                project_id = (await session.execute(stmt)).scalar_one()
        except IntegrityError:
            continue
        project = await session.get(Project, project_id)
        assert project is not None
        return project
    raise Refused("busy", detail="project code")


async def accept_as_new_project(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None
) -> Project:
    """Aceptar: the initiative becomes a new project of the portfolio (phase "idea")."""
    await take(session, ini, actor_id, role)
    if not can(ini, "aceptada"):
        raise Refused("impossible", ini.status)
    project = await _new_project(
        session,
        name=ini.title,
        description=ini.description,
        axis=ini.theme,
        latitude=ini.latitude,
        longitude=ini.longitude,
        phase="idea",
        priority="media",
        progress=0,
        responsible="",
        search_text=ini.search_text,
    )
    session.add(ProjectDistrict(project_id=project.id, district=ini.district, position=0))
    await session.flush()
    await decide(
        session, ini, actor_id, role, "aceptada", public_note=project.code, reason=f"proyecto {project.code}"
    )
    await _link_and_follow(session, ini, project)
    await notices.decision(session, ini, "aceptada", project=project)
    return project


async def link_to_project(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, project_code: str
) -> Project:
    """Vincular: an existing project takes the initiative up."""
    project = await portfolio.get_project(session, project_code)
    if project is None:
        raise Refused("gone")
    await decide(
        session, ini, actor_id, role, "vinculada", public_note=project.code, reason=f"proyecto {project.code}"
    )
    await _link_and_follow(session, ini, project)
    await notices.decision(session, ini, "vinculada", project=project)
    return project


async def _link_and_follow(session: AsyncSession, ini: Initiative, project: Project) -> None:
    await portfolio.link_initiative(session, project.id, ini.id, ini.author_id)
    for uid in await supporters(session, ini.id):
        await portfolio.follow(session, project.id, uid)


# --- Rechazar / Duplicada -------------------------------------------------------------------------


async def reject(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, reason: str
) -> None:
    reason = validate_reason(reason)
    await decide(session, ini, actor_id, role, "rechazada", reason=reason, public_note=reason)
    await notices.decision(session, ini, "rechazada", reason=reason)


def can_be_original(ini: Initiative, original: Initiative) -> bool:
    """Whether `original` may take `ini`'s supporters: another, public initiative still standing."""
    return original.id != ini.id and not original.hidden and original.status not in ("rechazada", "duplicada")


async def mark_duplicate(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, original_id: int
) -> Initiative:
    """Duplicada: supports (and the author) move to the original; they follow its project too."""
    original = await get(session, original_id)
    if original is None or not can_be_original(ini, original):
        raise Refused("gone")
    await decide(
        session,
        ini,
        actor_id,
        role,
        "duplicada",
        public_note=original.code,
        reason=f"original {original.code}",
        duplicate_of=original.id,
    )
    movers = set(await supporters(session, ini.id)) | {ini.author_id}
    movers.discard(original.author_id)
    already = set(await supporters(session, original.id))
    for uid in sorted(movers - already):
        session.add(InitiativeSupport(initiative_id=original.id, user_id=uid))
    await session.execute(delete(InitiativeSupport).where(InitiativeSupport.initiative_id == ini.id))
    await session.flush()
    await recount(session, ini.id)
    await recount(session, original.id)
    projects = (
        await session.execute(
            select(ProjectInitiative.project_id).where(ProjectInitiative.initiative_id == original.id)
        )
    ).scalars()
    for project_id in list(projects):
        for uid in sorted(movers):
            await portfolio.follow(session, project_id, uid)
    await notices.decision(
        session, ini, "duplicada", original=original, extra_users=sorted(movers - {ini.author_id})
    )
    return original


# --- Pedir información ----------------------------------------------------------------------------


async def request_info(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, question: str
) -> None:
    question = validate_question(question)
    await decide(session, ini, actor_id, role, "necesita_informacion", reason=question)
    session.add(
        InitiativeMessage(initiative_id=ini.id, direction="question", author_id=actor_id, text=question)
    )
    author = await session.get(User, ini.author_id)
    if author is not None:
        notices.question(session, author, ini, question)


async def open_question(session: AsyncSession, ini: Initiative) -> str | None:
    """The moderators' last question, while the initiative waits for the author's answer."""
    if ini.status != "necesita_informacion":
        return None
    stmt = (
        select(InitiativeMessage.text)
        .where(InitiativeMessage.initiative_id == ini.id, InitiativeMessage.direction == "question")
        .order_by(InitiativeMessage.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def answer_info(
    session: AsyncSession, ini: Initiative, author_id: int, answer: str, staff_chat_id: int | None
) -> None:
    """The author's answer is attached and the initiative returns to the queue (en revisión)."""
    answer = validate_answer(answer)
    if ini.author_id != author_id:
        raise Refused("gone")
    if ini.status != "necesita_informacion":
        raise Refused("impossible", ini.status)
    await cas(session, ini, status="en_revision")
    event(session, ini, "en_revision", None, None)
    session.add(InitiativeMessage(initiative_id=ini.id, direction="answer", author_id=author_id, text=answer))
    audit.record(session, None, "answer", ini.code, "necesita_informacion", "en_revision")
    await session.flush()
    await refresh_announcement(session, ini)  # the earlier staff messages show the new state
    if staff_chat_id is not None:
        await post_answer(session, ini, staff_chat_id)


# --- Asignar --------------------------------------------------------------------------------------


async def assign(
    session: AsyncSession,
    ini: Initiative,
    actor_id: int,
    role: str | None,
    *,
    to_user: int | None = None,
    mesa: str | None = None,
    admin_ids: Sequence[int] = (),
) -> None:
    """Asignar: to a moderator (who becomes its reviewer) or to a mesa de concertación (its code)."""
    await take(session, ini, actor_id, role, force=role == "admin")
    if to_user is not None:
        if not await staff.allowed(session, admin_ids, to_user, "triage"):
            raise Refused("gone")
        before = str(ini.reviewer_id)
        await cas(session, ini, reviewer_id=to_user)
        audit.record(session, actor_id, "assign", ini.code, before, str(to_user))
        if to_user != actor_id:
            notices.assigned(session, to_user, ini)
    elif mesa is not None:
        if await events.mesa_by_code(session, mesa) is None:
            raise Refused("gone")
        before = ini.assigned_mesa
        await cas(session, ini, assigned_mesa=mesa)
        audit.record(session, actor_id, "assign_mesa", ini.code, before, mesa)
