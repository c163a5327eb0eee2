"""What a spreadsheet table is: its columns and the cell types they share.

A `Table` names its columns in order (the header row, in Spanish), the column that is each row's key,
how a row becomes a record, checks across columns, and what the import says when it is done. A `Column`
is a header, its aliases and a `CellType`, which reads a cell (raising `CellError` with a Spanish message
when it does not fit) and writes a value back: its canonical text (CSV, and what an upsert compares) and
its XLSX cell. Cell types: `Text`, `Code`, `Money`, `Degrees`, `WholeNumber`, `DateTime` (America/Lima),
`YesNo`, `OneOf` and `ListOf` (slugs or labels of a `Vocabulary`, lists separated by ``|``); `OrEmpty`
makes any of them optional (an empty cell is None).

Messages without N_ are Spanish only (staff files are Spanish; the catalogs do not carry them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from peam_bot.i18n import N_, gettext
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.services.spreadsheet.files import cell_text
from peam_bot.services.text import clean_input, strip_accents

T = TypeVar("T")
R = TypeVar("R")

SEPARATOR = "|"  # between the items of a list in one cell
CENT = Decimal("0.01")
MONEY_MAX = Decimal("1e12")  # Numeric(14, 2)


class CellError(Exception):
    """A cell that does not fit: a message template (N_, Spanish) and its parameters."""

    def __init__(self, template: str, /, **params: Any) -> None:
        super().__init__(template)
        self.template = template
        self.params = params


def key(value: str) -> str:
    """Comparison key for headers, names and slugs: no case, no accents, no punctuation."""
    value = strip_accents(value.lower()).replace("_", " ").replace("-", " ")
    return " ".join(re.findall(r"[a-z0-9ñ]+", value))


def header_key(value: object) -> str:
    """The key of a header cell; a note in parentheses is ignored ("distritos (separados por |)")."""
    return key(re.sub(r"\(.*?\)", "", cell_text(value)))


# ---------------------------------------------------------------------------------------------- tables


class CellType(Generic[T]):
    """How one column's cells are read and written back. Subclasses define `parse`."""

    number_format: str | None = None  # of the XLSX cell
    # the canonical text is a number or a date, never a formula: an export does not defuse it
    # (files.defuse); the text of any other type is defused when it starts like a formula
    formula_safe: bool = False

    def parse(self, value: object) -> T:
        """The value of a cell as read (text, number, date or None); CellError if it does not fit."""
        raise NotImplementedError

    def text(self, value: T) -> str:
        """Canonical text: what a CSV holds, and what two values are compared by."""
        return str(value)

    def xlsx(self, value: T) -> object:
        """The XLSX cell: the canonical text by default (None for an empty one), numbers as numbers."""
        return self.text(value) or None


@dataclass(frozen=True)
class Column(Generic[T]):
    name: str  # the header the export writes: lower case, ``_`` between words
    type: CellType[T]
    attr: str = ""  # the record's attribute; the name by default
    aliases: tuple[str, ...] = ()  # other headers an import accepts, compared by `key`
    width: float = 16  # of the XLSX column, in characters
    optional: bool = False  # the header may be missing: its cells read as empty

    def __post_init__(self) -> None:
        if not self.attr:
            object.__setattr__(self, "attr", self.name)


Check = Callable[[Mapping[str, Any]], Iterable[tuple[str, CellError]]]


