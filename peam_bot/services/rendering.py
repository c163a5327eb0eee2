"""Texts that services send proactively (through the outbox) and that handlers reuse.

Everything a resident reads comes from the gettext catalogs; every user-supplied value is escaped.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.services import portfolio, reference
from peam_bot.services.formatting import fmt_date, fmt_money
from peam_bot.services.initiatives import STATUS_LABELS, Draft
from peam_bot.services.reference import org_type_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, Project

STAFF_LOCALE = "es"


def status_label(status: str, locale: str) -> str:
    label = STATUS_LABELS.get(status)
    return gettext(label, locale) if label is not None else status


async def draft_summary(session: AsyncSession, draft: Draft, locale: str) -> str:
    _ = lambda s: gettext(s, locale)  # noqa: E731
    lines = [
        _("<b>Revise su iniciativa</b>"),
        "",
        _("<b>Título:</b> {title}").format(title=esc(draft.title or "—")),
        _("<b>Descripción:</b> {description}").format(
            description=esc(truncate(draft.description or "—", 1500))
        ),
        _("<b>Distrito:</b> {district}").format(
            district=esc(await reference.district_name(session, draft.district))
        ),
        _("<b>Tema:</b> {theme}").format(theme=esc(_(await reference.theme_name(session, draft.theme)))),
        _("<b>Fotos:</b> {n}").format(n=len(draft.photos) or _("ninguna")),
        _("<b>Ubicación:</b> {where}").format(
            where=_("compartida") if draft.latitude is not None else _("ninguna")
        ),
    ]
    if draft.org_name:
        lines.append(
            _("<b>Organización:</b> {name} — {kind}").format(
                name=esc(draft.org_name), kind=esc(org_type_label(draft.org_type, locale))
            )
        )
    else:
        lines.append(_("<b>Organización:</b> ninguna, la envía usted"))
    lines += ["", _("Si todo está bien, pulse <b>Enviar</b>. Puede corregir cualquier dato antes.")]
    return "\n".join(lines)


async def public_status(session: AsyncSession, ini: Initiative, locale: str) -> str:
    """What anyone may see of an initiative: no personal data of its author."""
    _ = lambda s: gettext(s, locale)  # noqa: E731
    lines = [
        f"<b>{esc(ini.code)}</b> · {esc(ini.title)}",
        _("Estado: <b>{status}</b>").format(status=esc(status_label(ini.status, locale))),
        _("Distrito: {district} · Tema: {theme}").format(
            district=esc(await reference.district_name(session, ini.district)),
            theme=esc(_(await reference.theme_name(session, ini.theme))),
        ),
        _("👍 Apoyos de vecinos: {n}").format(n=ini.supports),
        "",
        _("<b>Historial</b>"),
    ]
    for ev in ini.events[-10:]:
        line = f"• {fmt_date(ev.created_at, locale)}: {esc(status_label(ev.status, locale))}"
        if ev.note:
            line += f" — {esc(truncate(ev.note, 300))}"
        lines.append(line)
    return "\n".join(lines)


async def project_card(session: AsyncSession, project: Project, locale: str, followers: int) -> str:
    """A project's public card: phase, progress, money, funding, districts, last news."""
    _ = lambda s: gettext(s, locale)  # noqa: E731
    names = [await reference.district_name(session, d) for d in project.district_slugs]
    lines = [
        f"🏗 <b>{esc(project.name)}</b>",
        _("Código: {code} · Tema: {theme}").format(
            code=esc(project.code), theme=esc(_(await reference.theme_name(session, project.axis)))
        ),
        _("Fase: <b>{phase}</b>").format(phase=esc(portfolio.phase_label(project.phase, locale))),
        _("Avance: {bar}").format(bar=portfolio.progress_bar(project.progress)),
    ]
    if project.approved_budget is not None:
        lines.append(
            _("Presupuesto aprobado: {amount}").format(amount=fmt_money(project.approved_budget, locale))
        )
    if project.estimated_cost is not None:
        lines.append(_("Costo estimado: {amount}").format(amount=fmt_money(project.estimated_cost, locale)))
    if project.funding:
        sources = []
        for f in project.funding:
            label = _(portfolio.FUNDING_LABELS.get(f.source, f.source))
            sources.append(f"{label} {f.year}" if f.year else label)
        lines.append(_("Financiamiento: {sources}").format(sources=esc(", ".join(sources))))
    lines.append(_("Distritos: {districts}").format(districts=esc(", ".join(names) or "—")))
    if project.responsible:
        lines.append(_("Responsable: {who}").format(who=esc(project.responsible)))
    if project.updates:
        last = project.updates[-1]
        lines += [
            "",
            _("<b>Última novedad</b> ({date}):").format(date=fmt_date(last.created_at, locale)),
            esc(truncate(last.text, 600)),
        ]
    lines += ["", _("👥 Vecinos que siguen este proyecto: {n}").format(n=followers)]
    return "\n".join(lines)


def project_line(project: Project, locale: str) -> str:
    return (
        f"<b>{esc(project.code)}</b> · {esc(truncate(project.name, 70))} — "
        + esc(portfolio.phase_label(project.phase, locale))
        + f" ({project.progress} %)"
    )
