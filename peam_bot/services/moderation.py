"""Triage of initiatives: explicit states, race-safe transitions, supports, hide/block, notifications.

States::

    recibida → en_revision → {necesita_informacion, aceptada, vinculada, rechazada, duplicada}
    necesita_informacion → en_revision (the author answered) | any decision (no need to wait)

A moderator's first action on a ``recibida`` initiative takes it into review (``en_revision``, with
them as reviewer) in the same transaction as the action itself, so one tap still clears it.

Every change is a compare-and-set on ``initiatives.version``: of two moderators acting at the same
moment exactly one update matches; the other gets :class:`Refused` with who handled it and when.
Every step writes the audit trail and, when the resident can see the change, queues their message
(in their language) in the outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from peam_bot.i18n import N_, gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services import audit, initiatives, portfolio, reference, staff
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.initiatives import InvalidInput, check_length
from peam_bot.services.rendering import staff_summary, status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import (
    Initiative,
    InitiativeEvent,
    InitiativeMessage,
    InitiativeSupport,
    OutboxMessage,
    Project,
    ProjectDistrict,
    ProjectInitiative,
    ReplyTemplate,
    User,
    utcnow,
)

PENDING = ("recibida", "en_revision", "necesita_informacion")
DECISIONS = ("aceptada", "vinculada", "rechazada", "duplicada")
TRANSITIONS: dict[str, frozenset[str]] = {
    "recibida": frozenset({"en_revision"}),
    "en_revision": frozenset({"necesita_informacion", *DECISIONS}),
    "necesita_informacion": frozenset({"en_revision", *DECISIONS}),
    "aceptada": frozenset(),
    "vinculada": frozenset(),
    "rechazada": frozenset(),
    "duplicada": frozenset(),
}
# a review taken by one moderator is theirs for this long after their last step; then anyone may take it
# over (an admin can reassign it at any time with Asignar)
CLAIM_TTL = timedelta(minutes=30)
REASON_MIN, REASON_MAX = 5, 800
QUESTION_MIN, QUESTION_MAX = 5, 800
ANSWER_MIN, ANSWER_MAX = 2, 2000
STAFF_LOCALE = "es"

ACTION_LABELS = {
    "en_revision": N_("👀 En revisión"),
    "necesita_informacion": N_("❓ Se pidió información"),
    "aceptada": N_("✅ Aceptada"),
    "vinculada": N_("🔗 Vinculada"),
    "rechazada": N_("✖️ Rechazada"),
    "duplicada": N_("♊ Duplicada"),
}


class Refused(Exception):
    """The action was not applied; ``reason`` says why and the rest who/when, for the message."""

    def __init__(
        self, reason: str, status: str = "", who: str = "", when: datetime | None = None, detail: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason  # handled | taken | impossible | gone | not_public | own | blocked
        self.status = status
        self.who = who
        self.when = when
        self.detail = detail

    def message(self, locale: str) -> str:
        _ = lambda s: gettext(s, locale)  # noqa: E731
        when = fmt_datetime(self.when, locale) if self.when else ""
        status = status_label(self.status, locale)
        if self.reason == "handled":
            return _("Ya la atendió {who}: {status} ({when}).").format(who=self.who, status=status, when=when)
        if self.reason == "taken":
            return _("La está revisando {who} desde {when}.").format(who=self.who, when=when)
        if self.reason == "impossible":
            return _("No se puede hacer eso con una iniciativa en estado «{status}».").format(status=status)
        if self.reason == "gone":
            return _("Ese elemento ya no existe.")
        return _("No se pudo hacer: {detail}").format(detail=self.detail or self.reason)


def can(ini: Initiative, to: str) -> bool:
    return to in TRANSITIONS.get(ini.status, frozenset())


def callback(action: str, ini_id: int, arg: str = "") -> str:
    """The callback data of a triage button; the same string as ``admin.moderation.TriageCb``."""
    return f"mq:{action}:{ini_id}:{arg}"


# --- loading ------------------------------------------------------------------------------------


async def get(session: AsyncSession, ini_id: int) -> Initiative | None:
    stmt = select(Initiative).where(Initiative.id == ini_id).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> Initiative | None:
    return await initiatives.by_code(session, code, fresh=True)


# --- the compare-and-set ------------------------------------------------------------------------


async def _refused_now(session: AsyncSession, ini_id: int) -> Refused:
    current = await get(session, ini_id)
    if current is None:
        return Refused("gone")
    if current.status in PENDING:
        who = await staff.display_name(session, current.reviewer_id)
        return Refused("taken", current.status, who, current.updated_at)
    who = await staff.display_name(session, current.decided_by)
    return Refused("handled", current.status, who, current.decided_at)


async def _cas(session: AsyncSession, ini: Initiative, **values: Any) -> None:
    """Apply ``values`` only if nobody changed the initiative since it was read."""
    now = values.pop("now", None) or utcnow()
    values.update(version=ini.version + 1, updated_at=now)
    result = await session.execute(
        update(Initiative)
        .where(Initiative.id == ini.id, Initiative.version == ini.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise await _refused_now(session, ini.id)
    for key, value in values.items():  # the object now mirrors the row, with nothing left to flush
        set_committed_value(ini, key, value)


def _event(
    session: AsyncSession, ini: Initiative, status: str, actor_id: int | None, note: str | None
) -> None:
    session.add(InitiativeEvent(initiative_id=ini.id, status=status, actor_id=actor_id, note=note))


async def take(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, force: bool = False
) -> None:
    """Take the initiative into review (or keep it, if it is already the actor's). Someone else's
    fresh review is refused unless ``force`` (an admin reassigning it)."""
    if ini.status not in PENDING:
        who = await staff.display_name(session, ini.decided_by)
        raise Refused("handled", ini.status, who, ini.decided_at)
    if ini.status == "recibida":
        await _cas(session, ini, status="en_revision", reviewer_id=actor_id)
        _event(session, ini, "en_revision", actor_id, None)
        audit.record(session, actor_id, "review", ini.code, "recibida", "en_revision")
        _notify_review(session, await _author(session, ini), ini)
        return
    if ini.reviewer_id in (None, actor_id):
        if ini.reviewer_id is None:
            await _cas(session, ini, reviewer_id=actor_id)
        return
    if not force and utcnow() - ini.updated_at < CLAIM_TTL:
        who = await staff.display_name(session, ini.reviewer_id)
        raise Refused("taken", ini.status, who, ini.updated_at)
    before = str(ini.reviewer_id)
    await _cas(session, ini, reviewer_id=actor_id)
    audit.record(session, actor_id, "take_over", ini.code, before, str(actor_id))


async def _decide(
    session: AsyncSession,
    ini: Initiative,
    actor_id: int,
    role: str | None,
    to: str,
    *,
    reason: str | None = None,
    public_note: str | None = None,
    **values: Any,
) -> None:
    await take(session, ini, actor_id, role)
    if not can(ini, to):
        raise Refused("impossible", ini.status)
    before = ini.status
    now = utcnow()
    decided = {"decided_by": actor_id, "decided_at": now} if to in DECISIONS else {}
    await _cas(session, ini, status=to, now=now, **decided, **values)
    _event(session, ini, to, actor_id, public_note)
    audit.record(session, actor_id, to, ini.code, before, to, reason)


# --- decisions ----------------------------------------------------------------------------------


async def _author(session: AsyncSession, ini: Initiative) -> User | None:
    return await session.get(User, ini.author_id)


async def _supporters(session: AsyncSession, ini_id: int) -> list[int]:
    rows = await session.execute(
        select(InitiativeSupport.user_id).where(InitiativeSupport.initiative_id == ini_id)
    )
    return list(rows.scalars())


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
    await _decide(
        session, ini, actor_id, role, "aceptada", public_note=project.code, reason=f"proyecto {project.code}"
    )
    await _link_and_follow(session, ini, project)
    await _notify_decision(session, ini, "aceptada", project=project)
    return project


async def link_to_project(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, project_code: str
) -> Project:
    """Vincular: an existing project takes the initiative up."""
    project = await portfolio.get_project(session, project_code)
    if project is None:
        raise Refused("gone")
    await _decide(
        session, ini, actor_id, role, "vinculada", public_note=project.code, reason=f"proyecto {project.code}"
    )
    await _link_and_follow(session, ini, project)
    await _notify_decision(session, ini, "vinculada", project=project)
    return project


async def _link_and_follow(session: AsyncSession, ini: Initiative, project: Project) -> None:
    await portfolio.link_initiative(session, project.id, ini.id, ini.author_id)
    for uid in await _supporters(session, ini.id):
        await portfolio.follow(session, project.id, uid)


def validate_reason(value: str) -> str:
    return check_length(value, REASON_MIN, REASON_MAX)


async def reject(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, reason: str
) -> None:
    reason = validate_reason(reason)
    await _decide(session, ini, actor_id, role, "rechazada", reason=reason, public_note=reason)
    await _notify_decision(session, ini, "rechazada", reason=reason)


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
    await _decide(
        session,
        ini,
        actor_id,
        role,
        "duplicada",
        public_note=original.code,
        reason=f"original {original.code}",
        duplicate_of=original.id,
    )
    movers = set(await _supporters(session, ini.id)) | {ini.author_id}
    movers.discard(original.author_id)
    already = set(await _supporters(session, original.id))
    for uid in sorted(movers - already):
        session.add(InitiativeSupport(initiative_id=original.id, user_id=uid))
    await session.execute(delete(InitiativeSupport).where(InitiativeSupport.initiative_id == ini.id))
    await session.flush()
    await _recount(session, ini.id)
    await _recount(session, original.id)
    projects = (
        await session.execute(
            select(ProjectInitiative.project_id).where(ProjectInitiative.initiative_id == original.id)
        )
    ).scalars()
    for project_id in list(projects):
        for uid in sorted(movers):
            await portfolio.follow(session, project_id, uid)
    await _notify_decision(
        session, ini, "duplicada", original=original, extra_users=sorted(movers - {ini.author_id})
    )
    return original


def validate_question(value: str) -> str:
    return check_length(value, QUESTION_MIN, QUESTION_MAX)


async def request_info(
    session: AsyncSession, ini: Initiative, actor_id: int, role: str | None, question: str
) -> None:
    question = validate_question(question)
    await _decide(session, ini, actor_id, role, "necesita_informacion", reason=question)
    session.add(
        InitiativeMessage(initiative_id=ini.id, direction="question", author_id=actor_id, text=question)
    )
    author = await _author(session, ini)
    if author is not None:
        _ = lambda s: gettext(s, author.locale)  # noqa: E731
        text = _(
            "❓ El equipo de AQPlan necesita un dato más sobre su iniciativa <b>{code}</b> «{title}»:\n\n"
            "<i>{question}</i>\n\nPulse <b>Responder</b> y escríbanos su respuesta."
        ).format(code=esc(ini.code), title=esc(truncate(ini.title, 80)), question=esc(question))
        markup = {"inline_keyboard": [[{"text": _("✍️ Responder"), "callback_data": f"ans:{ini.id}"}]]}
        outbox.enqueue_text(session, author.id, text, reply_markup=markup)


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


def validate_answer(value: str) -> str:
    return check_length(value, ANSWER_MIN, ANSWER_MAX)


async def answer_info(
    session: AsyncSession, ini: Initiative, author_id: int, answer: str, staff_chat_id: int | None
) -> None:
    """The author's answer is attached and the initiative returns to the queue (en revisión)."""
    answer = validate_answer(answer)
    if ini.author_id != author_id:
        raise Refused("gone")
    if ini.status != "necesita_informacion":
        raise Refused("impossible", ini.status)
    await _cas(session, ini, status="en_revision")
    _event(session, ini, "en_revision", None, None)
    session.add(InitiativeMessage(initiative_id=ini.id, direction="answer", author_id=author_id, text=answer))
    audit.record(session, None, "answer", ini.code, "necesita_informacion", "en_revision")
    await session.flush()
    await refresh_announcement(session, ini)  # the earlier staff messages show the new state
    if staff_chat_id is not None:
        outbox.enqueue_text(
            session,
            staff_chat_id,
            await staff_card(session, ini, heading=gettext(ANSWER_HEADING, STAFF_LOCALE)),
            reply_markup=await markup_for(session, ini),
            ref=f"announce:{ini.code}",
        )


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
    """Asignar: to a moderator (who becomes its reviewer) or to a mesa temática (a theme)."""
    await take(session, ini, actor_id, role, force=role == "admin")
    if to_user is not None:
        if not await staff.allowed(session, admin_ids, to_user, "triage"):
            raise Refused("gone")
        before = str(ini.reviewer_id)
        await _cas(session, ini, reviewer_id=to_user)
        audit.record(session, actor_id, "assign", ini.code, before, str(to_user))
        if to_user != actor_id:
            outbox.enqueue_text(
                session,
                to_user,
                gettext(
                    "📌 Le asignaron la iniciativa <b>{code}</b> «{title}». Ábrala con /iniciativa {code}",
                    STAFF_LOCALE,
                ).format(code=esc(ini.code), title=esc(truncate(ini.title, 80))),
            )
    elif mesa is not None:
        if await reference.theme_name(session, mesa) == mesa:
            raise Refused("gone")
        before = ini.assigned_mesa
        await _cas(session, ini, assigned_mesa=mesa)
        audit.record(session, actor_id, "assign_mesa", ini.code, before, mesa)


# --- hide / block -------------------------------------------------------------------------------


async def hide(session: AsyncSession, ini: Initiative, actor_id: int, reason: str | None = None) -> None:
    if ini.hidden:
        raise Refused("impossible", ini.status)
    await _cas(session, ini, hidden=True)
    audit.record(session, actor_id, "hide", ini.code, "visible", "oculta", reason)
    author = await _author(session, ini)
    if author is not None:
        text = gettext(
            "Su iniciativa <b>{code}</b> fue retirada de la vista pública porque no respeta las normas de "
            "participación. Sigue guardada; si cree que es un error, escriba a la oficina AQPlan.",
            author.locale,
        ).format(code=esc(ini.code))
        outbox.enqueue_text(session, author.id, text)


async def unhide(session: AsyncSession, ini: Initiative, actor_id: int) -> None:
    if not ini.hidden:
        raise Refused("impossible", ini.status)
    await _cas(session, ini, hidden=False)
    audit.record(session, actor_id, "unhide", ini.code, "oculta", "visible")
    author = await _author(session, ini)
    if author is not None:
        text = gettext("Su iniciativa <b>{code}</b> vuelve a ser pública.", author.locale).format(
            code=esc(ini.code)
        )
        outbox.enqueue_text(session, author.id, text)


async def block(session: AsyncSession, user_id: int, actor_id: int, reason: str) -> bool:
    """Stop a resident from submitting initiatives; they are told once, with the reason."""
    reason = validate_reason(reason)
    if user_id == actor_id:
        raise Refused("own")
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return False
    user.blocked_at = utcnow()
    user.blocked_reason = reason
    await session.flush()
    audit.record(session, actor_id, "block", f"user:{user_id}", None, "blocked", reason)
    text = gettext(
        "Por decisión del equipo de AQPlan ya no puede enviar nuevas iniciativas por este medio.\n"
        "Motivo: {reason}\nPuede seguir consultando proyectos e iniciativas.",
        user.locale,
    ).format(reason=esc(reason))
    outbox.enqueue_text(session, user.id, text)
    return True


async def unblock(session: AsyncSession, user_id: int, actor_id: int) -> bool:
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is None:
        return False
    before = user.blocked_reason
    user.blocked_at = None
    user.blocked_reason = None
    await session.flush()
    audit.record(session, actor_id, "unblock", f"user:{user_id}", before, None)
    outbox.enqueue_text(
        session, user.id, gettext("Ya puede volver a enviar iniciativas con /proponer.", user.locale)
    )
    return True


# --- supports -----------------------------------------------------------------------------------


def is_public(ini: Initiative) -> bool:
    return not ini.hidden and ini.status not in ("rechazada", "duplicada")


async def supports(session: AsyncSession, ini_id: int, user_id: int) -> bool:
    stmt = select(InitiativeSupport.user_id).where(
        InitiativeSupport.initiative_id == ini_id, InitiativeSupport.user_id == user_id
    )
    return (await session.execute(stmt)).first() is not None


async def _recount(session: AsyncSession, ini_id: int) -> int:
    count = (
        await session.execute(select(func.count()).where(InitiativeSupport.initiative_id == ini_id))
    ).scalar_one()
    await session.execute(update(Initiative).where(Initiative.id == ini_id).values(supports=count))
    return int(count)


def can_support(ini: Initiative) -> bool:
    """Supports count while a decision is pending; afterwards residents follow the project."""
    return is_public(ini) and ini.status in PENDING


async def support(session: AsyncSession, ini: Initiative, user_id: int) -> int:
    """Apoyar (idempotent: a double tap counts once). Returns the new count."""
    if not can_support(ini):
        raise Refused("not_public", ini.status)
    if ini.author_id == user_id:
        raise Refused("own", ini.status)
    try:
        async with session.begin_nested():
            await session.execute(insert(InitiativeSupport).values(initiative_id=ini.id, user_id=user_id))
    except IntegrityError:
        pass
    ini.supports = await _recount(session, ini.id)
    return ini.supports


async def withdraw_support(session: AsyncSession, ini: Initiative, user_id: int) -> int:
    await session.execute(
        delete(InitiativeSupport).where(
            InitiativeSupport.initiative_id == ini.id, InitiativeSupport.user_id == user_id
        )
    )
    ini.supports = await _recount(session, ini.id)
    return ini.supports


# --- templates ----------------------------------------------------------------------------------


async def templates(session: AsyncSession, kind: str = "rechazo") -> list[ReplyTemplate]:
    stmt = (
        select(ReplyTemplate)
        .where(ReplyTemplate.kind == kind, ReplyTemplate.active.is_(True))
        .order_by(ReplyTemplate.position, ReplyTemplate.id)
    )
    return list((await session.execute(stmt)).scalars())


async def template(session: AsyncSession, template_id: int) -> ReplyTemplate | None:
    tpl = await session.get(ReplyTemplate, template_id)
    return tpl if tpl is not None and tpl.active else None


TEMPLATE_TITLE_MAX = 40


def parse_template(value: str) -> tuple[str, str]:
    """ "Título | texto" → (title, body)."""
    title, sep, body = value.partition("|")
    if not sep:
        raise InvalidInput("format")
    return check_length(title, 3, TEMPLATE_TITLE_MAX), validate_reason(body)


async def save_template(
    session: AsyncSession, actor_id: int, title: str, body: str, template_id: int | None = None
) -> ReplyTemplate:
    if template_id is None:
        position = (
            await session.execute(select(func.coalesce(func.max(ReplyTemplate.position), 0)))
        ).scalar_one()
        tpl = ReplyTemplate(kind="rechazo", title=title, body=body, active=True, position=int(position) + 1)
        session.add(tpl)
        await session.flush()
        audit.record(session, actor_id, "template_add", f"template:{tpl.id}", None, f"{title} | {body}")
        return tpl
    tpl = await session.get(ReplyTemplate, template_id)
    if tpl is None or not tpl.active:
        raise Refused("gone")
    before = f"{tpl.title} | {tpl.body}"
    tpl.title, tpl.body, tpl.updated_at = title, body, utcnow()
    await session.flush()
    audit.record(session, actor_id, "template_edit", f"template:{tpl.id}", before, f"{title} | {body}")
    return tpl


async def delete_template(session: AsyncSession, actor_id: int, template_id: int) -> bool:
    tpl = await session.get(ReplyTemplate, template_id)
    if tpl is None or not tpl.active:
        return False
    tpl.active = False
    await session.flush()
    audit.record(
        session, actor_id, "template_delete", f"template:{tpl.id}", f"{tpl.title} | {tpl.body}", None
    )
    return True


# --- the queue ----------------------------------------------------------------------------------


@dataclass
class QueueItem:
    ini: Initiative
    similar: int


async def queue(
    session: AsyncSession,
    district: str | None = None,
    theme: str | None = None,
    page: int = 0,
    per_page: int = 5,
) -> tuple[list[QueueItem], int]:
    """Pending initiatives, oldest first, with how many similar ones exist."""
    cond = [Initiative.status.in_(PENDING)]  # hidden ones too: they still wait for a decision
    if district:
        cond.append(Initiative.district == district)
    if theme:
        cond.append(Initiative.theme == theme)
    total = int(
        (await session.execute(select(func.count()).select_from(Initiative).where(*cond))).scalar_one()
    )
    rows = (
        await session.execute(
            select(Initiative)
            .where(*cond)
            .order_by(Initiative.created_at, Initiative.id)
            .offset(page * per_page)
            .limit(per_page)
        )
    ).scalars()
    page_rows = list(rows)
    if not page_rows:
        return [], total
    candidates = await initiatives.similar_candidates(session)
    return [QueueItem(ini, len(_similar_to(candidates, ini))) for ini in page_rows], total


async def queue_facets(
    session: AsyncSession, district: str | None = None, theme: str | None = None
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Pending counts per district (within ``theme``, if set) and per theme (within ``district``)."""
    pending = Initiative.status.in_(PENDING)
    by_district = select(Initiative.district, func.count()).where(pending).group_by(Initiative.district)
    if theme:
        by_district = by_district.where(Initiative.theme == theme)
    by_theme = select(Initiative.theme, func.count()).where(pending).group_by(Initiative.theme)
    if district:
        by_theme = by_theme.where(Initiative.district == district)
    districts = (await session.execute(by_district)).all()
    themes = (await session.execute(by_theme)).all()
    return [(d, int(n)) for d, n in districts], [(t, int(n)) for t, n in themes]


def _similar_to(
    candidates: initiatives.Candidates, ini: Initiative, limit: int = 4
) -> list[initiatives.Similar]:
    draft = initiatives.Draft(
        title=ini.title, description=ini.description, latitude=ini.latitude, longitude=ini.longitude
    )
    found = initiatives.rank_similar(candidates, draft, limit=limit + 1)
    return [s for s in found if s.code != ini.code][:limit]


async def similar_initiatives(
    session: AsyncSession, ini: Initiative, limit: int = 4
) -> list[initiatives.Similar]:
    return _similar_to(await initiatives.similar_candidates(session), ini, limit)


async def similar_projects(session: AsyncSession, ini: Initiative, limit: int = 4) -> list[Project]:
    from peam_bot.services import project_search

    codes: list[str] = []
    for query in (ini.title, truncate(ini.description, 100)):  # the index ranks short queries best
        for hit in await project_search.search(session, query, limit=limit):
            if hit.code not in codes:
                codes.append(hit.code)
    return await portfolio.get_projects(session, codes[:limit])


# --- what the staff and the resident read ---------------------------------------------------------


_MESSAGES = (
    select(InitiativeMessage)
    .where(InitiativeMessage.initiative_id == bindparam("initiative"))
    .order_by(InitiativeMessage.id)
)


async def staff_card(
    session: AsyncSession, ini: Initiative, heading: str | None = None, new: bool = False
) -> str:
    """The staff message of an initiative: its summary and where it stands (who, when). `new`: just
    submitted (and flushed), so there is nothing pending to write and no message exchanged yet."""
    _ = lambda s: gettext(s, STAFF_LOCALE)  # noqa: E731
    if not new:
        await session.flush()
    parts = [heading] if heading else []
    parts.append(await staff_summary(session, ini))
    parts.append("")
    parts.append(_("Apoyos: {n}").format(n=ini.supports))
    if ini.assigned_mesa:
        parts.append(
            _("Mesa temática: {mesa}").format(
                mesa=esc(await reference.theme_name(session, ini.assigned_mesa))
            )
        )
    msgs = [] if new else (await session.execute(_MESSAGES, {"initiative": ini.id})).scalars()
    for m in list(msgs)[-4:]:
        label = _("❓ Pregunta") if m.direction == "question" else _("💬 Respuesta")
        parts.append(f"{label}: <i>{esc(truncate(m.text, 400))}</i>")
    parts.append(await state_line(session, ini))
    author = await _author(session, ini)
    if author is not None and author.blocked_at is not None:
        parts.append(
            _("⛔ La persona autora está bloqueada: {reason}").format(reason=esc(author.blocked_reason or ""))
        )
    return truncate_html_safe("\n".join(parts))


def truncate_html_safe(text: str, limit: int = 4000) -> str:
    # the summary is built from escaped parts; cutting is done on whole lines to keep tags balanced
    if len(text) <= limit:
        return text
    lines, total, kept = text.split("\n"), 0, []
    for line in lines:
        if total + len(line) + 1 > limit - 2:
            break
        kept.append(line)
        total += len(line) + 1
    return "\n".join(kept) + "\n…"


async def state_line(session: AsyncSession, ini: Initiative) -> str:
    _ = lambda s: gettext(s, STAFF_LOCALE)  # noqa: E731
    lines = []
    if ini.status == "recibida":
        lines.append(_("⏳ Recibida, sin revisar"))
    elif ini.status in PENDING:
        who = esc(await staff.display_name(session, ini.reviewer_id))
        lines.append(
            _("{label} · {who} · {when}").format(
                label=_(ACTION_LABELS[ini.status]), who=who, when=fmt_datetime(ini.updated_at, STAFF_LOCALE)
            )
        )
    else:
        who = esc(await staff.display_name(session, ini.decided_by))
        target = ""
        note = (
            await session.execute(
                select(InitiativeEvent.note)
                .where(InitiativeEvent.initiative_id == ini.id, InitiativeEvent.status == ini.status)
                .order_by(InitiativeEvent.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if note:
            target = " → " + esc(truncate(note, 200))
        lines.append(
            _("{label}{target} · por {who} · {when}").format(
                label=_(ACTION_LABELS.get(ini.status, ini.status)),
                target=target,
                who=who,
                when=fmt_datetime(ini.decided_at or ini.updated_at, STAFF_LOCALE),
            )
        )
    if ini.hidden:
        lines.append(_("🙈 Oculta al público"))
    return "\n".join(lines)


def triage_markup(ini: Initiative, author_blocked: bool = False) -> dict[str, Any] | None:
    """The buttons for the actions possible from the current state (as Bot API JSON)."""
    _ = lambda s: gettext(s, STAFF_LOCALE)  # noqa: E731

    def b(text: str, action: str, arg: str = "") -> dict[str, str]:
        return {"text": _(text), "callback_data": callback(action, ini.id, arg)}

    rows: list[list[dict[str, str]]] = []
    if ini.status in ("recibida", "en_revision"):
        rows += [
            [b(N_("✅ Aceptar / Vincular"), "acc"), b(N_("❓ Pedir información"), "inf")],
            [b(N_("✖️ Rechazar"), "rej"), b(N_("♊ Duplicada"), "dup")],
            [b(N_("👤 Asignar"), "asg")],
        ]
    elif ini.status == "necesita_informacion":  # no need to wait for the answer to decide
        rows += [
            [b(N_("✅ Aceptar / Vincular"), "acc"), b(N_("✖️ Rechazar"), "rej")],
            [b(N_("♊ Duplicada"), "dup"), b(N_("👤 Asignar"), "asg")],
        ]
    rows.append(
        [
            b(N_("👁 Volver a mostrar"), "unh") if ini.hidden else b(N_("🙈 Ocultar"), "hid"),
            b(N_("🔓 Desbloquear al autor"), "unb")
            if author_blocked
            else b(N_("⛔ Bloquear al autor"), "blk"),
        ]
    )
    return {"inline_keyboard": rows}


async def author_blocked(session: AsyncSession, ini: Initiative) -> bool:
    author = await _author(session, ini)
    return author is not None and author.blocked_at is not None


async def markup_for(session: AsyncSession, ini: Initiative) -> dict[str, Any] | None:
    return triage_markup(ini, await author_blocked(session, ini))


ANSWER_HEADING = N_("💬 <b>Respuesta de la persona autora</b>")


async def refresh_announcement(
    session: AsyncSession, ini: Initiative, except_message: tuple[int, int] | None = None
) -> None:
    """Bring the staff chat's messages about the initiative (the announcement, and the message of
    each answer from the author) up to date through the outbox: edited in place once sent,
    rewritten while still queued. ``except_message`` is the one the caller edits itself."""
    rows = (
        await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.ref == f"announce:{ini.code}", OutboxMessage.kind == "text")
            .order_by(OutboxMessage.id)
        )
    ).scalars()
    markup = await markup_for(session, ini)
    cards: dict[bool, str] = {}
    for row in rows:
        answer = row.payload.get("text", "").startswith("💬")
        if answer not in cards:
            heading = gettext(ANSWER_HEADING, STAFF_LOCALE) if answer else None
            cards[answer] = await staff_card(session, ini, heading=heading)
        text = cards[answer]
        if row.status == "pending":
            row.payload = {"text": text, "reply_markup": markup}
        elif row.telegram_message_id is not None and except_message != (row.chat_id, row.telegram_message_id):
            outbox.enqueue(
                session,
                row.chat_id,
                "edit",
                {"message_id": row.telegram_message_id, "text": text, "reply_markup": markup},
            )


REVIEW_NOTICE_DELAY = timedelta(minutes=10)


def _notify_review(session: AsyncSession, author: User | None, ini: Initiative) -> None:
    """ "In review" is told after a delay and withdrawn if a decision comes first: a one-tap decision
    reaches the resident as one message, not two."""
    if author is None:
        return
    text = gettext(
        "👀 Su iniciativa <b>{code}</b> «{title}» está en revisión por el equipo de AQPlan. Le avisaré "
        "del resultado.",
        author.locale,
    ).format(code=esc(ini.code), title=esc(truncate(ini.title, 80)))
    row = outbox.enqueue_text(session, author.id, text, ref=f"review:{ini.code}")
    row.next_attempt_at = utcnow() + REVIEW_NOTICE_DELAY


async def _withdraw_review_notice(session: AsyncSession, ini: Initiative) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref == f"review:{ini.code}", OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="superseded by a decision")
    )


async def _notify_decision(
    session: AsyncSession,
    ini: Initiative,
    status: str,
    *,
    project: Project | None = None,
    original: Initiative | None = None,
    reason: str | None = None,
    extra_users: Sequence[int] = (),
) -> None:
    """The author (and the residents who supported it) hear what happened, each in their language."""
    await session.flush()
    await _withdraw_review_notice(session, ini)
    supporters = await _supporters(session, ini.id)
    recipients = [ini.author_id, *[u for u in [*supporters, *extra_users] if u != ini.author_id]]
    seen: set[int] = set()
    for uid in recipients:
        if uid in seen:
            continue
        seen.add(uid)
        user = await session.get(User, uid)
        if user is None:
            continue
        is_author = uid == ini.author_id
        _ = lambda s, loc=user.locale: gettext(s, loc)  # noqa: E731
        title = esc(truncate(ini.title, 80))
        code = esc(ini.code)
        if status == "aceptada" and project is not None:
            text = (
                _(
                    "✅ ¡Buenas noticias! Su iniciativa <b>{code}</b> «{title}» fue aceptada y ahora es el proyecto "
                    "<b>{project}</b> de la Cartera Abierta de Proyectos."
                )
                if is_author
                else _(
                    "✅ La iniciativa <b>{code}</b> «{title}», que usted apoya, fue aceptada como el proyecto "
                    "<b>{project}</b>."
                )
            ).format(code=code, title=title, project=esc(project.code))
            text += "\n" + _("Ya lo sigue: le avisaré de cada novedad. Véalo con /estado {project}").format(
                project=esc(project.code)
            )
        elif status == "vinculada" and project is not None:
            text = (
                _(
                    "🔗 Su iniciativa <b>{code}</b> «{title}» se sumó al proyecto <b>{project}</b> · {name}, que ya "
                    "está en la Cartera Abierta de Proyectos."
                )
                if is_author
                else _(
                    "🔗 La iniciativa <b>{code}</b> «{title}», que usted apoya, se sumó al proyecto "
                    "<b>{project}</b> · {name}."
                )
            ).format(code=code, title=title, project=esc(project.code), name=esc(truncate(project.name, 80)))
            text += "\n" + _("Ya lo sigue: le avisaré de cada novedad. Véalo con /estado {project}").format(
                project=esc(project.code)
            )
        elif status == "rechazada":
            text = (
                _(
                    "Gracias por su iniciativa <b>{code}</b> «{title}». Después de revisarla, el equipo de AQPlan "
                    "no pudo admitirla.\nMotivo: {reason}\nPuede enviar otra cuando quiera con /proponer."
                )
                if is_author
                else _(
                    "La iniciativa <b>{code}</b> «{title}», que usted apoya, no fue admitida.\nMotivo: {reason}"
                )
            ).format(code=code, title=title, reason=esc(reason or ""))
        elif status == "duplicada" and original is not None:
            text = (
                _(
                    "Su iniciativa <b>{code}</b> «{title}» coincide con <b>{original}</b> «{otitle}», que ya estaba "
                    "registrada. Sumamos su apoyo a esa iniciativa; puede seguirla con /estado {original}"
                )
                if is_author
                else _(
                    "La iniciativa <b>{code}</b> «{title}» coincide con <b>{original}</b> «{otitle}». Su apoyo "
                    "pasó a esa iniciativa; puede seguirla con /estado {original}"
                )
            ).format(
                code=code, title=title, original=esc(original.code), otitle=esc(truncate(original.title, 80))
            )
        else:
            continue
        outbox.enqueue_text(session, uid, text)


AUDIT_LABELS = {
    "review": N_("tomó la iniciativa para revisarla"),
    "take_over": N_("tomó la revisión que tenía otra persona"),
    "assign": N_("asignó la revisión"),
    "assign_mesa": N_("asignó a una mesa temática"),
    "necesita_informacion": N_("pidió información a la persona autora"),
    "answer": N_("respondió"),  # the line already names the author as who
    "aceptada": N_("aceptó"),
    "vinculada": N_("vinculó a un proyecto"),
    "rechazada": N_("rechazó"),
    "duplicada": N_("marcó como duplicada"),
    "hide": N_("ocultó al público"),
    "unhide": N_("volvió a mostrar"),
    "block": N_("bloqueó a la persona autora"),
    "unblock": N_("desbloqueó a la persona autora"),
    "project_update": N_("publicó una novedad del proyecto"),
    "portfolio_import": N_("importó la cartera"),
}


async def _audit_value(session: AsyncSession, action: str, value: str | None) -> str:
    if not value:
        return "—"
    if action in ("assign", "take_over") and value.isdigit():
        return await staff.display_name(session, int(value))
    if action == "assign_mesa":
        return await reference.theme_name(session, value)
    if value in initiatives.STATUS_LABELS:
        return status_label(value, STAFF_LOCALE)
    return value


async def audit_line(session: AsyncSession, entry: Any) -> str:
    """One audit entry in words: when · who · what (before → after) — reason."""
    who = (
        await staff.display_name(session, entry.actor_id)
        if entry.actor_id
        else gettext("la persona autora", STAFF_LOCALE)
    )
    label = AUDIT_LABELS.get(entry.action)
    what = gettext(label, STAFF_LOCALE) if label else entry.action
    line = f"• {fmt_datetime(entry.created_at, STAFF_LOCALE)} · {esc(who)} · {esc(what)}"
    if entry.before or entry.after:
        before = await _audit_value(session, entry.action, entry.before)
        after = await _audit_value(session, entry.action, entry.after)
        line += f" ({esc(before)} → {esc(after)})"
    if entry.reason:
        line += f" — {esc(truncate(entry.reason, 200))}"
    return line


async def history_lines(session: AsyncSession, ini: Initiative, locale: str = STAFF_LOCALE) -> list[str]:
    """The full dated history with who did each step (for staff)."""
    await session.flush()
    events = (
        await session.execute(
            select(InitiativeEvent)
            .where(InitiativeEvent.initiative_id == ini.id)
            .order_by(InitiativeEvent.id)
        )
    ).scalars()
    lines = []
    for ev in events:
        who = (
            await staff.display_name(session, ev.actor_id)
            if ev.actor_id
            else gettext("la persona autora", locale)
        )
        line = (
            f"• {fmt_datetime(ev.created_at, locale)} · {esc(status_label(ev.status, locale))} · {esc(who)}"
        )
        if ev.note:
            line += f" — {esc(truncate(ev.note, 200))}"
        lines.append(line)
    return lines
