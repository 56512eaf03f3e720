"""The Crossover sheet: 1 to 30 clients on the API and self-hosted, for the roster's own average
API cost and the article's three scenarios, each scenario's crossover, and a line chart.

Issue 5: with a GPU chosen on Assumptions, the self-hosted column runs as many servers as n
average clients need (a staircase), and each scenario's crossover comes from the fixed-point
search of ``calc.crossover_at_capacity``, unrolled in hidden helper columns: the first count
where self-hosting is cheaper, and the count from which it stays cheaper. The hosted open-weight
model (the third option) gets a column and a line."""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import layout
from xlmargin.sheets.cells import (
    BOLD,
    SUBTITLE,
    Formula,
    define,
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
SERVERS_COLUMN, OPEN_WEIGHT_COLUMN = "O", "P"
# The capacity box right of the scenarios: labels in F (they run over G:H), values in I.
LOAD_IN, LOAD_OUT, SHARE, PER_SERVER = "$I$5", "$I$6", "$I$7", "$I$8"
# Hidden helper columns for the staircase search, scenario rows only.
HELPER_FIRST = 20  # column T
# Self-hosted, your roster's API, the article's light/mid/heavy API, hosted open-weight.
SERIES_COLORS = ("1F4E79", "C0392B", "B7950B", "E67E22", "8E44AD", "27AE60")
STEPS = 16


def scenario_columns(index: int) -> tuple[str, str, str]:
    """(API COGS, API margin, self-hosted margin) column letters of scenario ``index``."""
    first = 3 + 3 * index
    return tuple(get_column_letter(first + k) for k in range(3))  # type: ignore[return-value]


def build(wb: Workbook, ws: Worksheet, f: Formulas) -> None:
    title(ws, "Crossover: when do fine-tuned models beat the API?",
          "API costs grow with every client; self-hosting is mostly fixed. Yellow cells are "
          "inputs: try your own scenarios.")
    section(ws, "A4", "Scenarios")
    header_row(ws, 4, ["API cost / client", "Revenue / client", "Crossover (clients)",
                       "Cheaper for good from"], first_col=2)
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
    _capacity_box(wb, ws)
    for row in range(SCENARIO_ROW, SCENARIO_ROW + 4):
        first, stays = _staircase_search(ws, row)
        classic = f.crossover(f"$B${row}")[1:]
        put(ws, f"D{row}", Formula(f'=IF({layout.GPU_NAME}="",{classic},'
                                   f'IF(ISNUMBER($B${row}),{first},""))'), "xm_whole")
        put(ws, f"E{row}", Formula(f'=IF({layout.GPU_NAME}="",$D{row},'
                                   f'IF(ISNUMBER($B${row}),{stays},""))'), "xm_whole")
        for letter in "DE":
            ws[f"{letter}{row}"].alignment = Alignment(horizontal="right", indent=1)
    put(ws, f"A{SCENARIO_ROW + 5}",
        "Self-hosted COGS is the same in every scenario: the fixed base plus a small amount "
        "per client, with the buffer; with a GPU chosen, one more server each time n average "
        "clients fill the last (a step). \"Cheaper for good from\": the count from which "
        "self-hosting stays cheaper.").font = SUBTITLE

    # The table: clients, self-hosted COGS, then per scenario API COGS and both margins.
    headers = ["Clients", "Self-hosted COGS"]
    for name in names:
        headers += [f"{name}: API COGS", "API margin", "Self-hosted margin"]
    headers += ["GPU servers", "Hosted open-weight COGS"]
    header_row(ws, TABLE_HEADER, headers)
    ws.row_dimensions[TABLE_HEADER].height = 44
    ws.row_dimensions[4].height = 30
    last = TABLE_FIRST + layout.CROSSOVER_MAX_CLIENTS - 1
    servers, open_weight = SERVERS_COLUMN, OPEN_WEIGHT_COLUMN
    for n in range(1, layout.CROSSOVER_MAX_CLIENTS + 1):
        row = TABLE_FIRST + n - 1
        put(ws, f"A{row}", n, "xm_whole")
        put(ws, f"{servers}{row}", Formula(f"={servers_at(f'$A{row}')}"), "xm_whole")
        put(ws, f"B{row}", Formula(f"={f.ft_cost(f'$A{row}', f'${servers}{row}')}"), "xm_usd")
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
        average = layout.AVERAGE_OPEN_WEIGHT_COST
        put(ws, f"{open_weight}{row}",
            Formula(f'=IF(ISNUMBER({average}),$A{row}*{average},"")'), "xm_usd")
    widths(ws, {"A": 30, "B": 13, "C": 13, "D": 13, "E": 13})
    for index in range(len(names)):
        for letter in scenario_columns(index):
            ws.column_dimensions[letter].width = 12.5
    widths(ws, {servers: 10, open_weight: 13})

    chart = LineChart()
    chart.title = "Monthly COGS: frontier API vs self-hosted vs hosted open-weight"
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
    chart.add_data(Reference(ws, min_col=column_index_from_string(open_weight),
                             min_row=TABLE_HEADER, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=TABLE_FIRST, max_row=last))
    # Fixed colors, so the lines read the same in Excel and LibreOffice: self-hosted thick
    # navy, the API scenarios warm, the hosted open-weight option dashed green.
    for series, color in zip(chart.series, SERIES_COLORS, strict=True):
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 22225
        series.smooth = False
    chart.series[0].graphicalProperties.line.width = 44450
    chart.series[1].graphicalProperties.line.width = 31750  # your roster: the line that matters
    for series in chart.series[2:5]:
        series.graphicalProperties.line.width = 15875  # the article's scenarios, for reference
    chart.series[-1].graphicalProperties.line.dashStyle = "dash"
    chart.legend.position = "b"
    chart.height, chart.width = 11, 30
    ws.add_chart(chart, f"A{last + 3}")
    ws.freeze_panes = f"B{TABLE_FIRST}"
    landscape(ws, one_page=True)


def servers_at(clients: str) -> str:
    """Servers ``clients`` average clients need: 1 with capacity off (the share is then 0)."""
    return f"MAX(1,-INT(-{clients}*{layout.SERVERS_PER_CLIENT}))"


def _capacity_box(wb: Workbook, ws: Worksheet) -> None:
    """The average client's monthly load and the share of a server it takes."""
    put(ws, "F4", Formula(f'=IF({layout.GPU_NAME}="","Capacity: off (one fixed GPU server)",'
                          f'"Capacity: "&{layout.GPU_NAME}&" at "&TEXT({layout.UTILIZATION},'
                          f'"0%")&" utilization")')).font = BOLD
    count = layout.CLIENT_COUNT
    rows = (
        ("Input tokens / average client / month", LOAD_IN,
         f'=IF({count}>0,{layout.TOTAL_INPUT_TOKENS}/{count},"")', "xm_tokens"),
        ("Output tokens / average client / month", LOAD_OUT,
         f'=IF({count}>0,{layout.TOTAL_OUTPUT_TOKENS}/{count},"")', "xm_tokens"),
        ("Servers one average client fills", SHARE,
         f'=IF({layout.GPU_NAME}="",0,IF(AND(ISNUMBER({LOAD_IN}),ISNUMBER({LOAD_OUT})),'
         f"({LOAD_IN}/{layout.PREFILL_TPS}+{LOAD_OUT}/{layout.DECODE_TPS})"
         f"/({layout.SECONDS_PER_MONTH}*{layout.UTILIZATION}),0))", "xm_decimal4"),
        ("Average clients per server", PER_SERVER,
         f'=IF({SHARE}>0,INT(1/{SHARE}),"no limit")', "xm_whole"),
    )
    for row, (label, cell, formula, style) in enumerate(rows, start=5):
        put(ws, f"F{row}", label)
        at = cell.replace("$", "")
        put(ws, at, Formula(formula), "xm_whole" if style == "xm_decimal4" else style)
        ws[at].alignment = Alignment(horizontal="right", indent=1)
        if style == "xm_decimal4":
            ws[at].number_format = "0.0000"
    define(wb, layout.SERVERS_PER_CLIENT, ws.title, SHARE)
    ws.column_dimensions["I"].width = 14


def _staircase_search(ws: Worksheet, row: int) -> tuple[str, str]:
    """Unroll calc.crossover_at_capacity's two fixed-point iterations for scenario ``row`` in
    hidden helper cells; returns the formulas (no '=') of the first cheaper count and of the
    count it stays cheaper from, each "never" or a '#' note when the search does not end."""
    def col(offset: int) -> str:
        return get_column_letter(HELPER_FIRST + offset)

    m, loaded = f"${col(0)}{row}", f"${col(1)}{row}"
    buffer = "(1+Buffer)"

    def h(x: str) -> str:
        return (f"(INT(({layout.BASE_MONTHLY}+{layout.SERVER_USD}*({servers_at(x)}-1))"
                f"*{buffer}/{m})+1)")

    api = f"$B${row}"
    put(ws, f"{col(0)}{row}", Formula(
        f'=IF(ISNUMBER({api}),{api}-PerClientUSD*{buffer}-{layout.RETRAINING_USD},"")'))
    put(ws, f"{col(1)}{row}", Formula(
        f'=IF(ISNUMBER({m}),{m}-{layout.SERVER_USD}*{layout.SERVERS_PER_CLIENT}*{buffer},"")'))
    start = 2
    put(ws, f"{col(start)}{row}", Formula(
        f'=IF(AND(ISNUMBER({loaded}),{m}>0,{loaded}>0),1,"")'))
    for step in range(1, STEPS + 1):
        x = f"{col(start + step - 1)}{row}"
        put(ws, f"{col(start + step)}{row}", Formula(
            f'=IF(ISNUMBER({x}),IF({x}<{h(x)},{h(x)},{x}),"")'))
    forward = f"{col(start + STEPS)}{row}"
    back = start + STEPS + 1
    put(ws, f"{col(back)}{row}", Formula(
        f'=IF(ISNUMBER({col(start)}{row}),INT({layout.BASE_MONTHLY}*{buffer}/{loaded}),"")'))
    for step in range(1, STEPS + 1):
        y = f"{col(back + step - 1)}{row}"
        put(ws, f"{col(back + step)}{row}", Formula(
            f'=IF(ISNUMBER({y}),IF({y}<1,{y},IF({y}>={h(y)},{h(y)}-1,{y})),"")'))
    backward = f"{col(back + STEPS)}{row}"
    too_long = f'"#over {STEPS} steps: see xlmargin report"'
    ready = f"ISNUMBER({col(start)}{row})"
    first = f"IF({ready},IF({forward}>={h(forward)},{forward},{too_long}),\"never\")"
    stays = (f"IF({ready},IF({backward}<1,{backward}+1,IF({backward}<{h(backward)},"
             f"{backward}+1,{too_long})),\"never\")")
    for offset in range(back + STEPS + 1):
        ws.column_dimensions[col(offset)].hidden = True
    if row == SCENARIO_ROW:
        put(ws, f"{col(0)}{row - 1}", "Helper: staircase crossover search (hidden)")
    return first, stays
