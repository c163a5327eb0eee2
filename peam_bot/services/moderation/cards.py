"""The staff card of an initiative: its summary, where it stands (who, when), and its buttons (as
plain data, see :mod:`.buttons`).

Staff screens are in Spanish for everyone (:data:`STAFF_LOCALE`): the staff group shares one card.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext, ngettext
from peam_bot.services import mesas, reference, staff
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.moderation.buttons import Action, Button
from peam_bot.services.moderation.states import PENDING
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, InitiativeEvent, InitiativeMessage, User

STAFF_LOCALE = "es"

ACTION_LABELS = {
    "en_revision": N_("👀 En revisión"),
    "necesita_informacion": N_("❓ Se pidió información"),
    "aceptada": N_("✅ Aceptada"),
    "vinculada": N_("🔗 Vinculada"),
    "rechazada": N_("✖️ Rechazada"),
    "duplicada": N_("♊ Duplicada"),
}

ANSWER_HEADING = N_("💬 <b>Respuesta de la persona autora</b>")


async def staff_summary(session: AsyncSession, ini: Initiative) -> str:
    """The announcement of a new initiative in the AQPlan staff chat (no personal data)."""
    _ = lambda s: gettext(s, STAFF_LOCALE)  # noqa: E731
    lines = [
        (
            _("🆕 <b>Nueva iniciativa {code}</b>")
            if ini.status == "recibida"
            else _("📄 <b>Iniciativa {code}</b>")
        ).format(code=esc(ini.code)),
        f"<b>{esc(ini.title)}</b>",
        esc(truncate(ini.description, 2500)),
        "",
        _("Distrito: {district}").format(district=esc(await reference.district_name(session, ini.district))),
        _("Tema: {theme}").format(theme=esc(await reference.theme_name(session, ini.theme))),
    ]
    if ini.org_name:
        lines.append(
            _("En nombre de: {name} — organización {kind}").format(
                name=esc(ini.org_name), kind=esc(reference.org_type_label(ini.org_type, STAFF_LOCALE))
            )
        )
    extras = []
    if ini.photos:
        n = len(ini.photos)
        extras.append(ngettext("{n} foto", "{n} fotos", n, STAFF_LOCALE).format(n=n))
    if ini.latitude is not None:
        extras.append(_("con ubicación"))
    if extras:
        line = " · ".join(extras)
        lines.append(line[:1].upper() + line[1:])
    lines.append(_("Recibida: {when}").format(when=fmt_datetime(ini.created_at, STAFF_LOCALE)))
    return "\n".join(lines)


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
            _("Mesa de concertación: {mesa}").format(mesa=esc(await mesas.mesa_name(session, ini.assigned_mesa)))
        )
    msgs = [] if new else (await session.execute(_MESSAGES, {"initiative": ini.id})).scalars()
    for m in list(msgs)[-4:]:
        label = _("❓ Pregunta") if m.direction == "question" else _("💬 Respuesta")
        parts.append(f"{label}: <i>{esc(truncate(m.text, 400))}</i>")
    parts.append(await state_line(session, ini))
    author = await session.get(User, ini.author_id)
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


def triage_buttons(ini: Initiative, author_blocked: bool = False) -> list[list[Button]]:
    """The buttons for the actions possible from the current state."""
    _ = lambda s: gettext(s, STAFF_LOCALE)  # noqa: E731

    def b(text: str, action: Action) -> Button:
        return Button(_(text), action, ini.id)

    rows: list[list[Button]] = []
    if ini.status in ("recibida", "en_revision"):
        rows += [
            [
                b(N_("✅ Aceptar / Vincular"), Action.ACCEPT),
                b(N_("❓ Pedir información"), Action.REQUEST_INFO),
            ],
            [b(N_("✖️ Rechazar"), Action.REJECT), b(N_("♊ Duplicada"), Action.DUPLICATE)],
            [b(N_("👤 Asignar"), Action.ASSIGN)],
        ]
    elif ini.status == "necesita_informacion":  # no need to wait for the answer to decide
        rows += [
            [b(N_("✅ Aceptar / Vincular"), Action.ACCEPT), b(N_("✖️ Rechazar"), Action.REJECT)],
            [b(N_("♊ Duplicada"), Action.DUPLICATE), b(N_("👤 Asignar"), Action.ASSIGN)],
        ]
    rows.append(
        [
            b(N_("👁 Volver a mostrar"), Action.UNHIDE) if ini.hidden else b(N_("🙈 Ocultar"), Action.HIDE),
            b(N_("🔓 Desbloquear al autor"), Action.UNBLOCK)
            if author_blocked
            else b(N_("⛔ Bloquear al autor"), Action.BLOCK),
        ]
    )
    return rows


async def author_blocked(session: AsyncSession, ini: Initiative) -> bool:
    author = await session.get(User, ini.author_id)
    return author is not None and author.blocked_at is not None


async def buttons_for(session: AsyncSession, ini: Initiative) -> list[list[Button]]:
    return triage_buttons(ini, await author_blocked(session, ini))
