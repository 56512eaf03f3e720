"""The Summary sheet: the owner's question answered in five sentences (the month, who is
underwater, what reaching the target margin takes, what self-hosting saves, what to do), the
clients from the lowest API margin up with the price each needs (``summary_list``) and a chart
of them, then the month's totals and the options.

Every sentence is a formula over the totals below it and the sorted list, so it follows edits.
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import layout, page, summary_list
from xlmargin.sheets.cells import (
    BOLD,
    INK,
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

SENTENCES_ROW = 5
LIST_ROW = 12  # the sorted list's section title
WIDTH = "I"    # sentences and sections span A:I
USD = '"$#,##0"'
PLAIN = Font(name="Calibri", size=11, color=INK)


def crossover_cell(column: str) -> str:
    """The roster's row of the Crossover sheet's scenarios, where the staircase search runs."""
    from xlmargin.sheets.crossover import SCENARIO_ROW

    return f"{layout.CROSSOVER}!${column}${SCENARIO_ROW}"


def build(wb: Workbook, ws: Worksheet, agency: str, f: Formulas, *, clients: int) -> None:
    """``clients``: how many the roster has, which sizes the sorted list and its chart."""
    title(ws, f"{agency}: summary",
          "Monthly totals over the clients whose rows compute; a row showing # needs a fix.")
    widths(ws, {"A": 32, "B": 14, "C": 12, "D": 12, "E": 10, "F": 13, "G": 12, "H": 11,
                "I": 12})
    listed = summary_list.build(ws, LIST_ROW, clients, f)
    chart_first, chart_last = summary_list.chart(ws, listed, clients)
    totals = _totals(wb, ws, f, chart_last + 2)
    more = _more(wb, ws, f, totals + 2)
    _sentences(ws, listed)
    _print(ws, [(1, listed.last_row + 1), (chart_first, chart_last), (chart_last + 1, more)])


def _print(ws: Worksheet, pages: list[tuple[int, int]]) -> None:
    """The answer and the list, the chart, the totals: a page each, at one scale."""
    ws.print_area = f"A1:{WIDTH}{pages[-1][1]}"
    scale = min(page.scale_for([page.width_px(ws, "A", WIDTH)]),
                *(page.scale_for_height(page.height_pt(ws, *rows)) for rows in pages))
    page.fixed(ws, scale, row_breaks=[last for _first, last in pages[:-1]])


def _sentences(ws: Worksheet, listed: summary_list.Listed) -> None:
    section(ws, f"A{SENTENCES_ROW - 1}", "In short")
    for offset, formula in enumerate((month(), underwater(listed), to_target(listed),
                                      self_hosting(), recommendation())):
        row = SENTENCES_ROW + offset
        put(ws, f"A{row}", Formula(formula)).font = BOLD if offset in (1, 4) else PLAIN
        ws.merge_cells(f"A{row}:{WIDTH}{row}")
        ws[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 30  # room for a second line


def _totals(wb: Workbook, ws: Worksheet, f: Formulas, first: int) -> int:
    """The month's totals, each a named cell; returns the last row. In plain formulas over
    the API cost and status that need no add-in (``Formulas.plain``, ``cost_range``)."""
    f = f.plain()
    cost_range, status_range = f.cost_range, f.status_range
    section(ws, f"A{first}", "This month")
    header_row(ws, first + 1, ["Total", "Value"])
    margin = f.margin
    target = layout.TARGET_MARGIN
    below = ("Underwater", "Below target")
    cost = "+".join(f'SUMIF({status_range},"{s}",{cost_range})' for s in below)
    revenue = "+".join(f'SUMIF({status_range},"{s}",ClientRevenue)' for s in below)
    rows = (
        (layout.CLIENT_COUNT, "Clients", f"=COUNT({cost_range})", "xm_whole"),
        (layout.TOTAL_REVENUE, "Revenue", f'=SUMIF({cost_range},">=0",ClientRevenue)', "xm_usd"),
        (layout.API_COGS, "API COGS", f"=SUM({cost_range})", "xm_usd"),
        (layout.FT_COGS, "Self-hosted COGS",
         f"={f.ft_cost(layout.CLIENT_COUNT, layout.SERVERS)}", "xm_usd"),
        (layout.API_MARGIN, "API gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "ApiCogs")},"")', "xm_percent"),
        (layout.FT_MARGIN, "Self-hosted gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "FtCogs")},"")', "xm_percent"),
        (layout.SAVINGS, "Self-hosting saves / month", "=ApiCogs-FtCogs", "xm_usd"),
        (layout.AVERAGE_API_COST, "Average API cost / client",
         '=IF(ClientCount>0,ApiCogs/ClientCount,"")', "xm_usd"),
        (layout.CROSSOVER_CLIENTS, "Crossover (clients)",
         f'=IF({layout.GPU_NAME}="",{f.crossover(layout.AVERAGE_API_COST)[1:]},'
         f"{crossover_cell('D')})", "xm_whole"),
        (layout.TOTAL_TOKENS, "Tokens / month", f'=SUMIF({cost_range},">=0",ClientTokens)',
         "xm_whole"),
        (layout.UNDERWATER_CLIENTS, "Underwater clients", f'=COUNTIF({status_range},"Underwater")',
         "xm_whole"),
        (layout.BELOW_TARGET_CLIENTS, "Below-target clients",
         f'=COUNTIF({status_range},"Below target")', "xm_whole"),
        # PRICE_FOR_MARGIN over every client below the target: sum(cost) / (1 - target) is
        # what they would pay at the target, less what they pay now.
        (layout.TARGET_RAISE, "Raise to reach target / month",
         f'=IF({target}>=1,"#target margin must be below 100%",({cost})/(1-{target})'
         f"-({revenue}))", "xm_usd"),
    )
    for offset, (name, label, formula, style) in enumerate(rows):
        row = first + 2 + offset
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", Formula(formula), style)
        ws[f"B{row}"].alignment = Alignment(horizontal="right", indent=1)  # "never" too
        define(wb, name, ws.title, f"$B${row}")
    return first + 1 + len(rows)


def _more(wb: Workbook, ws: Worksheet, f: Formulas, first: int) -> int:
    """Capacity, the hosted open-weight option, retraining and the setup payback, each "off"
    while its option is; returns the last row. Plain formulas, as the totals."""
    f = f.plain()
    cost_range = f.cost_range
    section(ws, f"A{first}", "Capacity, the third option and hidden costs")
    header_row(ws, first + 1, ["Option", "Value", ""])
    ws.merge_cells(f"B{first + 1}:C{first + 1}")
    uncovered = f"{layout.SETUP_USD}-SetupFeeUSD"
    profit = f"({layout.TOTAL_REVENUE}-{layout.FT_COGS})"
    model = layout.OPEN_WEIGHT_MODEL
    rows = (
        (layout.TOTAL_INPUT_TOKENS, "Input tokens / month",
         f"={layout.TOTAL_TOKENS}-{layout.TOTAL_OUTPUT_TOKENS}", "xm_whole"),
        (layout.TOTAL_OUTPUT_TOKENS, "Output tokens / month",
         f'=SUMIF({cost_range},">=0",ClientOutputTokens)', "xm_whole"),
        (None, "GPU capacity",
         f'=IF({layout.GPU_NAME}="","off: one fixed server",{layout.GPU_NAME}&" at "&'
         f'TEXT({layout.UTILIZATION},"0%")&" planned utilization")', "xm_text"),
        (layout.SERVERS, "GPU servers",
         f"={f.servers(layout.TOTAL_INPUT_TOKENS, layout.TOTAL_OUTPUT_TOKENS)}", "xm_whole"),
        (layout.CROSSOVER_STAYS, "Cheaper for good from (clients)",
         f'=IF({layout.GPU_NAME}="",{layout.CROSSOVER_CLIENTS},{crossover_cell("E")})',
         "xm_whole"),
        (None, "Hosted open-weight model", f'=IF({model}="","off",{model})', "xm_text"),
        (layout.OPEN_WEIGHT_COGS, "Hosted open-weight COGS",
         f'=IF({model}="","off",IF(ISNA(MATCH({model},{layout.PRICE_MODELS},0)),'
         f'"#open-weight model not on Pricing",SUMIF({cost_range},">=0",ClientOpenWeightCost)))',
         "xm_usd"),
        (layout.OPEN_WEIGHT_MARGIN, "Open-weight gross margin",
         f'=IF({model}="","off",IF(AND(ISNUMBER({layout.OPEN_WEIGHT_COGS}),'
         f'{layout.TOTAL_REVENUE}>0),{f.margin(layout.TOTAL_REVENUE, layout.OPEN_WEIGHT_COGS)},'
         '""))', "xm_percent"),
        (layout.AVERAGE_OPEN_WEIGHT_COST, "Average open-weight cost / client",
         f'=IF({model}="","off",IF(AND(ISNUMBER({layout.OPEN_WEIGHT_COGS}),'
         f'{layout.CLIENT_COUNT}>0),{layout.OPEN_WEIGHT_COGS}/{layout.CLIENT_COUNT},""))',
         "xm_usd"),
        (None, "Retraining / month (in self-hosted COGS)",
         f'=IF({layout.RETRAINING_USD}=0,"off",{layout.RETRAINING_USD}*{layout.CLIENT_COUNT})',
         "xm_usd"),
        # Off is not "0 months": 0 would read as an instant payback.
        (layout.SETUP_PAYBACK, "Setup payback (months)",
         f'=IF(AND(SetupLaborHours<=0,SetupFeeUSD<=0),"off",IF({uncovered}<=0,0,'
         f'IF(AND({layout.CLIENT_COUNT}>0,{profit}>0),'
         f'({uncovered})/({profit}/{layout.CLIENT_COUNT}),"never")))', "xm_whole"),
    )
    for offset, (name, label, formula, style) in enumerate(rows):
        row = first + 2 + offset
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", Formula(formula), style)
        ws[f"B{row}"].alignment = Alignment(horizontal="right", indent=1)
        ws.merge_cells(f"B{row}:C{row}")  # room for a model's name
        if name:
            define(wb, name, ws.title, f"$B${row}")
    last = first + 1 + len(rows)
    ws[f"B{last}"].number_format = "0.0"  # payback months
    put(ws, f"A{last + 1}",
        "Setup payback: months of the average client's self-hosted gross profit that earn "
        "back the setup labor its setup fee leaves uncovered (0: the fee covers it).").font = \
        SUBTITLE
    return last + 1


# --- The sentences ----------------------------------------------------------------------------


def month() -> str:
    return ('=IF(ClientCount=0,"No client computes yet: add clients on the Clients sheet.",'
            'ClientCount&IF(ClientCount=1," client brings in "," clients bring in ")&'
            f'TEXT(TotalRevenue,{USD})&" a month. On the API they cost "&TEXT(ApiCogs,{USD})&'
            '": a "&TEXT(ApiMargin,"0.0%")&" gross margin.")')


def underwater(listed: summary_list.Listed) -> str:
    """Who is underwater (the sorted list starts with them), then how many are below target."""
    names = listed.names_with_status("Underwater", 3)
    more = 'IF(UnderwaterClients>3," and "&(UnderwaterClients-3)&" more","")'
    who = ('IF(UnderwaterClients=1,"1 client is underwater, costing more on the API than it '
           'pays: ",UnderwaterClients&" clients are underwater, costing more on the API than '
           'they pay: ")')
    below = ('IF(BelowTargetClients>0,". "&BelowTargetClients&IF(BelowTargetClients=1,'
             '" more is"," more are")&" below the "&TEXT(TargetMargin,"0%")&" target margin.",'
             '".")')
    return (f'=IF(ClientCount=0,"",IF(UnderwaterClients=0,"No client is underwater on the '
            f'API",{who}&{names}&{more})&{below})')


def to_target(listed: summary_list.Listed) -> str:
    """What reaching the target takes, in all and for the lowest client."""
    target = 'TEXT(TargetMargin,"0%")'
    first = listed.first_row
    below = "(UnderwaterClients+BelowTargetClients)"
    return (f'=IF(ClientCount=0,"",IF({below}=0,"Every client is at or above the "&{target}&'
            '" target margin on the API.",IF(ISNUMBER(TargetRaiseUSD),"To reach "&'
            f'{target}&" on the API, "&IF({below}=1,"that client needs ",{below}&'
            '" clients need ")&TEXT(TargetRaiseUSD,' + USD + ')&" a month more in all: "&'
            f'$A${first}&" "&TEXT($F${first},{USD})&" instead of "&TEXT($C${first},{USD})&'
            '" (each below).",TargetRaiseUSD)))')


def self_hosting() -> str:
    # Self-hosted margin below 0: its share of the self-hosted COGS over its revenue.
    still = "SUMPRODUCT(--ISNUMBER(ClientFtCost),--(ClientFtCost>ClientRevenue))"
    return ('=IF(ClientCount=0,"",IF(FtCogs<ApiCogs,"Self-hosted, the same clients would cost "'
            f'&TEXT(FtCogs,{USD})&" a month ("&TEXT(FtMargin,"0.0%")&" margin): moving saves "&'
            f'TEXT(ApiCogs-FtCogs,{USD})&" a month, "&TEXT(12*(ApiCogs-FtCogs),{USD})&'
            f'" a year"&IF(UnderwaterClients=0,".",IF({still}=0,", and no client is underwater.",'
            f'", and "&{still}&" would still be underwater.")),"Self-hosted, the same clients '
            f'would cost "&TEXT(FtCogs-ApiCogs,{USD})&" a month more than the API."))')


def clients(count: str) -> str:
    """Formula text: '1 client', '12 clients'."""
    return f'{count}&IF({count}=1," client"," clients")'


def recommendation() -> str:
    """One line from the Plan sheet: which clients to self-host, on how many GPU servers, and
    what the plan saves against all on the API; or that none should, and where they go."""
    n, servers = layout.PLAN_SELF_CLIENTS, layout.PLAN_SERVERS
    saves, api, open_weight = layout.PLAN_SAVES, layout.PLAN_API_CLIENTS, layout.PLAN_OPEN_CLIENTS
    rest = (f'IF({api}>0,"; "&{clients(api)}&" stay on the API","")&IF({open_weight}>0,'
            f'"; "&{clients(open_weight)}&" go to the hosted open-weight model","")&"."')
    return (
        '=IF(ClientCount=0,"Add clients on the Clients sheet.",'
        f'IF({n}=0,"Stay off self-hosting: no set of clients saves more than it costs to run"'
        f'&IF({open_weight}>0,"; "&{clients(open_weight)}&" cost least on the hosted '
        'open-weight model","")&" (Plan sheet).",'
        f'"Self-host "&{clients(n)}&" on "&{servers}&IF({servers}=1," GPU server"," GPU '
        'servers")&", largest saving first (Plan sheet): "&'
        f'IF({saves}>=0,TEXT({saves},"$#,##0")&" a month less than all on the API",'
        f'TEXT(-{saves},"$#,##0")&" a month more than all on the API, for the pins")&{rest}))')
