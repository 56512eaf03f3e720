"""Writing cells safely and consistently: text that never turns into a formula, formulas only
through ``Formula``, the workbook's styles and number formats, and defined names."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.errors import InputError
from xlmargin.models import MAX_CELL_CHARS

USD = '"$"#,##0.00'
PRICE = '"$"#,##0.00##'  # prices per 1M tokens go down to $0.005
USD_WHOLE = '"$"#,##0'
PERCENT = "0.0%"
WHOLE = "#,##0"
TOKENS = "#,##0"
DECIMAL = "0.00"

INK = "1F2937"
MUTED = "6B7280"
ACCENT = "1F4E79"
INPUT_FILL = "FFF8E1"      # pale yellow: cells the user types in
COMPUTED_FILL = "EEF3F8"   # pale blue: cells the workbook computes
HEADER_FILL = ACCENT
RED_FILL = "F8D7DA"
AMBER_FILL = "FFE8B3"
GREEN_FILL = "DCEFDC"

TITLE = Font(name="Calibri", size=16, bold=True, color=ACCENT)
SUBTITLE = Font(name="Calibri", size=10, italic=True, color=MUTED)
SECTION = Font(name="Calibri", size=12, bold=True, color=ACCENT)
HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
BOLD = Font(name="Calibri", size=11, bold=True, color=INK)
HAIR = Side(style="thin", color="D1D5DB")
GRID = Border(bottom=HAIR)

# A leading character that a spreadsheet (or a user re-editing the cell) reads as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Formula(str):
    """A string that is meant to be a formula. Every other string is written as text."""


def fill(color: str) -> PatternFill:
    return PatternFill("solid", start_color=color, end_color=color)


def named_styles(wb: Workbook) -> None:
    """Register the styles once, so 10,000 rows share a handful of style records."""
    specs = {
        "xm_input_text": (None, INPUT_FILL, "left"),
        "xm_input_number": (WHOLE, INPUT_FILL, "right"),
        "xm_input_decimal": ("#,##0.##", INPUT_FILL, "right"),
        "xm_input_usd": (USD, INPUT_FILL, "right"),
        "xm_input_price": (PRICE, INPUT_FILL, "right"),
        "xm_input_percent": (PERCENT, INPUT_FILL, "right"),
        "xm_lookup_number": (WHOLE, INPUT_FILL, "right"),
        "xm_tokens": (TOKENS, COMPUTED_FILL, "right"),
        "xm_usd": (USD, COMPUTED_FILL, "right"),
        "xm_percent": (PERCENT, COMPUTED_FILL, "right"),
        "xm_whole": (WHOLE, COMPUTED_FILL, "right"),
        "xm_text": (None, COMPUTED_FILL, "left"),
    }
    for name, (number_format, color, align) in specs.items():
        style = NamedStyle(name=name)
        style.font = Font(name="Calibri", size=10, color=INK,
                          italic=name == "xm_lookup_number")
        style.fill = fill(color)
        style.border = GRID
        # An indent keeps right-aligned numbers off the next column's left-aligned text.
        style.alignment = Alignment(horizontal=align, vertical="center", indent=1)
        if number_format:
            style.number_format = number_format
        wb.add_named_style(style)


def put(ws: Worksheet, coordinate: str, value: Any, style: str | None = None) -> Any:
    """Write ``value``: a Formula as a formula, any other str as text, numbers as numbers."""
    cell = ws[coordinate]
    if style:
        # Before the value: a named style resets the quote prefix set below.
        cell.style = style
    if isinstance(value, Formula):
        cell.value = str(value)
    elif isinstance(value, str):
        write_text(cell, value, f"{ws.title}!{coordinate}")
    else:
        cell.value = value
    return cell


def write_text(cell: Any, text: str, where: str) -> None:
    """The one way user text reaches a cell: as text, never a formula, and quote-prefixed when
    it starts like one, so re-entering the cell in Excel keeps it text. Control characters,
    which a worksheet's XML cannot hold, become spaces."""
    if len(text) > MAX_CELL_CHARS:
        raise InputError(where, f"text longer than Excel's {MAX_CELL_CHARS:,} characters per "
                         "cell")
    cleaned = clean_text(text)
    if cleaned != text:
        _CLEANED.setdefault(cell.parent.parent, []).append(where)
    cell.value = cleaned
    # openpyxl guesses "formula" for text starting with '='; assigning re-guesses, so the type
    # is set after the value.
    cell.data_type = "s"
    cell.quotePrefix = text.startswith(FORMULA_STARTS)


# Where write_text replaced control characters, per workbook, so the command that saves it can
# say so (weak: a workbook's record goes with it).
_CLEANED: WeakKeyDictionary[Workbook, list[str]] = WeakKeyDictionary()
LISTED_CELLS = 10


def cleaned_warning(wb: Workbook) -> str | None:
    """One line naming the cells whose text lost control characters, or None."""
    cells = list(dict.fromkeys(_CLEANED.get(wb, ())))
    if not cells:
        return None
    more = len(cells) - LISTED_CELLS
    return ("control characters (a worksheet cannot hold them) replaced by spaces in "
            + ", ".join(cells[:LISTED_CELLS]) + (f" and {more:,} more cell(s)" if more > 0
                                                  else ""))


def clean_properties(wb: Workbook) -> None:
    """The document properties (File > Info) are XML too, and the title holds the agency's
    name: their control characters become spaces as well, and are named like cells."""
    properties = wb.properties
    for name in type(properties).__elements__:
        value = getattr(properties, name, None)
        if isinstance(value, str) and clean_text(value) != value:
            setattr(properties, name, clean_text(value))
            _CLEANED.setdefault(wb, []).append(f"the workbook's {name} property")


_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127], " ")


def clean_text(text: str) -> str:
    """``text`` without the control characters XML 1.0 forbids (NUL, escape, ...): each is a
    space. Tabs and line breaks stay."""
    return text.translate(_CONTROL) if not text.isprintable() else text


def header_row(ws: Worksheet, row: int, labels: list[str], first_col: int = 1) -> None:
    for offset, label in enumerate(labels):
        cell = ws.cell(row=row, column=first_col + offset)
        cell.value = label
        cell.data_type = "s"
        cell.font = HEADER_FONT
        cell.fill = fill(HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def title(ws: Worksheet, text: str, subtitle: str = "") -> None:
    put(ws, "A1", text).font = TITLE
    if subtitle:
        put(ws, "A2", subtitle).font = SUBTITLE
    ws.row_dimensions[1].height = 24


def section(ws: Worksheet, coordinate: str, text: str) -> None:
    put(ws, coordinate, text).font = SECTION


def define(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    """A workbook-level name, e.g. define(wb, 'RetryRate', 'Assumptions', '$B$7')."""
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheet(sheet)}!{ref}")


def quote_sheet(title: str) -> str:
    return f"'{title}'" if not title.replace("_", "").isalnum() else title


def widths(ws: Worksheet, columns: dict[str, float]) -> None:
    for letter, width in columns.items():
        ws.column_dimensions[letter].width = width


def landscape(ws: Worksheet, one_page: bool = False) -> None:
    """Print on landscape pages, all columns one page wide (and all rows too if ``one_page``)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
