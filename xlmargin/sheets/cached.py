"""Formula cells saved with the value the Python engine computes for them.

A spreadsheet file stores each formula with its last result. openpyxl writes formulas with an
empty result, so a workbook that no spreadsheet program has recalculated reads as blanks in
Quick Look, Outlook and phone previews, pandas and ``openpyxl(data_only=True)``, and an .xlsm
opened where its add-in is missing shows #NAME? in every computed cell. ``new`` therefore
computes the roster with ``portfolio.compute`` (what ``report`` prints) and saves every formula
cell's result: the Clients rows and the Summary's totals from the engine, the other sheets from
those numbers by each sheet's own rule (a module per sheet: ``cached_summary``,
``cached_crossover``, ``cached_sensitivity``, ``cached_plan``, ``cached_inputs``), text cells
with their text. Excel and LibreOffice still recalculate everything when the file opens
(``fullCalcOnLoad``); in the ``udf`` mode a result is what the xlmargin function answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from et_xmlfile.xmlfile import _IncrementalFileWriter
from openpyxl import LXML
from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet import _writer
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import Element, SubElement

from xlmargin.catalog import Catalog
from xlmargin.models import AgencySettings
from xlmargin.portfolio import ClientResult, Portfolio, PricedClient
from xlmargin.sheets import layout
from xlmargin.sheets.cached_math import CellError, Dialect
from xlmargin.sheets.cells import clean_text

ATTRIBUTE = "_xlmargin_cached"
MISSING = object()
# The Clients sheet's computed columns, as the engine names them.
CLIENT_VALUES = ("tokens_per_month", "api_cost", "ft_cost", "api_margin", "ft_margin",
                 "status", "output_tokens_per_month", "open_weight_cost")
# The classic workbook's plain-formula copies (layout.NO_ADDIN_COLUMNS) and what they copy.
NO_ADDIN_VALUES = {"no_addin_api_cost": "api_cost", "no_addin_status": "status",
                   "no_addin_api_margin": "api_margin"}


def results(ws: Worksheet) -> dict[tuple[int, int], Any]:
    """The sheet's saved results by (row, column number), for writing many at once."""
    found: dict[tuple[int, int], Any] = ws.__dict__.setdefault(ATTRIBUTE, {})
    return found


def cache(ws: Worksheet, coordinate: str, value: Any) -> None:
    """Save ``value`` as the result of the formula at ``coordinate``."""
    results(ws)[coordinate_to_tuple(coordinate)] = value


@dataclass
class Book:
    """What the sheets' results are computed from, and the named cells' values so far."""

    wb: Workbook
    settings: AgencySettings
    priced: Sequence[PricedClient]
    portfolio: Portfolio
    dialect: Dialect
    """The Clients and Crossover sheets' formulas: the xlmargin functions in the udf mode."""
    last_row: int
    """The last Clients row the formulas cover (rows kept for new clients included)."""
    catalog: Catalog | None = None
    """The prices the workbook was built with (the Functions sheet's catalog functions)."""
    names: dict[str, Any] = field(default_factory=dict)
    plain: Dialect = field(default_factory=lambda: Dialect(udf=False))
    """The Summary's, Plan's and Sensitivity's: built-in functions in every mode, so that they
    hold where the add-in is missing."""

    @property
    def results(self) -> list[ClientResult | None]:
        """One per Clients row from the first to ``last_row``: the engine's, None when blank."""
        found: list[ClientResult | None] = list(self.portfolio.clients)
        return found + [None] * (self.last_row - layout.FIRST_ROW + 1 - len(found))

    def name(self, name: str, value: Any) -> None:
        """A named cell's value, cached where the name points."""
        self.names[name] = value
        defined = self.wb.defined_names.get(name)
        if defined is not None:
            for sheet, ref in defined.destinations:
                cache(self.wb[sheet], ref.replace("$", ""), value)

    def sheet(self, title: str) -> Worksheet | None:
        return self.wb[title] if title in self.wb.sheetnames else None


