"""The Cartera de Proyectos as a spreadsheet: import (CSV or XLSX) and export, by AQPlan staff.

A header row, then one project per row. Columns (any order on import; names are case- and
accent-insensitive, and a note in parentheses after a name is ignored, e.g. "distritos (separados por |)"):

=====================  =====================================================================================
codigo                 P- and at least 3 digits (P-012). The key: a row whose code exists updates that project.
nombre                 required, up to 200 characters
descripcion            free text, may be empty
eje                    strategic axis: slug (``movilidad``) or name (``Movilidad y transporte``)
distritos              one or more districts separated by ``|``: slug or name (``cayma|José Luis Bustamante y Rivero``)
latitud, longitud      decimal degrees (``-16.398803``), both or neither, inside the province of Arequipa
fase                   idea, perfil, expediente_tecnico, en_financiamiento, en_ejecucion, concluido, suspendido
                       (or their names: "En ejecución")
prioridad              alta, media, baja
costo_estimado,        soles, may be empty: ``1234.50``, ``1 234,50``, ``S/ 1,234.50``. A single separator
presupuesto_aprobado   followed by exactly three digits is a thousands separator (``1,234`` and ``1.234`` are 1234).
fuentes                funding sources separated by ``|``; the Plan de Inversiones Anual always with its year:
                       ``plan_inversiones:2027|presupuesto_participativo``. Sources: plan_inversiones,
                       presupuesto_participativo, municipal, gobierno_regional, cooperacion_internacional, privado
avance                 physical progress, a whole number from 0 to 100 (``30`` or ``30 %``; empty is 0)
responsable            Comité de Gestión or office in charge, up to 200 characters
=====================  =====================================================================================

Canonical form (what `export_file` writes as CSV, and what `peam_bot/data/cartera_ejemplo.csv` is):
UTF-8 without BOM, ``,`` as delimiter, LF line ends, quotes only where needed, the columns in the order
above; slugs for eje, distritos, fase, prioridad and fuentes; ``|`` separators without spaces; coordinates
with 6 decimals; money with 2 decimals, a dot and no thousands separator; an empty cell for no value;
rows ordered by code. Importing a canonical file and exporting it gives the same bytes.

On import, a CSV may also be UTF-8 with a BOM, or Windows-1252 (what Excel writes as "CSV"), with ``,``
or ``;`` as delimiter. An XLSX is read from its first sheet. Every row is checked and every error is
reported at once (row number as the spreadsheet shows it, column, what is wrong); if there is any, nothing
is imported.

This module is the portfolio's schema (`table`) and its upsert (`import_rows`); reading, checking and
writing files is the shared engine's (`peam_bot.services.spreadsheet`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_
from peam_bot.services import audit, reference
from peam_bot.services.portfolio import (
    CODE_RE,
    FUNDING_LABELS,
    FUNDING_SOURCES,
    NAME_MAX,
    PHASE_LABELS,
    PHASES,
    PRIORITIES,
    PRIORITY_LABELS,
    normalize_code,
)
from peam_bot.services.spreadsheet import engine
from peam_bot.services.spreadsheet import reference as vocabularies
from peam_bot.services.spreadsheet.engine import Counts, ImportReport
from peam_bot.services.spreadsheet.files import cell_text
from peam_bot.services.spreadsheet.schema import (
    SEPARATOR,
    CellError,
    CellType,
    Code,
    Column,
    Degrees,
    ListOf,
    Money,
    OneOf,
    Table,
    Text,
    Vocabulary,
    WholeNumber,
    quantize_money,
    round_degrees,
)
from peam_bot.services.text import normalize
from peam_bot.storage.models import Project, ProjectChange, ProjectDistrict, ProjectFunding, utcnow

COLUMNS: tuple[str, ...] = (
    "codigo",
    "nombre",
    "descripcion",
    "eje",
    "distritos",
    "latitud",
    "longitud",
    "fase",
    "prioridad",
    "costo_estimado",
    "presupuesto_aprobado",
    "fuentes",
    "avance",
    "responsable",
)
RESPONSIBLE_MAX = 200
YEARS = range(2000, 2101)
# the province of Arequipa, with a margin: catches swapped or mistyped coordinates
PROVINCE_BOX = (-17.0, -15.9, -72.3, -71.0)  # south, north, west, east
SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "cartera_ejemplo.csv"

Sources = tuple[tuple[str, int | None], ...]  # (source, year or None), in the order given


@dataclass(frozen=True)
class ProjectRow:
    """One project with every value in its canonical form."""

    code: str
    name: str
    description: str
    axis: str
    districts: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    phase: str
    priority: str
    estimated_cost: Decimal | None
    approved_budget: Decimal | None
    funding: Sources
    progress: int
    responsible: str

    @classmethod
    def of(cls, p: Project) -> ProjectRow:
        return cls(
            code=p.code,
            name=p.name,
            description=p.description,
            axis=p.axis,
            districts=tuple(d.district for d in p.districts),
            latitude=round_degrees(p.latitude),
            longitude=round_degrees(p.longitude),
            phase=p.phase,
            priority=p.priority,
            estimated_cost=quantize_money(p.estimated_cost),
            approved_budget=quantize_money(p.approved_budget),
            funding=tuple((f.source, f.year) for f in p.funding),
            progress=p.progress,
            responsible=p.responsible,
        )


# ---------------------------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class Funding(CellType[Sources]):
    """Funding sources separated by ``|`` (slug or name), each with an optional year
    (``plan_inversiones:2027`` or ``PIA 2027``); the Plan de Inversiones Anual always with its year."""

    sources: Vocabulary

    def parse(self, value: object) -> Sources:
        found: list[tuple[str, int | None]] = []
        for part in (p.strip() for p in cell_text(value).split(SEPARATOR)):
            if not part:
                continue
            m = re.fullmatch(r"(.*?)\s*(?:[:\s]\s*(\d{4}))?", part)
            name, year_text = (m.group(1), m.group(2)) if m else (part, None)
            if ":" in name:  # "plan_inversiones:27" and the like
                raise CellError(
                    N_("el año en «{value}» no es válido: use cuatro cifras, por ejemplo 2027"), value=part
                )
            source = self.sources.get(name)
            if source is None:
                raise CellError(
                    N_("fuente «{value}» desconocida; use una de: {options}"),
                    value=part,
                    options=", ".join(FUNDING_SOURCES),
                )
            year = int(year_text) if year_text else None
            if year is not None and year not in YEARS:
                raise CellError(
                    N_("el año en «{value}» no es válido: use cuatro cifras, por ejemplo 2027"), value=part
                )
            if source == "plan_inversiones" and year is None:
                raise CellError(
                    N_("indique el año del Plan de Inversiones Anual, por ejemplo plan_inversiones:2027")
                )
            if (source, year) in found:
                raise CellError(N_("fuente repetida: «{value}»"), value=part)
            found.append((source, year))
        return tuple(found)

    def text(self, value: Sources) -> str:
        return SEPARATOR.join(s if y is None else f"{s}:{y}" for s, y in value)


def check_point(got: Mapping[str, Any]) -> list[tuple[str, CellError]]:
    """Latitude and longitude: both or neither, and inside the province."""
    if "latitud" not in got or "longitud" not in got:
        return []  # one of them did not read: its own error says why
    lat, lon = got["latitud"], got["longitud"]
    if (lat is None) != (lon is None):
        bad = CellError(N_("indique latitud y longitud, o deje ambas vacías"))
        return [("latitud" if lat is None else "longitud", bad)]
    if lat is not None and lon is not None:
        south, north, west, east = PROVINCE_BOX
        if not (south <= lat <= north and west <= lon <= east):
            bad = CellError(
                N_(
                    "el punto ({lat}, {lon}) está fuera de la provincia de Arequipa; ¿están invertidas la latitud y la longitud?"
                ),
                lat=Degrees().text(lat),
                lon=Degrees().text(lon),
            )
            return [("latitud", bad)]
    return []


INSTRUCTIONS: list[tuple[str, str]] = [
    ("codigo", "P- y al menos 3 cifras (P-012). Si el código ya existe, la fila actualiza ese proyecto."),
    ("nombre", "Obligatorio, hasta 200 caracteres."),
    ("descripcion", "Texto libre; puede quedar vacío."),
    ("eje", "Eje estratégico: {axes} (o su nombre: «Movilidad y transporte»)."),
    (
        "distritos",
        "Uno o más distritos separados por | (nombre o código: cayma|José Luis Bustamante y Rivero).",
    ),
    (
        "latitud, longitud",
        "Grados decimales (-16.398803); ambas o ninguna, dentro de la provincia de Arequipa.",
    ),
    ("fase", ", ".join(PHASES) + " (o su nombre: «En ejecución»)."),
    ("prioridad", ", ".join(PRIORITIES) + "."),
    ("costo_estimado, presupuesto_aprobado", "Soles; puede quedar vacío: 1234.50, 1 234,50 o S/ 1,234.50."),
    (
        "fuentes",
        "Separadas por |; el Plan de Inversiones Anual con su año: plan_inversiones:2027|presupuesto_participativo. "
        "Fuentes: " + ", ".join(FUNDING_SOURCES) + ".",
    ),
    ("avance", "Número entero de 0 a 100."),
    ("responsable", "Comité de Gestión u oficina a cargo, hasta 200 caracteres."),
]


async def table(session: AsyncSession) -> Table[ProjectRow]:
    """The portfolio's schema, with the districts and strategic axes of the database."""
    axes = await vocabularies.axes(session)
    sources = (
        Vocabulary.labelled(FUNDING_LABELS)
        .add("plan_inversiones", "plan de inversiones", "pia")
        .add("presupuesto_participativo", "pp")
    )
    out = Table(
        title="Cartera",
        columns=(
            Column(
                "codigo",
                Code(
                    CODE_RE,
                    normalize_code,
                    N_("el código «{value}» no es válido: use P- y al menos 3 cifras, por ejemplo P-012"),
                ),
                attr="code",
                aliases=("code",),
                width=9,
            ),
            Column(
                "nombre",
                Text(max=NAME_MAX, missing=N_("falta el nombre"), one_line=True),
                attr="name",
                width=48,
            ),
            Column("descripcion", Text(), attr="description", width=60),
            Column("eje", OneOf(axes, N_("falta el eje")), attr="axis", aliases=("eje estrategico",)),
            Column(
                "distritos",
                ListOf(
                    await vocabularies.districts(session),
                    N_("falta al menos un distrito (varios se separan con |)"),
                    N_("distrito desconocido: {names}"),
                ),
                attr="districts",
                aliases=("distrito",),
                width=28,
            ),
            Column("latitud", Degrees(), attr="latitude"),
            Column("longitud", Degrees(), attr="longitude"),
            Column(
                "fase", OneOf(Vocabulary.labelled(PHASE_LABELS), N_("falta la fase"), PHASES), attr="phase"
            ),
            Column(
                "prioridad",
                OneOf(Vocabulary.labelled(PRIORITY_LABELS), N_("falta la prioridad"), PRIORITIES),
                attr="priority",
            ),
            Column("costo_estimado", Money(), attr="estimated_cost"),
            Column("presupuesto_aprobado", Money(), attr="approved_budget"),
            Column(
                "fuentes",
                Funding(sources),
                attr="funding",
                aliases=("fuente", "fuentes financiamiento"),
                width=40,
            ),
            Column(
                "avance",
                WholeNumber(
                    0,
                    100,
                    N_("el avance «{value}» no es válido: escriba un número entero de 0 a 100"),
                    empty=0,
                    percent=True,
                ),
                attr="progress",
            ),
            Column("responsable", Text(max=RESPONSIBLE_MAX, one_line=True), attr="responsible", width=36),
        ),
        record=ProjectRow,
        done=N_(
            "Cartera importada. Proyectos nuevos: {created}; actualizados: {updated}; sin cambios: {unchanged}."
        ),
        check=check_point,
        instructions=[(c, text.replace("{axes}", ", ".join(axes.slugs))) for c, text in INSTRUCTIONS],
    )
    assert out.names == COLUMNS
    return out


