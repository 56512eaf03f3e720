"""The Actuals sheet's months: each client's API cost month by month (the months as columns),
its trend, when it crosses below the target margin and into underwater at its retainer, its
AI budget this month, and a line chart of the largest clients' monthly cost.

The figures are values from the import (``import-usage --json``: per client ``months``,
``trend``, ``projection``, ``budget``); the totals, the chart's data and the budget flag are
formulas over them, so an edited figure carries through. The tables keep to the sheet's
columns A..K (the roster table's widths), so the sheet still prints one page wide: more months
than fit continue in a second block of columns below the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets.cached import cache
from xlmargin.sheets.cells import (
    BOLD,
    GREEN_FILL,
    HEADER_FILL,
    HEADER_FONT,
    INK,
    MUTED,
    RED_FILL,
    SUBTITLE,
    Formula,
    fill,
    header_row,
    put,
    section,
)
from xlmargin.sheets.charts import anchor, line
from xlmargin.usage.outlook import MIN_FULL_MONTHS

MONTHS_PER_BLOCK = 10
"""Months side by side in one block (columns B..K)."""
CHARTED = 5
"""The chart's clients: the largest by cost over the period."""
NOT_WITHIN = "> 24 months"
"""A crossing the projection does not reach within its 24 months."""
OVER_BUDGET, WITHIN_BUDGET = "Over budget", "Within budget"
TOTAL_FONT = Font(name="Calibri", size=10, bold=True, color=INK)
CHART_COLORS = ("1F4E79", "C0392B", "2E8B57", "E6A118", "7D3C98")
CHART_FIRST_COLUMN = 13  # M: right of the printed columns A..K
CHART_ROWS = 18
TREND_HEADERS = ("Client", "Growth / month", "Full months", "Retainer / month",
                 "Target margin", "Below target margin from", "Underwater from",
                 "AI budget / month", "Budget month", "Projected for the month", "Budget")


@dataclass(frozen=True, slots=True)
class Row:
    """One client's line in the month tables: its name as the sheet shows it, and its usage
    (None: no usage in the period, all zeros)."""

    name: str
    usage: Mapping[str, Any] | None
    unattributed: bool = False


def month_label(month: str, partial: bool, days: int) -> str:
    """'2026-10', or '2026-11 (12 days)' for a month the period covers in part."""
    return f"{month} ({days} day{'s' * (days != 1)})" if partial else month


