"""Formula cells saved with the value the Python engine computes for them.

A spreadsheet file stores each formula with its last result. openpyxl writes formulas with an
empty result, so a workbook that no spreadsheet program has recalculated reads as blanks in
Quick Look, Outlook and phone previews, pandas and ``openpyxl(data_only=True)``, and an .xlsm
opened where its add-in is missing shows #NAME? in every computed cell. ``new`` therefore
computes the roster with ``portfolio.compute`` (what ``report`` prints) and saves those numbers
as the results of the Clients sheet's computed cells and the Summary's totals. Excel and
LibreOffice still recalculate everything when the file opens (``fullCalcOnLoad``).

Only cells whose value the engine knows get one; every other formula is saved as before.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from openpyxl import LXML
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet import _writer
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import Element, SubElement

from xlmargin.portfolio import BELOW_TARGET, UNDERWATER, Portfolio, PricedClient
from xlmargin.sheets import layout

ATTRIBUTE = "_xlmargin_cached"
# The Clients sheet's computed columns, as the engine names them.
CLIENT_VALUES = ("tokens_per_month", "api_cost", "ft_cost", "api_margin", "ft_margin",
                 "status", "output_tokens_per_month", "open_weight_cost")
# The classic workbook's plain-formula copies (layout.NO_ADDIN_COLUMNS) and what they copy.
NO_ADDIN_VALUES = {"no_addin_api_cost": "api_cost", "no_addin_status": "status",
                   "no_addin_api_margin": "api_margin"}


def cache(ws: Worksheet, coordinate: str, value: Any) -> None:
    """Save ``value`` as the result of the formula at ``coordinate``."""
    found = ws.__dict__.setdefault(ATTRIBUTE, {})
    found[coordinate] = value


def cache_engine_values(wb: Workbook, priced: Sequence[PricedClient], portfolio: Portfolio,
                        target_margin: float, last_row: int) -> None:
    """The engine's numbers for the Clients rows (``priced`` in roster order, ``portfolio``
    computed from them), the empty rows below them up to ``last_row``, and the Summary."""
    ws = wb[layout.CLIENTS]
    col = layout.COL
    row = layout.FIRST_ROW
    copies = {key: of for key, of in NO_ADDIN_VALUES.items()
              if ws[f"{col[key]}{row}"].data_type == "f"}
    for client, result in zip(priced, portfolio.clients, strict=True):
        for key, of in (*((k, k) for k in CLIENT_VALUES), *copies.items()):
            value = getattr(result, of)
            cache(ws, f"{col[key]}{row}", "" if value is None else value)
        for key in ("input_tokens", "output_tokens"):
            if ws[f"{col[key]}{row}"].data_type == "f":  # the use case's tokens
                cache(ws, f"{col[key]}{row}", getattr(client, key))
        row += 1
    for blank in range(row, last_row + 1):  # rows kept for new clients show nothing
        for key in (*CLIENT_VALUES, *copies, "input_tokens", "output_tokens"):
            cache(ws, f"{col[key]}{blank}", "")
    _summary(wb, portfolio, target_margin)


def _summary(wb: Workbook, p: Portfolio, target_margin: float) -> None:
    below = [c for c in p.clients if c.status in (UNDERWATER, BELOW_TARGET)]
    raise_usd = (sum(c.api_cost for c in below) / (1 - target_margin)
                 - sum(c.revenue for c in below))
    values = {
        layout.CLIENT_COUNT: len(p.clients),
        layout.TOTAL_REVENUE: p.revenue,
        layout.API_COGS: p.api_cogs,
        layout.FT_COGS: p.ft_cogs,
        layout.API_MARGIN: "" if p.api_margin is None else p.api_margin,
        layout.FT_MARGIN: "" if p.ft_margin is None else p.ft_margin,
        layout.SAVINGS: p.api_cogs - p.ft_cogs,
        layout.AVERAGE_API_COST: "" if p.average_api_cost is None else p.average_api_cost,
        layout.CROSSOVER_CLIENTS: "never" if p.crossover is None else p.crossover,
        layout.TOTAL_TOKENS: sum(c.tokens_per_month for c in p.clients),
        layout.UNDERWATER_CLIENTS: sum(c.status == UNDERWATER for c in p.clients),
        layout.BELOW_TARGET_CLIENTS: sum(c.status == BELOW_TARGET for c in p.clients),
        layout.TARGET_RAISE: raise_usd,
    }
    for name, value in values.items():
        defined = wb.defined_names.get(name)
        if defined is None:
            continue
        for sheet, ref in defined.destinations:
            cache(wb[sheet], ref.replace("$", ""), value)


@contextmanager
def cached_values_written() -> Iterator[None]:
    """While saving: formula cells with a cached value are written with it."""
    original = _writer.write_cell

    def write_cell(xf: Any, worksheet: Worksheet, cell: Any, styled: Any = None) -> None:
        found = worksheet.__dict__.get(ATTRIBUTE)
        if (found and cell.data_type == "f" and isinstance(cell._value, str)
                and cell.coordinate in found):
            _write_with_result(xf, cell, styled, found[cell.coordinate])
        else:
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
    if isinstance(result, bool):
        attributes["t"], text = "b", "1" if result else "0"
    elif isinstance(result, int):
        text = str(result)
    elif isinstance(result, float) and math.isfinite(result):
        text = repr(result)  # every digit: the value reads back exactly
    else:
        attributes["t"], text = "str", str(result)
    formula = cell._value[1:]
    if LXML:  # openpyxl writes with lxml's incremental writer where lxml is installed
        with xf.element("c", attributes):
            with xf.element("f"):
                xf.write(formula)
            with xf.element("v"):
                xf.write(text)
        return
    element = Element("c", attributes)
    SubElement(element, "f").text = formula
    SubElement(element, "v").text = text
    xf.write(element)
