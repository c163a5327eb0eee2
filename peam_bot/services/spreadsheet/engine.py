"""A spreadsheet into a table's records with every error at once, the import's report, and records
written back to a file.

Reading: the header row is the first with the table's key column; columns come in any order, by name or
alias (case, accents and a note in parentheses do not matter); other columns are ignored; blank rows are
skipped. Every cell of every row is read, the key must not repeat, the table's checks across columns run,
and every problem is reported (row number as the spreadsheet shows it, column, what is wrong, in
Spanish). An import stores nothing unless the whole file is clean; then the table's upsert gets the
records.

Writing defuses every text cell that a spreadsheet program would run as a formula (``=``, ``+``, ``-``,
``@`` first: names and titles come from residents) with a leading ``'``, in CSV and XLSX alike, except in
columns whose type writes numbers or dates (`CellType.formula_safe`); reading takes that ``'`` off again,
so an export imports back to the same values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext
from peam_bot.services.spreadsheet import files
from peam_bot.services.spreadsheet.files import cell_text
from peam_bot.services.spreadsheet.schema import CellError, Table, header_key, key

R = TypeVar("R")


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


def error(row: int, column: str, template: str, /, **params: Any) -> RowError:
    return RowError(row, column, gettext(template, "es").format(**params), template, params)


class Counts(NamedTuple):
    """What an upsert did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    done: str = field(kw_only=True, repr=False, compare=False)  # the table's `done` (N_)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, locale: str = "es", max_errors: int = 100) -> str:
        """Plain text (escape it before sending it as HTML)."""
        _ = lambda s: gettext(s, locale)  # noqa: E731
        if self.ok:
            return _(self.done).format(created=self.created, updated=self.updated, unchanged=self.unchanged)
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


# ---------------------------------------------------------------------------------------------- reading


def parse_rows(table: Table[R], rows: Sequence[files.Row]) -> tuple[list[R], list[RowError]]:
    """Check every row: the records, or every error (and then no records)."""
    errors: list[RowError] = []
    wanted = key(table.key)
    header_at = next(
        (i for i, (_n, cells) in enumerate(rows) if wanted in {header_key(c) for c in cells}), None
    )
    if header_at is None:
        return [], [
            error(
                0, "", N_("no encuentro la fila de encabezados (con la columna «{column}»)"), column=table.key
            )
        ]
    header_row, header = rows[header_at]
    headers = table.headers()
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        column = headers.get(header_key(cell))
        if column is None:
            continue  # extra columns (notes...) are ignored
        if column in index:
            errors.append(error(header_row, column, N_("la columna «{column}» está repetida"), column=column))
        index[column] = i
    for c in table.columns:
        if c.name not in index and not c.optional:
            errors.append(error(header_row, c.name, N_("falta la columna «{column}»"), column=c.name))
    if errors:
        return [], errors

    out: list[R] = []
    seen: dict[object, int] = {}
    for number, cells in rows[header_at + 1 :]:
        if all(not cell_text(c).strip() for c in cells):
            continue
        found = len(errors)
        got: dict[str, Any] = {}
        for c in table.columns:
            i = index.get(c.name)
            cell = cells[i] if i is not None and i < len(cells) else None
            try:
                got[c.name] = c.type.parse(cell if c.type.formula_safe else files.undefuse(cell))
            except CellError as bad:
                errors.append(error(number, c.name, bad.template, **bad.params))
        code = got.get(table.key)
        if code:  # it was read (an empty key is a new row the table gives a code to)
            if code in seen:
                errors.append(
                    error(
                        number,
                        table.key,
                        N_("el código {code} ya aparece en la fila {other}"),
                        code=code,
                        other=seen[code],
                    )
                )
            else:
                seen[code] = number
        if table.check is not None:
            for column, bad in table.check(got):
                errors.append(error(number, column, bad.template, **bad.params))
        if len(errors) == found:
            out.append(table.record(**{c.attr: got[c.name] for c in table.columns}))
    order = {name: i for i, name in enumerate(table.names)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, -1)))
    return (out, []) if not errors else ([], errors)


def read_file(table: Table[R], path: Path) -> tuple[list[R], list[RowError]]:
    """Read and check a .csv or .xlsx file: the records, or every error (then no records)."""
    try:
        raw = files.read_rows(path)
    except files.FileFormatError as exc:
        return [], [error(0, "", exc.template, **exc.params)]
    except OSError as exc:
        return [], [error(0, "", N_("no puedo abrir el archivo: {reason}"), reason=str(exc))]
    if not any(any(cell_text(c).strip() for c in cells) for _n, cells in raw):
        return [], [error(0, "", N_("el archivo está vacío"))]
    return parse_rows(table, raw)


# a table's upsert: (session, table, the file's records, actor) -> what it did; it flushes, the caller commits
Upsert = Callable[[AsyncSession, Table[R], list[R], int | None], Awaitable[Counts]]


async def import_file(
    session: AsyncSession, path: Path, table: Table[R], upsert: Upsert[R], actor_id: int | None
) -> ImportReport:
    """Check the whole file; if it is clean, hand its records to `upsert` (which flushes; the caller
    commits). A file with errors changes nothing."""
    records, errors = read_file(table, Path(path))
    if errors:
        return ImportReport(errors=errors, done=table.done)
    counts = await upsert(session, table, records, actor_id)
    return ImportReport(counts.created, counts.updated, counts.unchanged, done=table.done)


# ---------------------------------------------------------------------------------------------- writing


def write_file(
    path: Path, table: Table[R], records: Iterable[R], extra_sheets: Sequence[files.Sheet] = ()
) -> None:
    """A .csv in the canonical form (UTF-8 without BOM, ``,``, LF, quotes only where needed, canonical
    texts), or an .xlsx: the table's sheet (bold header, typed cells), its instructions, if any, and
    `extra_sheets` (an XLSX only; their text cells are defused too)."""
    path = Path(path)
    safe = [c.type.formula_safe for c in table.columns]

    def defused(row: list[object]) -> list[object]:
        return [
            v if ok or not isinstance(v, str) else files.defuse(v) for v, ok in zip(row, safe, strict=True)
        ]

    if files.export_format(path) == ".csv":
        texts = (table.texts(record) for record in records)
        files.write_csv(path, table.names, (defused([t[name] for name in table.names]) for t in texts))
        return
    sheets = [
        files.Sheet(
            table.title,
            table.names,
            (defused(table.xlsx_row(record)) for record in records),
            widths=[c.width for c in table.columns],
            number_formats=[c.type.number_format for c in table.columns],
            bold_header=True,
            freeze=table.freeze,
        )
    ]
    if table.instructions:
        sheets.append(
            files.Sheet("Instrucciones", ("columna", "contenido"), table.instructions, widths=(36, 110))
        )
    sheets.extend(
        files.Sheet(
            x.title,
            x.header,
            ([files.defuse(v) if isinstance(v, str) else v for v in row] for row in x.rows),
            x.widths,
            x.number_formats,
            x.bold_header,
            x.freeze,
        )
        for x in extra_sheets
    )
    files.write_xlsx(path, sheets)
