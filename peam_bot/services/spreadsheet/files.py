"""Spreadsheet files: CSV and XLSX read into rows of cells, and rows written back to CSV or XLSX.

Reading: a CSV is UTF-8 (with or without a BOM) or Windows-1252 (what Excel writes as "CSV"), with
``,`` or ``;`` as delimiter (whichever the first line has more of); an XLSX is read from its first sheet,
numbers and dates as typed cells. Writing: a string cell is always text in an XLSX (never a formula); with
``defuse`` a text that a spreadsheet program would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return first) is prefixed with ``'`` (`undefuse` takes it off again when a file is read back).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peam_bot.i18n import N_

Row = tuple[int, list[object]]  # the row number the spreadsheet shows (the first is 1), its cells
FORMATS = (".csv", ".xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileFormatError(Exception):
    """A file that cannot be read as a spreadsheet: a message template (N_, Spanish) and its parameters."""

    def __init__(self, template: str, /, **params: Any) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


def cell_text(value: object) -> str:
    """The text of a cell as read: empty for no value, whole floats without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def defuse(value: str) -> str:
    """A text that a spreadsheet program will not run as a formula (CSV/formula injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def undefuse(value: object) -> object:
    """A cell as it was before `defuse`: the ``'`` before a formula's first character goes."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# ---------------------------------------------------------------------------------------------- reading


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's "CSV" on Windows
    except UnicodeDecodeError:
        raise FileFormatError(N_("no puedo leer el texto del archivo: guárdelo como CSV UTF-8")) from None


def read_csv(path: Path) -> list[Row]:
    text = _decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(n, list(cells)) for n, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileFormatError(N_("el archivo CSV está dañado: {reason}"), reason=str(exc)) from None


def read_xlsx(path: Path) -> list[Row]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(
            N_("no puedo abrir el libro de Excel: {reason}"), reason=str(exc) or type(exc).__name__
        ) from None
    try:
        sheet = wb.worksheets[0]
        return [(n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def read_rows(path: Path) -> list[Row]:
    """Every row of a .csv (or .txt) or .xlsx (or .xlsm) file; FileFormatError, or OSError, if it cannot."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    raise FileFormatError(
        N_("no reconozco el formato «{suffix}»: use un archivo .csv o .xlsx"), suffix=suffix or path.name
    )


# ---------------------------------------------------------------------------------------------- writing


def export_format(path: Path) -> str:
    """``.csv`` or ``.xlsx``, what an export to `path` writes; ValueError for any other name."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unsupported export format {suffix!r}: use .csv or .xlsx")
    return suffix


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    bom: bool = False,
    line_end: str = "\n",
    defuse_text: bool = False,
) -> None:
    """UTF-8 (with a BOM for spreadsheet programs, if `bom`), ``,``, quotes only where needed."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator=line_end)
        writer.writerow(header)
        for row in rows:
            writer.writerow([defuse(v) if defuse_text and isinstance(v, str) else v for v in row])


@dataclass
class Sheet:
    """One sheet of an XLSX book: its header and rows of typed cells (None: an empty cell)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()  # of the first columns, in characters
    number_formats: Sequence[str | None] = ()  # of the first columns ("#,##0.00"), even on empty cells
    bold_header: bool = False
    freeze: str | None = None  # the top-left cell that does not scroll away ("B2"), if any


def write_xlsx(
    path: Path, sheets: Sequence[Sheet], *, defuse_text: bool = False, stream: bool = False
) -> None:
    """Write the sheets in order. With `stream`, rows go to the file as they come (a write-only book, for
    long sheets; it does not record its size, which spreadsheet programs do not need)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=stream)
    if not stream:
        wb.remove(wb.worksheets[0])  # the empty sheet a new book starts with
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        for c, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
        head = []
        for name in sheet.header:
            cell = WriteOnlyCell(ws, value=name)
            if sheet.bold_header:
                cell.font = Font(bold=True)
            head.append(cell)
        ws.append(head)
        formats = list(sheet.number_formats)  # a write-only sheet takes styled cells, not styles after
        for row in sheet.rows:
            cells = []
            for c, value in enumerate(row):
                if defuse_text and isinstance(value, str):
                    value = defuse(value)
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text, never a formula
                elif c < len(formats) and formats[c]:
                    cell.number_format = formats[c]
                cells.append(cell)
            ws.append(cells)
    wb.save(path)