def cache_engine_values(wb: Workbook, priced: Sequence[PricedClient], portfolio: Portfolio,
                        settings: AgencySettings, last_row: int, *, udf: bool,
                        catalog: Catalog | None = None) -> None:
    """The engine's numbers for the Clients rows (``priced`` in roster order, ``portfolio``
    computed from them), the empty rows below them up to ``last_row``, and every other sheet's
    formulas."""
    from xlmargin.sheets import (
        cached_crossover,
        cached_inputs,
        cached_plan,
        cached_sensitivity,
        cached_summary,
    )

    _clients(wb, priced, portfolio, last_row)
    book = Book(wb, settings, priced, portfolio, Dialect(udf), last_row, catalog)
    cached_inputs.assumptions(book)
    cached_summary.totals(book)
    cached_summary.options(book)
    cached_crossover.sheet(book)
    cached_plan.sheet(book)
    cached_summary.listed(book)
    cached_summary.sentences(book)
    cached_sensitivity.sheet(book)
    cached_inputs.functions(book)


def _clients(wb: Workbook, priced: Sequence[PricedClient], portfolio: Portfolio,
             last_row: int) -> None:
    ws = wb[layout.CLIENTS]
    found = results(ws)
    column = {key: column_index_from_string(letter) for key, letter in layout.COL.items()}
    computed = [(column[key], key) for key in CLIENT_VALUES]
    computed += [(column[key], of) for key, of in NO_ADDIN_VALUES.items()
                 if ws.cell(row=layout.FIRST_ROW, column=column[key]).data_type == "f"]
    tokens = [(column[key], key) for key in ("input_tokens", "output_tokens")]
    row = layout.FIRST_ROW
    for client, result in zip(priced, portfolio.clients, strict=True):
        for index, key in computed:
            value = getattr(result, key)
            found[row, index] = "" if value is None else value
        for index, key in tokens:
            if ws.cell(row=row, column=index).data_type == "f":  # the use case's tokens
                found[row, index] = getattr(client, key)
        row += 1
    for blank in range(row, last_row + 1):  # rows kept for new clients show nothing
        for index, _key in (*computed, *tokens):
            found[blank, index] = ""


@contextmanager
def cached_values_written() -> Iterator[None]:
    """While saving: formula cells with a cached value are written with it."""
    original = _writer.write_cell

    def write_cell(xf: Any, worksheet: Worksheet, cell: Any, styled: Any = None) -> None:
        found = worksheet.__dict__.get(ATTRIBUTE)
        if found and cell.data_type == "f" and isinstance(cell._value, str):
            result = found.get((cell.row, cell.column), MISSING)
            if result is not MISSING:
                _write_with_result(xf, cell, styled, result)
                return
        original(xf, worksheet, cell, styled)

    _writer.write_cell = write_cell
    try:
        yield
    finally:
        _writer.write_cell = original


def _write_with_result(xf: Any, cell: Any, styled: Any, result: Any) -> None:
    attributes = {"r": cell.coordinate}
    if styled:
        attributes["s"] = f"{cell.style_id}"
    if isinstance(result, CellError):
        attributes["t"], text = "e", str(result)
    elif isinstance(result, bool):
        attributes["t"], text = "b", "1" if result else "0"
    elif isinstance(result, int):
        text = str(result)
    elif isinstance(result, float) and math.isfinite(result):
        text = repr(result)  # every digit: the value reads back exactly
    else:
        # As the cell's own text would be (cells.write_text): a client's name may hold
        # characters XML cannot, and the result shows what the formula does with the cleaned one.
        attributes["t"], text = "str", clean_text(str(result))
    formula = cell._value[1:]
    if LXML:  # openpyxl writes with lxml's incremental writer where lxml is installed
        with xf.element("c", attributes):
            with xf.element("f"):
                xf.write(formula)
            with xf.element("v"):
                xf.write(text)
        return
    raw = getattr(xf, "_file", None)
    if isinstance(xf, _IncrementalFileWriter) and callable(raw) and xf._element_stack:
        # et_xmlfile serializes an element in pure Python, several times slower than the
        # cell's text: inside <sheetData> the cell is written as that text (the same bytes).
        # Attribute values are coordinates, numbers and letters; the texts are escaped.
        tags = "".join(f' {key}="{value}"' for key, value in attributes.items())
        raw(f"<c{tags}><f>{escape(formula)}</f><v>{escape(text)}</v></c>")
        return
    element = Element("c", attributes)
    SubElement(element, "f").text = formula
    SubElement(element, "v").text = text
    xf.write(element)
