"""Printing: every sheet on landscape A4 or Letter at a size a person can read.

A sheet either fits its columns to the page width (``fit_width``: Excel and LibreOffice pick the
scale) or, where the page breaks matter, prints at a fixed scale with breaks placed by hand
(``fixed``): Excel ignores manual breaks once "fit to" is on. The fixed scale is worked out from
the column widths for the narrower page of the two (Letter is 11 in wide, A4 8.27 in high), so
either paper takes it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from openpyxl.styles import Alignment, Font
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets.cells import MUTED

MARGIN_IN = 0.4
PAGE_WIDTH_IN = 11.0 - 2 * MARGIN_IN     # Letter landscape, the narrower width
PAGE_HEIGHT_IN = 8.27 - 2 * 0.55 - 0.3   # A4 landscape, the lower height, header and footer
PIXELS_PER_IN = 96
POINTS_PER_IN = 72
DEFAULT_WIDTH = 8.43
DEFAULT_ROW_PT = 15.0
MIN_SCALE = 55  # below this text is under 6 pt: split the sheet instead
NOTE_FONT = Font(name="Calibri", size=10, color="374151")
SMALL_NOTE = Font(name="Calibri", size=9, italic=True, color=MUTED)


def _setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = 0.55
    ws.page_margins.header = ws.page_margins.footer = 0.25
    ws.oddFooter.center.text = "&A, page &P of &N"
    ws.oddFooter.center.size = 8


def fit_width(ws: Worksheet, one_page: bool = False, pages_wide: int = 1) -> None:
    """All columns ``pages_wide`` pages wide, rows over as many pages as they need (or one).
    Two pages wide with title columns: the program breaks at the column that fills the first
    page, whatever the font's width."""
    _setup(ws)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 1 if one_page else 0


# Excel draws a width unit as 7 pixels of Calibri 11; where Calibri (or its metric twin
# Carlito) is missing, LibreOffice draws the fallback font's wider digits, about 9.5: a fixed
# scale must fit the wider.
PX_PER_UNIT = 9.5


def width_px(ws: Worksheet, first: str, last: str) -> float:
    """Width of the visible columns first..last in pixels at 100%, for the wider of the two
    fonts a spreadsheet may draw them in."""
    total = 0.0
    for index in range(column_index_from_string(first), column_index_from_string(last) + 1):
        dim = ws.column_dimensions.get(get_column_letter(index))
        if dim is not None and dim.hidden:
            continue
        width = dim.width if dim is not None and dim.width else DEFAULT_WIDTH
        total += math.trunc(width * PX_PER_UNIT + 5)
    return total


def scale_for(pages_px: Iterable[float]) -> int:
    """The largest scale at which each page's columns (their ``width_px``) fit the width."""
    fits = PAGE_WIDTH_IN * PIXELS_PER_IN * 0.97 / max(pages_px)
    return max(MIN_SCALE, min(100, math.floor(fits * 100)))


def fixed(ws: Worksheet, scale: int, *, column_breaks: Iterable[str] = (),
          row_breaks: Iterable[int] = ()) -> None:
    """Print at ``scale`` percent with a page break after each column letter and row given."""
    _setup(ws)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = scale
    for letter in column_breaks:
        ws.col_breaks.append(Break(id=column_index_from_string(letter)))
    for row in row_breaks:
        ws.row_breaks.append(Break(id=row))


def height_pt(ws: Worksheet, first: int, last: int) -> float:
    """Height of rows first..last at 100%, in points."""
    heights = (ws.row_dimensions[r].height if r in ws.row_dimensions else None
               for r in range(first, last + 1))
    return sum(h or DEFAULT_ROW_PT for h in heights)


def scale_for_height(points: float) -> int:
    """The largest scale at which ``points`` of rows fit one page's height."""
    fits = PAGE_HEIGHT_IN * POINTS_PER_IN * 0.97 / points
    return max(MIN_SCALE, min(100, math.floor(fits * 100)))


def wrapped(ws: Worksheet, coordinate: str, width: float, *, font: Font = NOTE_FONT,
            line_pt: float = 13.0) -> None:
    """Wrap a cell's text within ``width`` characters and make its row tall enough for it.

    Neither Excel nor LibreOffice grows a row for wrapped text written by openpyxl, so the
    height is set from the text's length (a Calibri 10 character is about 0.95 of a width
    unit); a row keeps the height of its tallest such cell."""
    cell = ws[coordinate]
    cell.font = font
    cell.alignment = Alignment(wrap_text=True, vertical="top",
                               horizontal=cell.alignment.horizontal)
    text = str(cell.value or "")
    per_line = max(1.0, width * 1.05 * (10 / (font.size or 10)))
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    height = max(DEFAULT_ROW_PT, lines * line_pt + 2)
    current = ws.row_dimensions[cell.row].height
    if current is None or current < height:
        ws.row_dimensions[cell.row].height = height


def hide_columns(ws: Worksheet, letters: Iterable[str]) -> None:
    for letter in letters:
        ws.column_dimensions[letter].hidden = True