@dataclass(frozen=True)
class Table(Generic[R]):
    """A kind of row: its sheet, columns in order, and how a row of values becomes a record."""

    title: str  # the XLSX sheet
    columns: tuple[Column[Any], ...]
    record: Callable[..., R]  # called with one keyword per column's `attr`
    done: str  # the import's report when it worked (N_, with {created}, {updated} and {unchanged})
    key: str = "codigo"  # the column that finds the header row and is unique in a file
    # across the columns of one row: the values that were read (a column that failed is missing) ->
    # (column, error) for each problem
    check: Check | None = None
    instructions: Sequence[tuple[str, str]] = ()  # (columns, what they hold): the XLSX's second sheet
    freeze: str | None = "B2"
    _by_name: dict[str, Column[Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})
        assert len(self._by_name) == len(self.columns), "two columns with one name"
        assert self.key in self._by_name, f"no key column {self.key!r}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def headers(self) -> dict[str, str]:
        """Header key -> column name, for every name and alias."""
        out: dict[str, str] = {}
        for column in self.columns:
            for header in (column.name, *column.aliases):
                out.setdefault(key(header), column.name)
        return out

    def texts(self, record: R) -> dict[str, str]:
        """Canonical text of each column of a record."""
        return {c.name: c.type.text(getattr(record, c.attr)) for c in self.columns}

    def xlsx_row(self, record: R) -> list[object]:
        return [c.type.xlsx(getattr(record, c.attr)) for c in self.columns]


# ---------------------------------------------------------------------------------------------- cell types


@dataclass(frozen=True)
class Text(CellType[str]):
    """Free text, spaces tidied (clean_input); `one_line` turns line breaks into spaces."""

    max: int | None = None
    missing: str | None = None  # the error for an empty cell (N_); None: it may be empty
    one_line: bool = False

    def parse(self, value: object) -> str:
        raw = cell_text(value)
        text = clean_input(raw.replace("\n", " ") if self.one_line else raw)
        if not text and self.missing:
            raise CellError(self.missing)
        if self.max is not None and len(text) > self.max:
            raise CellError(N_("tiene {n} caracteres; el máximo es {max}"), n=len(text), max=self.max)
        return text


@dataclass(frozen=True)
class Code(CellType[str]):
    """A row's code, normalized (``p-12`` → ``P-012``), then matched against a pattern."""

    pattern: re.Pattern[str]
    normalize: Callable[[str], str]
    invalid: str  # N_, with {value}
    missing: str | None = N_("falta el código")  # None: an empty cell is "" (the table gives it a code)

    def parse(self, value: object) -> str:
        raw = cell_text(value).strip()
        if not raw:
            if self.missing is None:
                return ""
            raise CellError(self.missing)
        code = self.normalize(raw)
        if not self.pattern.match(code):
            raise CellError(self.invalid, value=raw)
        return code


def parse_money(value: object, maximum: Decimal = MONEY_MAX) -> Decimal | None:
    """Soles: 1234.50, 1 234,50, S/ 1,234.50, 1.234.567,8 (or a number cell). A single separator
    followed by exactly three digits is a thousands separator (1,234 and 1.234 are 1234)."""
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
            raise CellError(
                N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
            )
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
                raise CellError(
                    N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
                )
            if len(dec) > 2:
                raise CellError(N_("el importe «{value}» tiene más de dos decimales"), value=raw)
            if any(c in ".," for c in dec):
                raise CellError(
                    N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
                )
            s = whole.replace(thousands, "") + ("." + dec if dec else "")
        try:
            amount = Decimal(s).quantize(CENT)
        except InvalidOperation:
            raise CellError(
                N_("el importe «{value}» no es válido: escriba soles, por ejemplo 1234.50"), value=raw
            ) from None
        if negative:
            amount = -amount
    if amount < 0:
        raise CellError(N_("el importe no puede ser negativo"))
    if amount >= maximum:
        raise CellError(N_("el importe es demasiado grande"))
    return amount


