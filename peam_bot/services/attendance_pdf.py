"""The printable Lista de Asistentes (A4 portrait, fpdf2): the event's header, one table row per person
(long names wrap; the column headings repeat on every page), the totals, "Página n de N" and a
signature line for the organizer, kept together on one page.

The font is DejaVu Sans Condensed, shipped unmodified in `peam_bot/data/fonts` (its licence allows it,
see LICENSE-DejaVu.txt): every Spanish letter (á, é, ñ, ü, ¿, ¡) prints as written; a character the
font has no glyph for (an emoji in a name) is left out rather than printed as a box.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"
FONT = "DejaVuCondensed"
# n°, nombre, organización, tipo, distrito, inscripción, ingreso, método: 180 mm (A4 less 2 × 15 mm)
WIDTHS = (7, 41, 35, 14, 22, 21, 21, 19)
HEADINGS = ("N°", "Nombre", "Organización", "Tipo", "Distrito", "Inscripción", "Ingreso", "Método")
TIME = "%d/%m/%y %H:%M"  # the cells' times (America/Lima), short enough for their column


class _ListPDF(FPDF):
    code = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        self.set_text_color(90)
        self.cell(0, 5, f"Lista de asistentes {self.code} · Página {self.page_no()} de {{nb}}", align="C")


def _printable(pdf: FPDF, text: str) -> str:
    """Only the characters the font can draw."""
    font: Any = pdf.current_font
    cmap = getattr(font, "cmap", None)
    if not cmap:
        return text
    return "".join(c for c in text if c in "\n " or ord(c) in cmap)


def render_pdf(
    code: str,
    header: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[str]],
    totals: Sequence[tuple[str, int]],
    organizer: str,
    *,
    compress: bool = True,
) -> bytes:
    """The list of event `code`: `header` (label, value) lines, `rows` of the HEADINGS' cells (texts),
    the `totals` and the organizer's signature line. `compress`: the PDF's streams."""
    pdf = _ListPDF(orientation="portrait", unit="mm", format="A4")
    pdf.code = code
    pdf.set_compression(compress)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSansCondensed.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSansCondensed-Bold.ttf"))
    pdf.set_title(f"Lista de asistentes {code}")
    pdf.set_creator("peam-bot")
    pdf.add_page()

    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 7, "Lista de asistentes", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.cell(
        0, 5, "Plan Estratégico de Arequipa Metropolitana (PEAM) · AQPlan", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    for label, value in header:
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(28, 5.5, f"{label}:")
        pdf.set_font(FONT, "", 9.5)
        pdf.multi_cell(0, 5.5, _printable(pdf, value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font(FONT, "", 7.5)
    with pdf.table(
        col_widths=WIDTHS,
        width=sum(WIDTHS),
        line_height=4,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225)),
        padding=0.8,
    ) as table:
        table.row(HEADINGS)
        for cells in rows:
            table.row([_printable(pdf, c) for c in cells])
    if not rows:
        pdf.cell(0, 6, "Nadie inscrito.", new_x="LMARGIN", new_y="NEXT")

    if pdf.get_y() > pdf.h - 18 - 52:  # the totals and the signature stay together
        pdf.add_page()
    pdf.ln(5)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Totales", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9.5)
    for label, n in totals:
        pdf.cell(50, 5.5, f"{label}:")
        pdf.cell(0, 5.5, str(n), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    x = pdf.l_margin
    pdf.line(x, pdf.get_y(), x + 80, pdf.get_y())
    pdf.ln(1.5)
    pdf.cell(0, 5, "Firma del organizador(a)", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _printable(pdf, f"Nombre: {organizer}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, "DNI: ____________________     Fecha: ____ / ____ / ______", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
