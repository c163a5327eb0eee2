"""Default reference data (editable by admins afterwards). Slugs are stable identifiers."""

from __future__ import annotations

from peam_bot.i18n import N_

METROPOLITAN_DISTRICTS: list[tuple[str, str]] = [
    ("alto-selva-alegre", "Alto Selva Alegre"),
    ("arequipa", "Arequipa (Cercado)"),
    ("cayma", "Cayma"),
    ("cerro-colorado", "Cerro Colorado"),
    ("characato", "Characato"),
    ("jacobo-hunter", "Jacobo Hunter"),
    ("jlbyr", "José Luis Bustamante y Rivero"),
    ("mariano-melgar", "Mariano Melgar"),
    ("miraflores", "Miraflores"),
    ("mollebaya", "Mollebaya"),
    ("paucarpata", "Paucarpata"),
    ("sabandia", "Sabandía"),
    ("sachaca", "Sachaca"),
    ("socabaya", "Socabaya"),
    ("tiabaya", "Tiabaya"),
    ("uchumayo", "Uchumayo"),
    ("yanahuara", "Yanahuara"),
    ("yarabamba", "Yarabamba"),
    ("yura", "Yura"),
]

OTHER_DISTRICTS: list[tuple[str, str]] = [
    ("chiguata", "Chiguata"),
    ("la-joya", "La Joya"),
    ("pocsi", "Pocsi"),
    ("polobaya", "Polobaya"),
    ("quequena", "Quequeña"),
    ("san-juan-de-siguas", "San Juan de Siguas"),
    ("san-juan-de-tarucani", "San Juan de Tarucani"),
    ("santa-isabel-de-siguas", "Santa Isabel de Siguas"),
    ("santa-rita-de-siguas", "Santa Rita de Siguas"),
    ("vitor", "Vítor"),
]

THEMES: list[tuple[str, str]] = [
    ("urbano", N_("Desarrollo urbano y territorial")),
    ("movilidad", N_("Movilidad y transporte")),
    ("ambiente", N_("Medio ambiente y gestión de riesgos")),
    ("economia", N_("Desarrollo económico y turismo")),
    ("social", N_("Desarrollo social y humano")),
    ("cultura", N_("Cultura y patrimonio")),
    ("gobernabilidad", N_("Gobernabilidad e institucionalidad")),
]


def district_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, (slug, name) in enumerate(METROPOLITAN_DISTRICTS):
        rows.append({"slug": slug, "name": name, "metropolitan": True, "position": i})
    for i, (slug, name) in enumerate(OTHER_DISTRICTS, start=len(METROPOLITAN_DISTRICTS)):
        rows.append({"slug": slug, "name": name, "metropolitan": False, "position": i})
    return rows


def theme_rows() -> list[dict[str, object]]:
    return [{"slug": slug, "name": name, "position": i} for i, (slug, name) in enumerate(THEMES)]


# The standing Mesas de Concertación Ciudadana, one per strategic axis (seed §3.4): editable later.
MESA_DESCRIPTION = (
    "Espacio de socialización, discusión y debate del PEAM: aporta información para su actualización y "
    "enriquecimiento. Puede convertirse en Comité de Gestión Temático."
)


def mesa_rows(now: object) -> list[dict[str, object]]:
    return [
        {"code": f"MESA-{slug[:3].upper()}", "name": f"Mesa de {name}", "axis": slug,
         "description": MESA_DESCRIPTION, "created_at": now}
        for slug, name in THEMES
    ]  # fmt: skip
