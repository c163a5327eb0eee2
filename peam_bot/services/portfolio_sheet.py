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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext
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
from peam_bot.services.spreadsheet import files
from peam_bot.services.spreadsheet.files import cell_text
from peam_bot.services.text import clean_input, normalize, strip_accents
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
# column -> attribute of Project (the `field` recorded in project_changes)
FIELDS: dict[str, str] = {
    "nombre": "name",
    "descripcion": "description",
    "eje": "axis",
    "distritos": "districts",
    "latitud": "latitude",
    "longitud": "longitude",
    "fase": "phase",
    "prioridad": "priority",
    "costo_estimado": "estimated_cost",
    "presupuesto_aprobado": "approved_budget",
    "fuentes": "funding",
    "avance": "progress",
    "responsable": "responsible",
}
HEADER_ALIASES = {
    "codigo": "codigo",
    "code": "codigo",
    "nombre": "nombre",
    "descripcion": "descripcion",
    "eje": "eje",
    "eje estrategico": "eje",
    "distritos": "distritos",
    "distrito": "distritos",
    "latitud": "latitud",
    "longitud": "longitud",
    "fase": "fase",
    "prioridad": "prioridad",
    "costo estimado": "costo_estimado",
    "presupuesto aprobado": "presupuesto_aprobado",
    "fuentes": "fuentes",
    "fuente": "fuentes",
    "fuentes financiamiento": "fuentes",
    "avance": "avance",
    "responsable": "responsable",
}
RESPONSIBLE_MAX = 200
MONEY_MAX = Decimal("1e12")  # Numeric(14, 2)
YEARS = range(2000, 2101)
# the province of Arequipa, with a margin: catches swapped or mistyped coordinates
PROVINCE_BOX = (-17.0, -15.9, -72.3, -71.0)  # south, north, west, east
SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "cartera_ejemplo.csv"
CENT = Decimal("0.01")


@dataclass
class RowError:
    """One problem in the file: spreadsheet row number (1 is the header; 0 the whole file), column."""

    row: int
    column: str
    message: str  # in Spanish
    template: str = field(default="", repr=False, compare=False)
    params: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def text(self, locale: str = "es") -> str:
        if not self.template:
            return self.message
        return gettext(self.template, locale).format(**self.params)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, locale: str = "es", max_errors: int = 100) -> str:
        """Plain text (escape it before sending it as HTML)."""
        _ = lambda s: gettext(s, locale)  # noqa: E731
        if self.ok:
            return _(
                "Cartera importada. Proyectos nuevos: {created}; actualizados: {updated}; sin cambios: {unchanged}."
            ).format(created=self.created, updated=self.updated, unchanged=self.unchanged)
        lines = [
            _("No se importó nada: el archivo tiene {n} errores. Corríjalos y vuelva a importarlo.").format(
                n=len(self.errors)
            )
        ]
        for err in self.errors[:max_errors]:
            if err.row == 0:
                lines.append(f"- {err.text(locale)}")
            elif err.column:
                lines.append(
                    _("- Fila {row}, columna {column}: {message}").format(
                        row=err.row, column=err.column, message=err.text(locale)
                    )
                )
            else:
                lines.append(_("- Fila {row}: {message}").format(row=err.row, message=err.text(locale)))
        if len(self.errors) > max_errors:
            lines.append(_("… y {n} más.").format(n=len(self.errors) - max_errors))
        return "\n".join(lines)


class _Bad(Exception):
    """A cell that does not fit: a message template (N_) and its parameters."""

    def __init__(self, template: str, /, **params: Any) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


def _error(row: int, column: str, template: str, /, **params: Any) -> RowError:
    return RowError(row, column, gettext(template, "es").format(**params), template, params)


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
    funding: tuple[tuple[str, int | None], ...]
    progress: int
    responsible: str

    def cells(self) -> dict[str, str]:
        """Canonical text of each column."""
        return {
            "codigo": self.code,
            "nombre": self.name,
            "descripcion": self.description,
            "eje": self.axis,
            "distritos": "|".join(self.districts),
            "latitud": _fmt_coord(self.latitude),
            "longitud": _fmt_coord(self.longitude),
            "fase": self.phase,
            "prioridad": self.priority,
            "costo_estimado": _fmt_money(self.estimated_cost),
            "presupuesto_aprobado": _fmt_money(self.approved_budget),
            "fuentes": "|".join(s if y is None else f"{s}:{y}" for s, y in self.funding),
            "avance": str(self.progress),
            "responsable": self.responsible,
        }

    @classmethod
    def of(cls, p: Project) -> ProjectRow:
        return cls(
            code=p.code,
            name=p.name,
            description=p.description,
            axis=p.axis,
            districts=tuple(d.district for d in p.districts),
            latitude=_round_coord(p.latitude),
            longitude=_round_coord(p.longitude),
            phase=p.phase,
            priority=p.priority,
            estimated_cost=_quantize(p.estimated_cost),
            approved_budget=_quantize(p.approved_budget),
            funding=tuple((f.source, f.year) for f in p.funding),
            progress=p.progress,
            responsible=p.responsible,
        )


