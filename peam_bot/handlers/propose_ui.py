"""What the /proponer form shows: each step's question and buttons (also while correcting one field
from the review screen), and the form's recurring texts."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.handlers.ui import Propose, district_keyboard, form_button, form_keyboard, theme_keyboard
from peam_bot.i18n import gettext as _
from peam_bot.i18n import ngettext
from peam_bot.services import reference
from peam_bot.services.initiatives import MAX_PHOTOS, Draft, InvalidInput, Similar
from peam_bot.services.rendering import draft_summary, status_label
from peam_bot.services.text import esc, truncate

FIELD_NAMES: dict[str, Callable[[], str]] = {
    "title": lambda: _("el título"),
    "description": lambda: _("la descripción"),
    "org_name": lambda: _("el nombre de la organización"),
}


def with_keep(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """While correcting one field from the review screen: a button to leave it as it is."""
    rows = list(markup.inline_keyboard)
    rows.insert(len(rows) - 1, [form_button(_("↩️ Dejar como está"), "keep")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def prompt(
    state_name: str | None, draft: Draft, session: AsyncSession, locale: str, editing: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question of one step and its buttons (also used to repeat it after a wrong answer)."""
    if editing and state_name in EDIT_STATES:
        text, markup = await edit_prompt(state_name, draft, session, locale)
        return text, with_keep(markup)
    if state_name == Propose.title.state:
        return _(
            "<b>Paso 1 de 7</b> · Escriba el <b>título</b> de su iniciativa (5 a 120 letras).\n"
            "Ejemplo: «Semáforo en la Av. Ejército con la calle Cayma»."
        ), form_keyboard()
    if state_name == Propose.description.state:
        return _(
            "<b>Paso 2 de 7</b> · Cuente en pocas líneas qué propone, dónde y a quién ayuda "
            "(20 a 2000 letras)."
        ), form_keyboard()
    if state_name == Propose.district.state:
        return _("<b>Paso 3 de 7</b> · ¿En qué <b>distrito</b> sería?"), district_keyboard(
            await reference.districts(session), "fm", current=draft.district
        )
    if state_name == Propose.theme.state:
        return _("<b>Paso 4 de 7</b> · ¿De qué <b>tema</b> es? Elija el más cercano."), theme_keyboard(
            await reference.themes(session)
        )
    if state_name == Propose.photos.state:
        if draft.photos:
            return _("Tiene {n} de {max} fotos. Envíe otra o pulse <b>Continuar</b>.").format(
                n=len(draft.photos), max=MAX_PHOTOS
            ), form_keyboard([(_("Continuar ➡️"), "photos_done")])
        return _(
            "<b>Paso 5 de 7</b> · Si quiere, envíe hasta {max} <b>fotos</b> del lugar o del problema.\n"
            "Si no tiene, pulse <b>Omitir</b>."
        ).format(max=MAX_PHOTOS), form_keyboard([(_("Omitir"), "skip")])
    if state_name == Propose.location.state:
        return _(
            "<b>Paso 6 de 7</b> · Si quiere, comparta la <b>ubicación</b>: toque 📎 y luego «Ubicación».\n"
            "Si no, pulse <b>Omitir</b>."
        ), form_keyboard([(_("Omitir"), "skip")])
    if state_name == Propose.org.state:
        return _(
            "<b>Paso 7 de 7</b> · ¿Envía esta iniciativa en nombre de una <b>organización</b>?\n"
            "Territorial: junta vecinal, asociación de vivienda. Funcional: comedor, club de madres, gremio."
        ), org_keyboard()
    if state_name == Propose.org_name.state:
        if editing and draft.org_name:  # correcting the organisation: its name may stay
            return _(
                "Escriba el <b>nombre de la organización</b> (3 a 120 letras). Ahora dice:\n«{current}»"
            ).format(current=esc(draft.org_name)), form_keyboard([(_("↩️ Mantener ese nombre"), "keep_name")])
        return _("Escriba el <b>nombre de la organización</b> (3 a 120 letras)."), form_keyboard()
    if state_name == Propose.review.state:
        return await draft_summary(session, draft, locale), review_keyboard()
    if state_name == Propose.similar.state:
        return _("¿Envía su iniciativa de todos modos?"), similar_keyboard()
    return _("¿Qué desea hacer?"), None


def org_keyboard() -> InlineKeyboardMarkup:
    return form_keyboard(
        [(_("Organización territorial"), "org_territorial")],
        [(_("Organización funcional"), "org_funcional")],
        [(_("No, a título personal"), "skip")],
    )


