"""The Pricing sheet: the roster's models and a curated list of current ones, USD per 1M tokens.

It is the workbook's source of truth: every cost looks its prices up here, so editing a price
(a negotiated rate, a new model) changes every client that uses it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.models import ModelPrice
from xlmargin.sheets import layout, page
from xlmargin.sheets.cells import define, header_row, put, title, widths


def build(wb: Workbook, ws: Worksheet, prices: Sequence[ModelPrice], as_of: date,
          extra_rows: int) -> None:
    title(ws, "Pricing",
          f"List prices in USD per 1M tokens as of {as_of.isoformat()} (genai-prices). Edit a "
          "price, or add a model in an empty row, and every cost that uses it changes.")
    widths(ws, {"A": 28, "B": 12, "C": 26, "D": 12, "E": 12, "F": 12, "G": 12, "H": 14})
    header_row(ws, layout.HEADER_ROW, list(layout.PRICING_HEADERS))
    ws.row_dimensions[layout.HEADER_ROW].height = 30
    row = layout.HEADER_ROW
    for price in prices:
        row += 1
        put(ws, f"A{row}", price.model, "xm_input_text")
        put(ws, f"B{row}", price.provider, "xm_input_text")
        put(ws, f"C{row}", price.name or "", "xm_input_text")
        put(ws, f"D{row}", price.input_usd_per_mtok, "xm_input_price")
        put(ws, f"E{row}", price.output_usd_per_mtok, "xm_input_price")
        put(ws, f"F{row}", price.cache_read_or_input_usd_per_mtok, "xm_input_price")
        put(ws, f"G{row}", (price.as_of or as_of).isoformat(), "xm_input_text")
        put(ws, f"H{row}", price.source, "xm_input_text")
    last = row + extra_rows
    for blank in range(row + 1, last + 1):
        for letter in "ABCGH":
            ws[f"{letter}{blank}"].style = "xm_input_text"
        for letter in "DEF":
            ws[f"{letter}{blank}"].style = "xm_input_price"
    first = layout.FIRST_ROW
    for name, letter in ((layout.PRICE_MODELS, "A"), (layout.PRICE_INPUT, "D"),
                         (layout.PRICE_OUTPUT, "E"), (layout.PRICE_CACHE, "F")):
        define(wb, name, ws.title, f"${letter}${first}:${letter}${last}")
    ws.freeze_panes = f"B{layout.FIRST_ROW}"
    ws.print_title_rows = f"{layout.HEADER_ROW}:{layout.HEADER_ROW}"
    ws.print_area = f"A1:H{row}"
    page.fit_width(ws)