# ---------------------------------------------------------------------------------------------- import


async def _search_text(session: AsyncSession, row: ProjectRow) -> str:
    names = [await reference.district_name(session, d) for d in row.districts]
    return "\n".join(normalize(part) for part in (row.code, row.name, row.description, " ".join(names)))


def _apply_scalars(p: Project, row: ProjectRow) -> None:
    p.name, p.description, p.axis = row.name, row.description, row.axis
    p.latitude, p.longitude = row.latitude, row.longitude
    p.phase, p.priority, p.progress, p.responsible = row.phase, row.priority, row.progress, row.responsible
    p.estimated_cost, p.approved_budget = row.estimated_cost, row.approved_budget


def _children(row: ProjectRow) -> tuple[list[ProjectDistrict], list[ProjectFunding]]:
    districts = [ProjectDistrict(district=d, position=i) for i, d in enumerate(row.districts)]
    funding = [ProjectFunding(source=s, year=y, position=i) for i, (s, y) in enumerate(row.funding)]
    return districts, funding


async def import_rows(
    session: AsyncSession, table: Table[ProjectRow], rows: list[ProjectRow], actor_id: int | None
) -> Counts:
    """Upsert valid rows by code (flushes; the caller commits). A row equal to its project (by the
    canonical text of each column) changes nothing; each changed column is a project_changes record."""
    created_n = updated_n = unchanged_n = 0
    existing = {
        p.code: p
        for p in (
            await session.execute(select(Project).where(Project.code.in_([r.code for r in rows])))
        ).scalars()
    }
    created: list[Project] = []
    changes: list[ProjectChange] = []
    for row in rows:
        search = await _search_text(session, row)
        project = existing.get(row.code)
        if project is None:
            project = Project(code=row.code, search_text=search)
            _apply_scalars(project, row)
            project.districts, project.funding = _children(row)
            session.add(project)
            created.append(project)
            created_n += 1
            continue
        before, after = table.texts(ProjectRow.of(project)), table.texts(row)
        diff = [c for c in table.columns if c.name != table.key and before[c.name] != after[c.name]]
        project.search_text = search
        if not diff:
            unchanged_n += 1
            continue
        updated_n += 1
        _apply_scalars(project, row)
        districts, funding = _children(row)
        changed = {c.name for c in diff}
        if "distritos" in changed:
            project.districts.clear()
            await session.flush()
            project.districts.extend(districts)
        if "fuentes" in changed:
            project.funding.clear()
            project.funding.extend(funding)
        project.updated_at = utcnow()
        for column in diff:
            changes.append(
                ProjectChange(
                    project_id=project.id,
                    field=column.attr,
                    before=before[column.name] or None,
                    after=after[column.name] or None,
                    actor_id=actor_id,
                    source="import",
                )
            )
    await session.flush()
    for project in created:
        changes.append(
            ProjectChange(
                project_id=project.id,
                field="created",
                before=None,
                after=project.code,
                actor_id=actor_id,
                source="import",
            )
        )
    session.add_all(changes)
    if created_n or updated_n:
        audit.record(
            session,
            actor_id,
            "portfolio_import",
            "cartera",
            None,
            f"{created_n} nuevos, {updated_n} actualizados",
        )
    await session.flush()
    return Counts(created_n, updated_n, unchanged_n)


async def import_file(session: AsyncSession, path: Path, actor_id: int | None) -> ImportReport:
    """Validate the whole file; if it is clean, upsert its projects (flushes; the caller commits)."""
    return await engine.import_file(session, Path(path), await table(session), import_rows, actor_id)


# ---------------------------------------------------------------------------------------------- export


async def export_rows(session: AsyncSession) -> list[ProjectRow]:
    projects = (
        await session.execute(select(Project).order_by(func.length(Project.code), Project.code))
    ).scalars()
    return [ProjectRow.of(p) for p in projects]


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write every project to `path` (.csv in the canonical form, or .xlsx); the number of projects."""
    rows = await export_rows(session)
    engine.write_file(Path(path), await table(session), rows)
    return len(rows)


async def load_sample(session: AsyncSession) -> int:
    """Import the sample portfolio if there are no projects yet; the number of projects created."""
    if (await session.execute(select(func.count(Project.id)))).scalar_one():
        return 0
    report = await import_file(session, SAMPLE_PATH, actor_id=None)
    if not report.ok:
        raise RuntimeError(report.summary("en"))
    return report.created