EDIT_STATES = {
    Propose.title.state,
    Propose.description.state,
    Propose.district.state,
    Propose.theme.state,
    Propose.photos.state,
    Propose.location.state,
    Propose.org.state,
}


async def edit_prompt(
    state_name: str, draft: Draft, session: AsyncSession, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Correcting one field from the review screen: show what it says now."""
    if state_name == Propose.title.state:
        return _("Escriba el nuevo <b>título</b> (5 a 120 letras). Ahora dice:\n«{current}»").format(
            current=esc(draft.title or "")
        ), form_keyboard()
    if state_name == Propose.description.state:
        return _("Escriba la nueva <b>descripción</b> (20 a 2000 letras). Ahora dice:\n«{current}»").format(
            current=esc(truncate(draft.description or "", 600))
        ), form_keyboard()
    if state_name == Propose.district.state:
        return _("Elija el <b>distrito</b>."), district_keyboard(
            await reference.districts(session), "fm", current=draft.district, editing=True
        )
    if state_name == Propose.theme.state:
        return _("Elija el <b>tema</b>."), theme_keyboard(await reference.themes(session))
    if state_name == Propose.photos.state:
        n = len(draft.photos)
        if n:
            prompt = ngettext(
                "Envíe las fotos nuevas (hasta {max}); reemplazarán a la que tiene ahora.",
                "Envíe las fotos nuevas (hasta {max}); reemplazarán a las {n} que tiene ahora.",
                n,
            )
        else:
            prompt = _("Envíe hasta {max} fotos.")
        return prompt.format(max=MAX_PHOTOS, n=n), form_keyboard([(_("Quitar las fotos"), "skip")])
    if state_name == Propose.location.state:
        return _("Comparta la nueva <b>ubicación</b> desde 📎, o quítela."), form_keyboard(
            [(_("Quitar la ubicación"), "skip")]
        )
    return _("¿Envía esta iniciativa en nombre de una <b>organización</b>?"), org_keyboard()


def review_keyboard() -> InlineKeyboardMarkup:
    return form_keyboard(
        [(_("✅ Enviar"), "send")],
        [(_("✏️ Título"), "edit_title"), (_("✏️ Descripción"), "edit_description")],
        [(_("📍 Distrito"), "edit_district"), (_("🏷 Tema"), "edit_theme")],
        [(_("📷 Fotos"), "edit_photos"), (_("🗺 Ubicación"), "edit_location")],
        [(_("👥 Organización"), "edit_org")],
    )


def similar_keyboard() -> InlineKeyboardMarkup:
    return form_keyboard(
        [(_("Enviar de todos modos"), "send_anyway")],
        [(_("Volver a revisar"), "back_review")],
        [(_("No enviar"), "stop")],
        cancel=False,
    )


def similar_list(similar: list[Similar], locale: str) -> str:
    """The initiatives that look like the one about to be sent (shown above the similar question)."""
    lines = [_("Encontré iniciativas parecidas a la suya:")]
    for s in similar:
        lines.append(
            f"• <b>{esc(s.code)}</b> · {esc(truncate(s.title, 70))} ({esc(status_label(s.status, locale))})"
        )
    return "\n".join(lines)


def cancel_keyboard() -> InlineKeyboardMarkup:
    """Asked after a tap on Cancelar, before the draft is thrown away."""
    return form_keyboard([(_("Sí, cancelar"), "cancel_yes"), (_("No, seguir"), "cancel_no")], cancel=False)


def invalid_text(field: str, exc: InvalidInput, given: str) -> str:
    name = FIELD_NAMES[field]()
    lo, hi = exc.params.get("min", 0), exc.params.get("max", 0)
    if exc.reason == "too_short":
        return _(
            "Es muy poco texto para {field}: tiene {n} letras y se necesitan al menos {min}. Escriba un poco más."
        ).format(field=name, n=len(given.strip()), min=lo)
    if exc.reason == "too_long":
        return _(
            "Es demasiado texto para {field}: tiene {n} letras y el máximo es {max}. Acórtelo, por favor."
        ).format(field=name, n=len(given.strip()), max=hi)
    return _(
        "Para {field} necesito palabras, no solo emojis, números o signos ({min} a {max} letras)."
    ).format(field=name, min=lo, max=hi)


def blocked_text() -> str:
    return _("Por decisión del equipo de AQPlan no puede enviar nuevas iniciativas por este medio.")


def no_organisation_line() -> str:
    return _("Organización: ninguna, la envía usted ✅")
