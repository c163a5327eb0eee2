"""What people outside the staff chat hear about an initiative, queued in the outbox: its author
and supporters (each in their language) after every step they can see, and a moderator it is
assigned to (in Spanish, like every staff text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.outbox import queue as outbox
from peam_bot.services.moderation.buttons import Action, Button, markup
from peam_bot.services.moderation.cards import STAFF_LOCALE
from peam_bot.services.moderation.supports import supporters
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, OutboxMessage, Project, User, utcnow

REVIEW_NOTICE_DELAY = timedelta(minutes=10)


def review(session: AsyncSession, author: User | None, ini: Initiative) -> None:
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


async def _withdraw_review(session: AsyncSession, ini: Initiative) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ref == f"review:{ini.code}", OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="superseded by a decision")
    )


async def decision(
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
    await _withdraw_review(session, ini)
    supporting = await supporters(session, ini.id)
    recipients = [ini.author_id, *[u for u in [*supporting, *extra_users] if u != ini.author_id]]
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


def question(session: AsyncSession, author: User, ini: Initiative, asked: str) -> None:
    """The moderators' question, with a button to answer it."""
    _ = lambda s: gettext(s, author.locale)  # noqa: E731
    text = _(
        "❓ El equipo de AQPlan necesita un dato más sobre su iniciativa <b>{code}</b> «{title}»:\n\n"
        "<i>{question}</i>\n\nPulse <b>Responder</b> y escríbanos su respuesta."
    ).format(code=esc(ini.code), title=esc(truncate(ini.title, 80)), question=esc(asked))
    answer = markup([[Button(_("✍️ Responder"), Action.ANSWER, ini.id)]])
    outbox.enqueue_text(session, author.id, text, reply_markup=answer)


def assigned(session: AsyncSession, moderator_id: int, ini: Initiative) -> None:
    outbox.enqueue_text(
        session,
        moderator_id,
        gettext(
            "📌 Le asignaron la iniciativa <b>{code}</b> «{title}». Ábrala con /iniciativa {code}",
            STAFF_LOCALE,
        ).format(code=esc(ini.code), title=esc(truncate(ini.title, 80))),
    )


def hidden(session: AsyncSession, author: User, ini: Initiative) -> None:
    text = gettext(
        "Su iniciativa <b>{code}</b> fue retirada de la vista pública porque no respeta las normas de "
        "participación. Sigue guardada; si cree que es un error, escriba a la oficina AQPlan.",
        author.locale,
    ).format(code=esc(ini.code))
    outbox.enqueue_text(session, author.id, text)


def shown_again(session: AsyncSession, author: User, ini: Initiative) -> None:
    text = gettext("Su iniciativa <b>{code}</b> vuelve a ser pública.", author.locale).format(
        code=esc(ini.code)
    )
    outbox.enqueue_text(session, author.id, text)


def blocked(session: AsyncSession, user: User, reason: str) -> None:
    text = gettext(
        "Por decisión del equipo de AQPlan ya no puede enviar nuevas iniciativas por este medio.\n"
        "Motivo: {reason}\nPuede seguir consultando proyectos e iniciativas.",
        user.locale,
    ).format(reason=esc(reason))
    outbox.enqueue_text(session, user.id, text)


def unblocked(session: AsyncSession, user: User) -> None:
    outbox.enqueue_text(
        session, user.id, gettext("Ya puede volver a enviar iniciativas con /proponer.", user.locale)
    )