def quantize_money(value: Decimal | None) -> Decimal | None:
    """A stored amount to cents, as an import reads it."""
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money(CellType[Decimal | None]):
    """Soles, may be empty (see parse_money); written with 2 decimals, a dot, no thousands separator."""

    maximum: Decimal = MONEY_MAX
    number_format: str | None = "#,##0.00"
    formula_safe: bool = True

    def parse(self, value: object) -> Decimal | None:
        return parse_money(value, self.maximum)

    def text(self, value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    def xlsx(self, value: Decimal | None) -> object:
        return value


def round_degrees(value: float | None) -> float | None:
    """A stored coordinate to 6 decimals, as an import reads it."""
    return None if value is None else round(float(value), 6)


def parse_degrees(value: object) -> float | None:
    """Decimal degrees (-16.398803, or -16,398803), may be empty; rounded to 6 decimals."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 6)
    raw = cell_text(value).strip()
    if not raw:
        return None
    s = raw.replace(",", ".") if "." not in raw else raw
    try:
        number = float(s)
    except ValueError:
        raise CellError(
            N_("«{value}» no es un número en grados decimales (por ejemplo -16.398803)"), value=raw
        ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CellError(
            N_("«{value}» no es un número en grados decimales (por ejemplo -16.398803)"), value=raw
        )
    return round(number, 6)


@dataclass(frozen=True)
class Degrees(CellType[float | None]):
    """A latitude or longitude in decimal degrees, may be empty; written with 6 decimals."""

    number_format: str | None = "0.000000"
    formula_safe: bool = True

    def parse(self, value: object) -> float | None:
        return parse_degrees(value)

    def text(self, value: float | None) -> str:
        return "" if value is None else f"{value:.6f}"

    def xlsx(self, value: float | None) -> object:
        return value


@dataclass(frozen=True)
class WholeNumber(CellType[int]):
    """A whole number from `minimum` to `maximum` (``30``, ``30.0``, a number cell; ``30 %`` if `percent`)."""

    minimum: int
    maximum: int
    invalid: str  # N_, with {value}: also for an empty cell when there is no `empty` value
    empty: int | None = None  # what an empty cell is
    percent: bool = False
    formula_safe: bool = True

    def parse(self, value: object) -> int:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number: float = float(value)
            raw = cell_text(value)
        else:
            raw = cell_text(value).strip()
            if not raw and self.empty is not None:
                return self.empty
            try:
                number = float((raw.rstrip("%").strip() if self.percent else raw).replace(",", "."))
            except ValueError:
                raise CellError(self.invalid, value=raw) from None
        if not number.is_integer() or not self.minimum <= number <= self.maximum:
            raise CellError(self.invalid, value=raw)
        return int(number)

    def xlsx(self, value: int) -> object:
        return value


DATETIME_INVALID = "fecha y hora no válida: use 12/12/2026 09:00"
DATETIME_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
)
YEARS_OK = range(2000, 2101)  # "12/12/26" reads as the year 26: a typo, not a date


@dataclass(frozen=True)
class DateTime(CellType[datetime]):
    """A date and time to the minute: ``12/12/2026 09:00`` (day first), ``2026-12-12 09:00`` or an XLSX
    date cell; a time without a zone is the plan's (America/Lima). Stored as an aware UTC datetime;
    written back in America/Lima as ``2026-12-12 09:00`` (CSV) or a naive local date cell (XLSX)."""

    missing: str = "falta la fecha y hora"  # the error for an empty cell (Spanish)
    tz: tzinfo = DEFAULT_TZ
    number_format: str | None = "yyyy-mm-dd hh:mm"
    formula_safe: bool = True

    def parse(self, value: object) -> datetime:
        if isinstance(value, datetime):
            local = value
        elif isinstance(value, date):
            raise CellError(DATETIME_INVALID + " (falta la hora)")
        else:
            raw = " ".join(cell_text(value).split())
            if not raw:
                raise CellError(self.missing)
            for fmt in DATETIME_FORMATS:
                try:
                    local = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise CellError(DATETIME_INVALID + " (se leyó «{value}»)", value=raw)
        if local.year not in YEARS_OK:
            raise CellError(DATETIME_INVALID + " (se leyó «{value}»)", value=cell_text(value))
        if local.tzinfo is None:
            local = local.replace(tzinfo=self.tz)
        return local.replace(second=0, microsecond=0).astimezone(UTC)

    def text(self, value: datetime) -> str:
        return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def xlsx(self, value: datetime) -> object:
        return value.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0)


YES = frozenset({"si", "s", "yes", "y", "true", "verdadero", "1", "x"})
NO = frozenset({"no", "n", "false", "falso", "0"})


@dataclass(frozen=True)
class YesNo(CellType[bool]):
    """``sí`` or ``no`` (also si, yes, x, 1, true, an XLSX boolean…); written ``sí`` / ``no``."""

    empty: bool | None = None  # what an empty cell is; None: it may not be empty

    def parse(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        raw = cell_text(value).strip()
        if not raw and self.empty is not None:
            return self.empty
        word = key(raw)
        if word in YES:
            return True
        if word in NO:
            return False
        raise CellError("«{value}» no es válido: escriba sí o no", value=raw)

    def text(self, value: bool) -> str:
        return "sí" if value else "no"


@dataclass(frozen=True)
class OrEmpty(CellType[T | None]):
    """Any cell type, optional: an empty cell is None (written back empty)."""

    inner: CellType[T]

    @property  # type: ignore[override]
    def number_format(self) -> str | None:  # type: ignore[override]
        return self.inner.number_format

    @property  # type: ignore[override]
    def formula_safe(self) -> bool:  # type: ignore[override]
        return self.inner.formula_safe

    def parse(self, value: object) -> T | None:
        return None if not cell_text(value).strip() else self.inner.parse(value)

    def text(self, value: T | None) -> str:
        return "" if value is None else self.inner.text(value)

    def xlsx(self, value: T | None) -> object:
        return None if value is None else self.inner.xlsx(value)


class Vocabulary:
    """Slugs, and the names a cell may give for each (the slug itself, a label…), matched by `key`."""

    def __init__(self) -> None:
        self._slugs: dict[str, str] = {}
        self._order: dict[str, None] = {}

    def add(self, slug: str, *names: str) -> Vocabulary:
        """Accept each name for `slug`; a name that already means another slug keeps it."""
        self._order.setdefault(slug)
        for name in names:
            self._slugs.setdefault(key(name), slug)
        return self

    @classmethod
    def labelled(cls, labels: Mapping[str, str]) -> Vocabulary:
        """Slug -> label (N_): the slug, the Spanish label and the English one."""
        vocabulary = cls()
        for slug, label in labels.items():
            vocabulary.add(slug, slug, label, gettext(label, "en"))
        return vocabulary

    def get(self, name: str) -> str | None:
        return self._slugs.get(key(name))

    @property
    def slugs(self) -> list[str]:
        return list(self._order)


@dataclass(frozen=True)
class OneOf(CellType[str]):
    """One slug of a vocabulary, by its slug or a name."""

    vocabulary: Vocabulary
    missing: str | None  # the error for an empty cell (N_); None: it may be empty
    options: Sequence[str] = ()  # what the error lists; the vocabulary's slugs by default

    def parse(self, value: object) -> str:
        raw = clean_input(cell_text(value))
        if not raw:
            if self.missing:
                raise CellError(self.missing)
            return ""
        found = self.vocabulary.get(raw)
        if found is None:
            options = ", ".join(self.options or self.vocabulary.slugs)
            raise CellError(N_("«{value}» no es válido; use uno de: {options}"), value=raw, options=options)
        return found


@dataclass(frozen=True)
class ListOf(CellType[tuple[str, ...]]):
    """Slugs of a vocabulary separated by ``|``, each once, in the order given."""

    vocabulary: Vocabulary
    missing: str | None  # the error for an empty cell (N_); None: it may be empty
    unknown: str  # N_, with {names}: the unknown ones, each in «»

    def parse(self, value: object) -> tuple[str, ...]:
        parts = [p.strip() for p in cell_text(value).split(SEPARATOR)]
        parts = [p for p in parts if p]
        if not parts and self.missing:
            raise CellError(self.missing)
        found: list[str] = []
        unknown: list[str] = []
        for part in parts:
            slug = self.vocabulary.get(part)
            if slug is None:
                unknown.append(part)
            elif slug not in found:
                found.append(slug)
        if unknown:
            raise CellError(self.unknown, names=", ".join(f"«{u}»" for u in unknown))
        return tuple(found)

    def text(self, value: tuple[str, ...]) -> str:
        return SEPARATOR.join(value)
