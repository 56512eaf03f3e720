"""The Crossover sheet: 1 to 30 clients on the API and self-hosted, for the roster's own average
API cost and the article's three scenarios, each scenario's crossover, and a line chart."""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import layout
from xlmargin.sheets.cells import (
    SUBTITLE,
    Formula,
    header_row,
    landscape,
    put,
    section,
    title,
    widths,
)
from xlmargin.sheets.formulas import Formulas

SCENARIO_ROW = 5   # rows 5-8: your roster, then the article's three
TABLE_HEADER = 11
TABLE_FIRST = 12


def scenario_columns(index: int) -> tuple[str, str, str]:
    """(API COGS, API margin, self-hosted margin) column letters of scenario ``index``."""
    first = 3 + 3 * index
    return tuple(get_column_letter(first + k) for k in range(3))  # type: ignore[return-value]


def build(wb: Workbook, ws: Worksheet, f: Formulas) -> None:
    title(ws, "Crossover: when do fine-tuned models beat the API?",
          "API costs grow with every client; self-hosting is mostly fixed. Yellow cells are "
          "inputs: try your own scenarios.")
    section(ws, "A4", "Scenarios")
    header_row(ws, 4, ["API cost / client", "Revenue / client", "Crossover (clients)"],
               first_col=2)
    names = ["Your roster", *(label for label, _cost in layout.SCENARIOS)]
    put(ws, f"A{SCENARIO_ROW}", names[0])
    put(ws, f"B{SCENARIO_ROW}", Formula(f"={layout.AVERAGE_API_COST}"), "xm_usd")
    put(ws, f"C{SCENARIO_ROW}",
        Formula(f'=IF({layout.CLIENT_COUNT}>0,'
                f'{layout.TOTAL_REVENUE}/{layout.CLIENT_COUNT},"")'), "xm_usd")
    for offset, (label, cost) in enumerate(layout.SCENARIOS, start=1):
        row = SCENARIO_ROW + offset
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", cost, "xm_input_usd")
        put(ws, f"C{row}", layout.ARTICLE_RETAINER, "xm_input_usd")
    for row in range(SCENARIO_ROW, SCENARIO_ROW + 4):
        put(ws, f"D{row}", f.crossover(f"$B${row}"), "xm_whole")
    put(ws, f"A{SCENARIO_ROW + 5}",
        "Self-hosted COGS is the same in every scenario: the fixed base plus a small amount "
        "per client, with the buffer.").font = SUBTITLE

    # The table: clients, self-hosted COGS, then per scenario API COGS and both margins.
    headers = ["Clients", "Self-hosted COGS"]
    for name in names:
        headers += [f"{name}: API COGS", "API margin", "Self-hosted margin"]
    header_row(ws, TABLE_HEADER, headers)
    ws.row_dimensions[TABLE_HEADER].height = 44
    ws.row_dimensions[4].height = 30
    last = TABLE_FIRST + layout.CROSSOVER_MAX_CLIENTS - 1
    for n in range(1, layout.CROSSOVER_MAX_CLIENTS + 1):
        row = TABLE_FIRST + n - 1
        put(ws, f"A{row}", n, "xm_whole")
        put(ws, f"B{row}", Formula(f"={f.ft_cost(f'$A{row}')}"), "xm_usd")
        for index in range(len(names)):
            api, api_margin, ft_margin = scenario_columns(index)
            cost, revenue = f"$B${SCENARIO_ROW + index}", f"$C${SCENARIO_ROW + index}"
            ready = f"AND(ISNUMBER({cost}),ISNUMBER({revenue}))"
            put(ws, f"{api}{row}", Formula(f'=IF({ready},$A{row}*{cost},"")'), "xm_usd")
            sales = f"$A{row}*{revenue}"
            put(ws, f"{api_margin}{row}",
                Formula(f'=IF({ready},{f.margin(sales, f"{api}{row}")},"")'), "xm_percent")
            put(ws, f"{ft_margin}{row}",
                Formula(f'=IF({ready},{f.margin(sales, f"$B{row}")},"")'), "xm_percent")
    widths(ws, {"A": 30, "B": 13, "C": 13, "D": 13})
    for index in range(len(names)):
        for letter in scenario_columns(index):
            ws.column_dimensions[letter].width = 12.5

    chart = LineChart()
    chart.title = "Monthly COGS: API vs self-hosted"
    chart.y_axis.title = "USD / month"
    chart.x_axis.title = "Clients"
    chart.y_axis.numFmt = '"$"#,##0'
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, min_row=TABLE_HEADER, max_row=last),
                   titles_from_data=True)
    for index in range(len(names)):
        column = 3 + 3 * index
        chart.add_data(Reference(ws, min_col=column, min_row=TABLE_HEADER, max_row=last),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=TABLE_FIRST, max_row=last))
    chart.series[0].graphicalProperties.line.width = 38100  # the fixed line, thick
    chart.height, chart.width = 10, 30
    ws.add_chart(chart, f"A{last + 3}")
    ws.freeze_panes = f"B{TABLE_FIRST}"
    landscape(ws, one_page=True)
