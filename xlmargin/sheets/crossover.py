"""The Crossover sheet: 1 to 30 clients on the API and self-hosted, for the roster's own average
API cost and the article's three scenarios, each scenario's crossover, and two charts
(``crossover_charts``): your roster's lines with the crossover marked, and the article's
scenarios.

With a GPU chosen on Assumptions, the self-hosted column runs as many servers as n average
clients need (a staircase), and each scenario's crossover comes from the fixed-point search of
``calc.crossover_at_capacity``, unrolled in hidden helper columns: the first count where
self-hosting is cheaper, and the count from which it stays cheaper. The hosted open-weight model
(the third option) gets a column and a line."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.models import AgencySettings
from xlmargin.sheets import crossover_charts, layout, page
from xlmargin.sheets.cells import (
    BOLD,
    SUBTITLE,
    Formula,
    define,
    header_row,
    put,
    section,
    title,
    widths,
)
from xlmargin.sheets.formulas import Formulas

HEADLINE_ROW = 3
SCENARIO_ROW = 5   # rows 5-8: your roster, then the article's three
CHARTS_FIRST, CHARTS_LAST = 12, 34
GROUP_ROW = 36     # each scenario's name over its columns
TABLE_HEADER = 37
TABLE_FIRST = 38
# The table, left to right: clients, self-hosted COGS, your roster's API COGS and both margins,
# the article's three scenarios' API COGS, the options, then the scenarios' margins (grouped and
# folded away: the article's margins hardly move with the client count).
SERVERS_COLUMN, OPEN_WEIGHT_COLUMN = "I", "J"
SCENARIO_MARGINS_FIRST = 11  # column K
# The chart's two marked points, hidden.
CROSSING_COLUMN, TODAY_COLUMN = "R", "S"
# The capacity box right of the scenarios: labels in F (they run over G:H), values in I.
LOAD_IN, LOAD_OUT, SHARE, PER_SERVER = "$I$5", "$I$6", "$I$7", "$I$8"
# Hidden helper columns for the staircase search, scenario rows only.
HELPER_FIRST = 20  # column T
STEPS = 16


def scenario_columns(index: int) -> tuple[str, str, str]:
    """(API COGS, API margin, self-hosted margin) column letters of scenario ``index``: the
    roster (0) in C:E, the article's scenarios' COGS in F:H and their margins from K."""
    if index == 0:
        return "C", "D", "E"
    margins = SCENARIO_MARGINS_FIRST + 2 * (index - 1)
    return (get_column_letter(5 + index), get_column_letter(margins),
            get_column_letter(margins + 1))


def build(wb: Workbook, ws: Worksheet, f: Formulas, settings: AgencySettings) -> None:
    title(ws, "Crossover: when do fine-tuned models beat the API?",
          "API costs grow with every client; self-hosting is mostly fixed. Yellow cells are "
          "inputs: try your own scenarios.")
    put(ws, f"A{HEADLINE_ROW}", Formula(headline())).font = BOLD
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
    put(ws, f"A{SCENARIO_ROW + 4}", layout.SCENARIO_NOTE).font = SUBTITLE
    note = f"A{SCENARIO_ROW + 5}"
    put(ws, note,
        "Self-hosted COGS is the same in every scenario: the fixed base plus a small amount "
        "per client, with the buffer; with a GPU chosen, one more server each time n average "
        "clients fill the last (a step). \"Cheaper for good from\": the count from which "
        "self-hosting stays cheaper.")
    ws.merge_cells(f"{note}:H{SCENARIO_ROW + 5}")
    page.wrapped(ws, note, 100, font=SUBTITLE)

    _table_headers(ws, len(names))
    ws.row_dimensions[GROUP_ROW].height = 30
    ws.row_dimensions[TABLE_HEADER].height = 30
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
    points = _chart_points(ws, last)
    _columns(ws, settings)
    crossover_charts.add(ws, TABLE_HEADER, TABLE_FIRST, last, settings,
                         (f"A{CHARTS_FIRST}", f"E{CHARTS_LAST}"),
                         (f"E{CHARTS_FIRST}", f"{'K' if settings.open_weight_model else 'I'}"
                                              f"{CHARTS_LAST}"), points)
    ws.freeze_panes = f"B{TABLE_FIRST}"
    _print(ws, last)


def _chart_points(ws: Worksheet, last: int) -> dict[str, tuple[str, str]]:
    """(x, y) cells of the chart's two marked points, in hidden cells: the crossover on the
    self-hosted line, today's client count on your roster's API line. Off the chart (#N/A)
    when the count is not in the table."""
    points = {}
    for key, letter, count, line in (
            ("crossing", CROSSING_COLUMN, layout.CROSSOVER_CLIENTS, "B"),
            ("today", TODAY_COLUMN, layout.CLIENT_COUNT, "C")):
        x, y = f"${letter}${TABLE_FIRST}", f"${letter}${TABLE_FIRST + 1}"
        on_chart = f"AND(ISNUMBER({count}),{count}>=1,{count}<={layout.CROSSOVER_MAX_CLIENTS})"
        put(ws, x.replace("$", ""), Formula(f"=IF({on_chart},{count},NA())"), "xm_whole")
        put(ws, y.replace("$", ""), Formula(
            f"=IF(ISNUMBER({x}),INDEX(${line}${TABLE_FIRST}:${line}${last},{x}),NA())"),
            "xm_usd")
        points[key] = (x, y)
    return points


def _table_headers(ws: Worksheet, scenarios: int) -> None:
    """Two header rows: each scenario's name (following its label above) over its columns,
    then what each column holds."""
    labels = {"A": "Clients", "B": "Self-hosted COGS", SERVERS_COLUMN: "GPU servers",
              OPEN_WEIGHT_COLUMN: "Hosted open-weight COGS", CROSSING_COLUMN: "",
              TODAY_COLUMN: ""}
    groups: list[tuple[str, str, str]] = [(SERVERS_COLUMN, OPEN_WEIGHT_COLUMN, "Options")]
    for index in range(scenarios):
        api, api_margin, ft_margin = scenario_columns(index)
        labels.update({api: "API COGS", api_margin: "API margin",
                       ft_margin: "Self-hosted margin"})
        name = Formula(f"=$A${SCENARIO_ROW + index}")
        groups += ([(api, ft_margin, name)] if index == 0
                   else [(api, api, name), (api_margin, ft_margin, name)])
    header_row(ws, GROUP_ROW, [""] * (column_index_from_string(TODAY_COLUMN)))
    for letter, label in labels.items():
        header_row(ws, TABLE_HEADER, [label], first_col=column_index_from_string(letter))
    count, crossover = layout.CLIENT_COUNT, layout.CROSSOVER_CLIENTS
    put(ws, f"{TODAY_COLUMN}{TABLE_HEADER}", Formula(
        f'="You: "&{count}&IF({count}=1," client"," clients")'))
    put(ws, f"{CROSSING_COLUMN}{TABLE_HEADER}", Formula(
        f'="Self-hosting cheaper from "&{crossover}&IF({crossover}=1," client"," clients")'))
    for first, last, name in groups:
        put(ws, f"{first}{GROUP_ROW}", name)
        if first != last:
            ws.merge_cells(f"{first}{GROUP_ROW}:{last}{GROUP_ROW}")
    for cell in ws[GROUP_ROW]:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def headline() -> str:
    """One sentence for the roster: its API cost per client and where self-hosting wins."""
    count, crossover = layout.CLIENT_COUNT, layout.CROSSOVER_CLIENTS
    per_client = f'TEXT({layout.AVERAGE_API_COST},"$#,##0.00")'
    clients = f'IF({crossover}=1," client"," clients")'
    return (f'=IF({count}=0,"Add clients on the Clients sheet to see where your roster '
            f'crosses over.","Your roster: "&{per_client}&" of API cost per client a month. "&'
            f'IF(ISNUMBER({crossover}),"Self-hosting is cheaper from "&{crossover}&{clients}&'
            f'"; you have "&{count}&".",IF({crossover}="never","At that cost self-hosting '
            f'never catches up.","Crossover: "&{crossover})))')


def _columns(ws: Worksheet, settings: AgencySettings) -> None:
    """Widths; the article's scenario margins folded into a group; options that are off and
    the chart's helpers hidden."""
    widths(ws, {"A": 30, "B": 12, "C": 12, "D": 12, "E": 12, "F": 12, "G": 12, "H": 12,
                SERVERS_COLUMN: 12, OPEN_WEIGHT_COLUMN: 12})
    first = get_column_letter(SCENARIO_MARGINS_FIRST)
    last = get_column_letter(SCENARIO_MARGINS_FIRST + 5)
    ws.column_dimensions.group(first, last, outline_level=1, hidden=True)
    hidden = [CROSSING_COLUMN, TODAY_COLUMN]
    if settings.gpu is None:
        hidden.append(SERVERS_COLUMN)
    if not settings.open_weight_model:
        hidden.append(OPEN_WEIGHT_COLUMN)
    page.hide_columns(ws, hidden)


def _print(ws: Worksheet, last: int) -> None:
    """Page 1: the headline, the scenarios and the charts; page 2: the table."""
    ws.print_area = f"A1:{OPEN_WEIGHT_COLUMN}{last}"
    wide = page.width_px(ws, "A", OPEN_WEIGHT_COLUMN)
    tall = max(page.height_pt(ws, 1, CHARTS_LAST), page.height_pt(ws, GROUP_ROW, last))
    page.fixed(ws, min(page.scale_for([wide]), page.scale_for_height(tall)),
               row_breaks=[CHARTS_LAST + 1])


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
        # Off, the box is its heading: the values stay (formulas use them) in a hidden column.
        put(ws, f"F{row}", Formula(f'=IF({layout.GPU_NAME}="","","{label}")'))
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