def _round_coord(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _fmt_coord(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _quantize(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _fmt_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


# ---------------------------------------------------------------------------------------------- parsing


def _key(value: str) -> str:
    """Comparison key for names and slugs: no case, no accents, no punctuation."""
    value = strip_accents(value.lower()).replace("_", " ").replace("-", " ")
    return " ".join(re.findall(r"[a-z0-9ñ]+", value))


def parse_code(value: object) -> str:
    raw = cell_text(value).strip()
    if not raw:
        raise _Bad(N_("falta el código"))
    code = normalize_code(raw)
    if not CODE_RE.match(code):
        raise _Bad(
            N_("el código «{value}» no es válido: use P- y al menos 3 cifras, por ejemplo P-012"), value=raw
        )
    return code


def parse_name(value: object) -> str:
    name = clean_input(cell_text(value).replace("\n", " "))
    if not name:
        raise _Bad(N_("falta el nombre"))
    if len(name) > NAME_MAX:
        raise _Bad(N_("tiene {n} caracteres; el máximo es {max}"), n=len(name), max=NAME_MAX)
    return name


def parse_money(value: object) -> Decimal | None:
    """Soles: 1234.50, 1 234,50, S/ 1,234.50, 1.234.567,8 (or a number cell)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        raw = cell_text(value).strip()
        if not raw:
            return None
        s = re.sub(r"(?i)^(s/\.?|pen)", "", raw.replace("\u00a0", " ").replace("\u202f", " ").strip())
        s = re.sub(r"[\s']", "", s)
        negative = s.startswith("-")
        s = s.removeprefix("-")
        if not re.fullmatch(r"\d[\d.,]*", s) or s[-1] in ".,":
            raise _Bad(N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw)
        seps = [c for c in s if c in ".,"]
        if seps:
            last = s.rindex(seps[-1])
            decimals = s[last + 1 :]
            if len(set(seps)) == 2:  # both: the last one is the decimal point
                whole, dec = s[:last], decimals
                thousands = "," if seps[-1] == "." else "."
            elif len(seps) == 1 and len(decimals) != 3:
                whole, dec, thousands = s[:last], decimals, seps[0]
            else:  # only thousands separators
                whole, dec, thousands = s, "", seps[0]
            if thousands in whole and not re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})+", whole):
                raise _Bad(
                    N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
                )
            if len(dec) > 2:
                raise _Bad(N_("el importe «{value}» tiene más de dos decimales"), value=raw)
            if any(c in ".," for c in dec):
                raise _Bad(
                    N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
                )
            s = whole.replace(thousands, "") + ("." + dec if dec else "")
        try:
            amount = Decimal(s).quantize(CENT)
        except InvalidOperation:
            raise _Bad(
                N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
            ) from None
        if negative:
            amount = -amount
    if amount < 0:
        raise _Bad(N_("el importe no puede ser negativo"))
    if amount >= MONEY_MAX:
        raise _Bad(N_("el importe es demasiado grande"))
    return amount


def parse_coord(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 6)
    raw = cell_text(value).strip()
    if not raw:
        return None
    s = raw.replace(",", ".") if "." not in raw else raw
    try:
        number = float(s)
    except ValueError:
        raise _Bad(
            N_("«{value}» no es un número en grados decimales (por ejemplo -16.398803)"), value=raw
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _Bad(N_("«{value}» no es un número en grados decimales (por ejemplo -16.398803)"), value=raw)
    return round(number, 6)


def parse_progress(value: object) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number: float = float(value)
        raw = cell_text(value)
    else:
        raw = cell_text(value).strip()
        if not raw:
            return 0
        try:
            number = float(raw.rstrip("%").strip().replace(",", "."))
        except ValueError:
            number = -1.0
    if not number.is_integer() or not 0 <= number <= 100:
        raise _Bad(N_("el avance «{value}» no es válido: escriba un número entero de 0 a 100"), value=raw)
    return int(number)


class _Lookup:
    """Names and slugs of the reference data, matched without case or accents."""

    def __init__(self) -> None:
        self.districts: dict[str, str] = {}
        self.axes: dict[str, str] = {}
        self.phases: dict[str, str] = {}
        self.priorities: dict[str, str] = {}
        self.sources: dict[str, str] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> _Lookup:
        lk = cls()
        for slug, name, _metro in await reference.districts(session):
            lk._add(lk.districts, slug, slug, name, re.sub(r"\s*\(.*?\)", "", name))
        lk._add(lk.districts, "arequipa", "cercado", "cercado de arequipa")
        lk._add(lk.districts, "jlbyr", "bustamante y rivero", "jlbyr", "j l bustamante y rivero")
        for slug, name in await reference.themes(session):
            lk._add(lk.axes, slug, slug, name, gettext(name, "en"))
        for slug, label in PHASE_LABELS.items():
            lk._add(lk.phases, slug, slug, label, gettext(label, "en"))
        for slug, label in PRIORITY_LABELS.items():
            lk._add(lk.priorities, slug, slug, label, gettext(label, "en"))
        for slug, label in FUNDING_LABELS.items():
            lk._add(lk.sources, slug, slug, label, gettext(label, "en"))
        lk._add(lk.sources, "plan_inversiones", "plan de inversiones", "pia")
        lk._add(lk.sources, "presupuesto_participativo", "pp")
        return lk

    @staticmethod
    def _add(table: dict[str, str], slug: str, *names: str) -> None:
        for name in names:
            table.setdefault(_key(name), slug)

    def one(self, value: object, table: dict[str, str], missing: str, options: Iterable[str]) -> str:
        raw = clean_input(cell_text(value))
        if not raw:
            raise _Bad(missing)
        found = table.get(_key(raw))
        if found is None:
            raise _Bad(
                N_("«{value}» no es válido; use uno de: {options}"), value=raw, options=", ".join(options)
            )
        return found

    def district_list(self, value: object) -> tuple[str, ...]:
        parts = [p.strip() for p in cell_text(value).split("|")]
        parts = [p for p in parts if p]
        if not parts:
            raise _Bad(N_("falta al menos un distrito (varios se separan con |)"))
        found: list[str] = []
        unknown: list[str] = []
        for part in parts:
            slug = self.districts.get(_key(part))
            if slug is None:
                unknown.append(part)
            elif slug not in found:
                found.append(slug)
        if unknown:
            raise _Bad(N_("distrito desconocido: {names}"), names=", ".join(f"«{u}»" for u in unknown))
        return tuple(found)

    def funding_list(self, value: object) -> tuple[tuple[str, int | None], ...]:
        found: list[tuple[str, int | None]] = []
        for part in (p.strip() for p in cell_text(value).split("|")):
            if not part:
                continue
            m = re.fullmatch(r"(.*?)\s*(?:[:\s]\s*(\d{4}))?", part)
            name, year_text = (m.group(1), m.group(2)) if m else (part, None)
            if ":" in name:  # "plan_inversiones:27" and the like
                raise _Bad(
                    N_("el año en «{value}» no es válido: use cuatro cifras, por ejemplo 2027"), value=part
                )
            source = self.sources.get(_key(name))
            if source is None:
                raise _Bad(
                    N_("fuente «{value}» desconocida; use una de: {options}"),
                    value=part,
                    options=", ".join(FUNDING_SOURCES),
                )
            year = int(year_text) if year_text else None
            if year is not None and year not in YEARS:
                raise _Bad(
                    N_("el año en «{value}» no es válido: use cuatro cifras, por ejemplo 2027"), value=part
                )
            if source == "plan_inversiones" and year is None:
                raise _Bad(
                    N_("indique el año del Plan de Inversiones Anual, por ejemplo plan_inversiones:2027")
                )
            if (source, year) in found:
                raise _Bad(N_("fuente repetida: «{value}»"), value=part)
            found.append((source, year))
        return tuple(found)


def _header_key(value: object) -> str:
    return _key(re.sub(r"\(.*?\)", "", cell_text(value)))


def _validate(
    rows: Sequence[tuple[int, Sequence[object]]], lookup: _Lookup
) -> tuple[list[ProjectRow], list[RowError]]:
    """Check every row; all errors, or the canonical rows."""
    errors: list[RowError] = []
    header_at = next(
        (i for i, (_n, cells) in enumerate(rows) if "codigo" in {_header_key(c) for c in cells}), None
    )
    if header_at is None:
        return [], [_error(0, "", N_("no encuentro la fila de encabezados (con la columna «codigo»)"))]
    header_row, header = rows[header_at]
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        column = HEADER_ALIASES.get(_header_key(cell))
        if column is None:
            continue  # extra columns (notes...) are ignored
        if column in index:
            errors.append(
                _error(header_row, column, N_("la columna «{column}» está repetida"), column=column)
            )
        index[column] = i
    for column in COLUMNS:
        if column not in index:
            errors.append(_error(header_row, column, N_("falta la columna «{column}»"), column=column))
    if errors:
        return [], errors

    out: list[ProjectRow] = []
    seen: dict[str, int] = {}
    for number, cells in rows[header_at + 1 :]:
        if all(not cell_text(c).strip() for c in cells):
            continue
        values = {c: (cells[i] if i < len(cells) else None) for c, i in index.items()}
        got: dict[str, Any] = {}

        def check(column: str, parse: Any, *args: Any) -> None:
            _check(errors, number, values, got, column, parse, *args)  # noqa: B023 - called at once

        check("codigo", parse_code)
        check("nombre", parse_name)
        check("descripcion", lambda v: clean_input(cell_text(v)))
        check("eje", lookup.one, lookup.axes, N_("falta el eje"), _axis_options(lookup))
        check("distritos", lookup.district_list)
        check("latitud", parse_coord)
        check("longitud", parse_coord)
        check("fase", lookup.one, lookup.phases, N_("falta la fase"), PHASES)
        check("prioridad", lookup.one, lookup.priorities, N_("falta la prioridad"), PRIORITIES)
        check("costo_estimado", parse_money)
        check("presupuesto_aprobado", parse_money)
        check("fuentes", lookup.funding_list)
        check("avance", parse_progress)
        check("responsable", _parse_responsible)

        code = got.get("codigo")
        if code is not None:
            if code in seen:
                errors.append(
                    _error(
                        number,
                        "codigo",
                        N_("el código {code} ya aparece en la fila {other}"),
                        code=code,
                        other=seen[code],
                    )
                )
            else:
                seen[code] = number
        lat, lon = got.get("latitud"), got.get("longitud")
        if "latitud" in got and "longitud" in got:
            if (lat is None) != (lon is None):
                errors.append(
                    _error(
                        number,
                        "latitud" if lat is None else "longitud",
                        N_("indique latitud y longitud, o deje ambas vacías"),
                    )
                )
            elif lat is not None and lon is not None:
                south, north, west, east = PROVINCE_BOX
                if not (south <= lat <= north and west <= lon <= east):
                    errors.append(
                        _error(
                            number,
                            "latitud",
                            N_(
                                "el punto ({lat}, {lon}) está fuera de la provincia de Arequipa; ¿están invertidas la latitud y la longitud?"
                            ),
                            lat=_fmt_coord(lat),
                            lon=_fmt_coord(lon),
                        )
                    )
        if len(got) == len(COLUMNS):
            out.append(
                ProjectRow(
                    code=got["codigo"],
                    name=got["nombre"],
                    description=got["descripcion"],
                    axis=got["eje"],
                    districts=got["distritos"],
                    latitude=lat,
                    longitude=lon,
                    phase=got["fase"],
                    priority=got["prioridad"],
                    estimated_cost=got["costo_estimado"],
                    approved_budget=got["presupuesto_aprobado"],
                    funding=got["fuentes"],
                    progress=got["avance"],
                    responsible=got["responsable"],
                )
            )
    errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    return out, errors


def _check(
    errors: list[RowError],
    number: int,
    values: dict[str, object],
    got: dict[str, Any],
    column: str,
    parse: Any,
    *args: Any,
) -> None:
    try:
        got[column] = parse(values[column], *args)
    except _Bad as bad:
        errors.append(_error(number, column, bad.template, **bad.params))


def _axis_options(lookup: _Lookup) -> list[str]:
    return list(dict.fromkeys(lookup.axes.values()))


def _parse_responsible(value: object) -> str:
    text = clean_input(cell_text(value).replace("\n", " "))
    if len(text) > RESPONSIBLE_MAX:
        raise _Bad(N_("tiene {n} caracteres; el máximo es {max}"), n=len(text), max=RESPONSIBLE_MAX)
    return text


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


async def import_rows(session: AsyncSession, rows: list[ProjectRow], actor_id: int | None) -> ImportReport:
    """Upsert valid rows by code (flushes; the caller commits)."""
    report = ImportReport()
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
            report.created += 1
            continue
        before, after = ProjectRow.of(project).cells(), row.cells()
        diff = [c for c in FIELDS if before[c] != after[c]]
        project.search_text = search
        if not diff:
            report.unchanged += 1
            continue
        report.updated += 1
        _apply_scalars(project, row)
        districts, funding = _children(row)
        if "distritos" in diff:
            project.districts.clear()
            await session.flush()
            project.districts.extend(districts)
        if "fuentes" in diff:
            project.funding.clear()
            project.funding.extend(funding)
        project.updated_at = utcnow()
        for column in diff:
            changes.append(
                ProjectChange(
                    project_id=project.id,
                    field=FIELDS[column],
                    before=before[column] or None,
                    after=after[column] or None,
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
    if report.created or report.updated:
        audit.record(
            session,
            actor_id,
            "portfolio_import",
            "cartera",
            None,
            f"{report.created} nuevos, {report.updated} actualizados",
        )
    await session.flush()
    return report


async def import_file(session: AsyncSession, path: Path, actor_id: int | None) -> ImportReport:
    """Validate the whole file; if it is clean, upsert its projects (flushes; the caller commits)."""
    path = Path(path)
    try:
        raw = files.read_rows(path)
    except files.FileFormatError as exc:
        return ImportReport(errors=[_error(0, "", exc.template, **exc.params)])
    except OSError as exc:
        return ImportReport(
            errors=[_error(0, "", N_("no puedo abrir el archivo: {reason}"), reason=str(exc))]
        )
    if not any(any(cell_text(c).strip() for c in cells) for _n, cells in raw):
        return ImportReport(errors=[_error(0, "", N_("el archivo está vacío"))])
    rows, errors = _validate(raw, await _Lookup.load(session))
    if errors:
        return ImportReport(errors=errors)
    return await import_rows(session, rows, actor_id)


# ---------------------------------------------------------------------------------------------- export


async def export_rows(session: AsyncSession) -> list[ProjectRow]:
    projects = (
        await session.execute(select(Project).order_by(func.length(Project.code), Project.code))
    ).scalars()
    return [ProjectRow.of(p) for p in projects]


def write_csv(path: Path, rows: Iterable[ProjectRow]) -> None:
    files.write_csv(path, COLUMNS, ([row.cells()[c] for c in COLUMNS] for row in rows))


def _xlsx_value(column: str, row: ProjectRow) -> object:
    if column in ("latitud", "longitud"):
        return row.latitude if column == "latitud" else row.longitude
    if column == "costo_estimado":
        return row.estimated_cost
    if column == "presupuesto_aprobado":
        return row.approved_budget
    if column == "avance":
        return row.progress
    return row.cells()[column] or None


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


WIDTHS = {"codigo": 9, "nombre": 48, "descripcion": 60, "distritos": 28, "fuentes": 40, "responsable": 36}
NUMBER_FORMATS = {
    "costo_estimado": "#,##0.00",
    "presupuesto_aprobado": "#,##0.00",
    "latitud": "0.000000",
    "longitud": "0.000000",
}


def write_xlsx(path: Path, rows: Iterable[ProjectRow], axes: Sequence[str]) -> None:
    cartera = files.Sheet(
        "Cartera",
        COLUMNS,
        ([_xlsx_value(c, row) for c in COLUMNS] for row in rows),
        widths=[WIDTHS.get(c, 16) for c in COLUMNS],
        number_formats=[NUMBER_FORMATS.get(c) for c in COLUMNS],
        bold_header=True,
        freeze="B2",
    )
    help_rows = [[column, content.replace("{axes}", ", ".join(axes))] for column, content in INSTRUCTIONS]
    help_sheet = files.Sheet("Instrucciones", ["columna", "contenido"], help_rows, widths=[36, 110])
    files.write_xlsx(path, [cartera, help_sheet])


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write every project to `path` (.csv in the canonical form, or .xlsx); the number of projects."""
    path = Path(path)
    suffix = files.export_format(path)
    rows = await export_rows(session)
    if suffix == ".csv":
        write_csv(path, rows)
    else:
        write_xlsx(path, rows, [slug for slug, _name in await reference.themes(session)])
    return len(rows)


async def load_sample(session: AsyncSession) -> int:
    """Import the sample portfolio if there are no projects yet; the number of projects created."""
    if (await session.execute(select(func.count(Project.id)))).scalar_one():
        return 0
    report = await import_file(session, SAMPLE_PATH, actor_id=None)
    if not report.ok:
        raise RuntimeError(report.summary("en"))
    return report.created