def covered_months(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(month, its header label) for each month of the import, in order."""
    months = list(data.get("month_list") or [])
    known: dict[str, Mapping[str, Any]] = {}
    for entry in [*(data.get("clients") or []), data.get("unattributed") or {}]:
        for item in entry.get("months") or []:
            known.setdefault(item["month"], item)
    return [(m, month_label(m, bool(known.get(m, {}).get("partial")),
                            int(known.get(m, {}).get("days") or 0))) for m in months]


def _costs(row: Row, months: Sequence[str]) -> list[float]:
    found = {item["month"]: float(item.get("cost_usd") or 0)
             for item in (row.usage or {}).get("months") or []}
    return [found.get(m, 0.0) for m in months]


def write_months(ws: Worksheet, data: Mapping[str, Any], rows: Sequence[Row], start: int,
                 starts: list[int]) -> int:
    """The month tables, the trend table and the chart from row ``start``; the next free
    row. The row each table and the chart begin on is added to ``starts``."""
    months = covered_months(data)
    if not months:
        return start
    starts.append(start)
    section(ws, f"A{start}", "API cost per client, month by month")
    put(ws, f"A{start + 1}", "Calendar months (UTC); a month the exports cover in part shows "
                             "its days. Values from the import; the totals are formulas."
        ).font = SUBTITLE
    row = start + 2
    # Where each client's cost of each month is: for the chart's formulas.
    cells: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    values: dict[str, Any] = {}  # what each cell holds, saved as the formulas' results
    month_cells: list[str] = []
    for first in range(0, len(months), MONTHS_PER_BLOCK):
        block = months[first:first + MONTHS_PER_BLOCK]
        if first:
            starts.append(row)
        header_row(ws, row, ["Client", *(label for _m, label in block)])
        ws.row_dimensions[row].height = 32
        month_cells += [f"{get_column_letter(2 + j)}{row}" for j in range(len(block))]
        values.update((f"{get_column_letter(2 + j)}{row}", label)
                      for j, (_m, label) in enumerate(block))
        top = row + 1
        for i, client in enumerate(rows):
            r = top + i
            put(ws, f"A{r}", client.name, "xm_text")
            for j, cost in enumerate(_costs(client, [m for m, _l in block])):
                cell = f"{get_column_letter(2 + j)}{r}"
                put(ws, cell, cost, "xm_usd")
                cells[i].append(cell)
                values[cell] = cost
        bottom = top + max(len(rows), 1) - 1
        if not rows:
            put(ws, f"A{top}", "(no usage)")
        total = bottom + 1
        put(ws, f"A{total}", "All imported usage").font = BOLD
        for j in range(len(block)):
            letter = get_column_letter(2 + j)
            put(ws, f"{letter}{total}", Formula(f"=SUM({letter}{top}:{letter}{bottom})"),
                "xm_usd").font = TOTAL_FONT
            cache(ws, f"{letter}{total}", sum(values.get(f"{letter}{r}", 0.0)
                                              for r in range(top, bottom + 1)))
        row = total + 2
    starts.append(row)
    row = _trend_table(ws, rows, row)
    starts.append(row)
    return _chart(ws, rows, cells, month_cells, values, row)


def _trend_table(ws: Worksheet, rows: Sequence[Row], start: int) -> int:
    section(ws, f"A{start}", "Trend, projection and AI budget")
    put(ws, f"A{start + 1}", "Growth is per month over the full months; the projection "
                             "carries it forward against the client's retainer: the month its "
                             f"margin falls below the target, and below zero ({NOT_WITHIN}: "
                             "not within 24 months).").font = SUBTITLE
    header = start + 2
    header_row(ws, header, list(TREND_HEADERS))
    ws.row_dimensions[header].height = 32
    first = header + 1
    named = [client for client in rows if not client.unattributed]
    for offset, client in enumerate(named):
        r = first + offset
        usage = client.usage or {}
        put(ws, f"A{r}", client.name, "xm_text")
        if client.usage is None:
            put(ws, f"B{r}", "no usage", "xm_text")
            continue
        _trend(ws, r, usage.get("trend"))
        _projection(ws, r, usage.get("projection"))
        _budget(ws, r, usage.get("budget"))
    last = first + max(len(named), 1) - 1
    if not named:
        put(ws, f"A{first}", "(no clients with usage)")
    _trend_highlights(ws, first, last)
    return last + 2


def _trend(ws: Worksheet, r: int, trend: Mapping[str, Any] | None) -> None:
    if trend is None:
        put(ws, f"B{r}", "no trend", "xm_text")
        return
    growth = trend.get("monthly_growth")
    if growth is None:
        full = int(trend.get("full_months") or 0)
        # Too few full months says so in short; another reason (a month without cost among
        # them) is the import's own note.
        text = (f"no rate: {full} full month{'s' * (full != 1)}"
                if full < MIN_FULL_MONTHS or not trend.get("note") else str(trend["note"]))
        put(ws, f"B{r}", text, "xm_text")
    else:
        put(ws, f"B{r}", float(growth), "xm_percent")
    put(ws, f"C{r}", int(trend.get("full_months") or 0), "xm_whole")


def _projection(ws: Worksheet, r: int, projection: Mapping[str, Any] | None) -> None:
    if projection is None:
        put(ws, f"D{r}", "no retainer", "xm_text")
        return
    put(ws, f"D{r}", float(projection["revenue_usd"]), "xm_usd")
    put(ws, f"E{r}", float(projection["target_margin"]), "xm_percent")
    for letter, key in (("F", "below_target"), ("G", "below_zero")):
        put(ws, f"{letter}{r}", projection.get(key) or NOT_WITHIN, "xm_text")


def _budget(ws: Worksheet, r: int, budget: Mapping[str, Any] | None) -> None:
    if budget is None:
        put(ws, f"K{r}", "no budget", "xm_text")
        return
    put(ws, f"H{r}", float(budget["monthly_ai_budget_usd"]), "xm_usd")
    put(ws, f"I{r}", str(budget["month"]), "xm_text")
    put(ws, f"J{r}", float(budget["projected_usd"]), "xm_usd")
    # A formula, so a budget typed over the imported one is checked too.
    put(ws, f"K{r}", Formula(f'=IF(J{r}>H{r},"{OVER_BUDGET}","{WITHIN_BUDGET}")'), "xm_text")
    over = float(budget["projected_usd"]) > float(budget["monthly_ai_budget_usd"])
    cache(ws, f"K{r}", OVER_BUDGET if over else WITHIN_BUDGET)


def _trend_highlights(ws: Worksheet, first: int, last: int) -> None:
    wrap = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)
    for r in range(first, last + 1):
        lines = 1
        for letter in "BFG":
            cell = ws[f"{letter}{r}"]
            cell.alignment = wrap
            if isinstance(cell.value, str):
                # A character of Calibri 10 is about 0.95 of a width unit; the indent takes 2.
                room = max(1.0, (ws.column_dimensions[letter].width or 10) - 2) * 1.05
                lines = max(lines, math.ceil(len(cell.value) / room))
        if lines > 1:  # neither Excel nor LibreOffice grows a row for wrapped text
            ws.row_dimensions[r].height = 13.0 * lines + 2
    ws.conditional_formatting.add(f"B{first}:B{last}", CellIsRule(
        operator="greaterThan", formula=["0"], font=Font(color="9B1C1C", bold=True)))
    ws.conditional_formatting.add(f"F{first}:G{last}", FormulaRule(
        formula=[f'AND(F{first}<>"",F{first}<>"{NOT_WITHIN}",LEFT(F{first},2)="20")'],
        fill=fill(RED_FILL), font=Font(color="9B1C1C", bold=True)))
    ws.conditional_formatting.add(f"K{first}:K{last}", FormulaRule(
        formula=[f'K{first}="{OVER_BUDGET}"'], fill=fill(RED_FILL),
        font=Font(color="9B1C1C", bold=True)))
    ws.conditional_formatting.add(f"K{first}:K{last}", FormulaRule(
        formula=[f'K{first}="{WITHIN_BUDGET}"'], fill=fill(GREEN_FILL)))
    ws.conditional_formatting.add(f"K{first}:K{last}", FormulaRule(
        formula=[f'K{first}="no budget"'], font=Font(color=MUTED, italic=True)))
    ws.conditional_formatting.add(f"B{first}:D{last}", FormulaRule(
        formula=[f'OR(B{first}="no usage",B{first}="no trend",B{first}="no retainer")'],
        font=Font(color=MUTED, italic=True)))


def largest(rows: Sequence[Row], n: int = CHARTED) -> list[int]:
    """Indexes of the ``n`` named clients with the most cost over the period, largest first
    (ties in table order); clients with no cost are left out."""
    costs = [(sum(_costs(client, [item["month"] for item in (client.usage or {}).get("months")
                                  or []])), i)
             for i, client in enumerate(rows) if not client.unattributed]
    ranked = sorted((c for c in costs if c[0] > 0), key=lambda c: (-c[0], c[1]))
    return [i for _cost, i in ranked[:n]]


def _chart(ws: Worksheet, rows: Sequence[Row], cells: Mapping[int, list[str]],
           month_cells: Sequence[str], values: Mapping[str, Any], start: int) -> int:
    """A line chart of the largest clients' monthly cost, over chart data right of the printed
    columns (formulas pointing at the month tables, one row per month, so the months run
    on however many blocks they fill)."""
    charted = largest(rows)
    if not charted:
        return start
    col = CHART_FIRST_COLUMN
    put(ws, f"{get_column_letter(col)}{start}", "Chart data: the largest clients' API cost "
                                                "per month (formulas over the tables)"
        ).font = SUBTITLE
    head = start + 1
    header_row(ws, head, ["Month"], first_col=col)
    for k, i in enumerate(charted):  # user text: through put, never a formula
        cell = put(ws, f"{get_column_letter(col + 1 + k)}{head}", rows[i].name)
        cell.font, cell.fill = HEADER_FONT, fill(HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.column_dimensions[get_column_letter(col)].width = 16
    for k in range(len(charted)):
        ws.column_dimensions[get_column_letter(col + 1 + k)].width = 14
    for m, month_cell in enumerate(month_cells):
        r = head + 1 + m
        put(ws, f"{get_column_letter(col)}{r}", Formula(f"={month_cell}"), "xm_text")
        cache(ws, f"{get_column_letter(col)}{r}", values[month_cell])
        for k, i in enumerate(charted):
            put(ws, f"{get_column_letter(col + 1 + k)}{r}", Formula(f"={cells[i][m]}"),
                "xm_usd")
            cache(ws, f"{get_column_letter(col + 1 + k)}{r}", values[cells[i][m]])
    last = head + len(month_cells)
    chart = LineChart()
    chart.title = f"API cost / month: the {len(charted)} largest client" + \
        ("s" if len(charted) != 1 else "")
    chart.y_axis.title = None
    chart.y_axis.numFmt = '"$"#,##0'
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.y_axis.majorGridlines = None
    chart.legend.position = "b"
    chart.add_data(Reference(ws, min_col=col + 1, max_col=col + len(charted), min_row=head,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=col, min_row=head + 1, max_row=last))
    for series, color in zip(chart.series, CHART_COLORS, strict=False):
        line(series, color, 2.25)
    anchor(ws, chart, f"A{start}", f"H{start + CHART_ROWS}")
    return max(start + CHART_ROWS + 1, last + 1) + 1
