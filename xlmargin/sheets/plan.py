"""The Plan sheet: each client on the API, self-hosted or the hosted open-weight model, wherever
the month's total COGS is lowest (``xlmargin.plan``), the order to move them in, the price that
reaches the target margin under the plan, and a chart of each client's API cost against its
plan cost.

With GPU capacity off the plan is a closed form, so the sheet computes it with formulas and
follows every edit: an unpinned client moves when its saving (its cost off self-hosting less
the per-client cost and retraining) is positive and the savings pay the fixed base, or a client
is pinned to self. With capacity on the choice is a knapsack no formula solves: the sheet then
takes who self-hosts from the plan xlmargin stored on the Clients sheet when it wrote the
workbook (pins still win), computes the costs from it with formulas, and says so; ``xlmargin
report`` warns when that stored plan is no longer the cheapest.

Rows match the Clients sheet's rows one for one (Plan row = Clients row + ``OFFSET``), so the
Plan ranges line up with the Client ranges in SUMIF.
"""

from __future__ import annotations

from copy import copy
from datetime import date

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import charts, layout, page
from xlmargin.sheets.cells import SUBTITLE, Formula, define, header_row, put, section, title
from xlmargin.sheets.formulas import Formulas

NOTE_ROW = 3
TOTALS_ROW = 5       # section title; the totals below it
ORDER_MAX = 30       # rows of the "move in this order" list, at most
CHART_MAX = 30       # clients on the chart, at most
# The per-client table's columns (the hidden helpers last).
COLUMNS = (("client", "Client", 24, "xm_text"), ("pin", "Pinned", 11, "xm_text"),
           ("api_cost", "API cost / month", 12, "xm_usd"),
           ("off_self", "Cost off self-hosting (API or open-weight)", 13, "xm_usd"),
           ("saving", "Saving if moved / month", 12, "xm_usd"),
           ("moves", "Self-hosts (1 = yes)", 10, "xm_whole"),
           ("hosting", "Plan", 12, "xm_text"), ("cost", "Plan cost / month", 12, "xm_usd"),
           ("margin", "Plan margin", 10, "xm_percent"),
           ("price", "Price for the target margin", 13, "xm_usd"),
           ("why", "Why", 13, "xm_text"),
           ("typed", "Hosting as typed", 10, "xm_text"),
           ("candidate", "Candidate saving", 10, "xm_usd"),
           ("mover_saving", "Saving of a mover", 10, "xm_usd"))
LETTER = {key: chr(ord("A") + i) for i, (key, *_rest) in enumerate(COLUMNS)}
HIDDEN = ("typed", "candidate", "mover_saving")
PIN_COLUMN, WHY_COLUMN, CLIENT_COLUMN, PRICE_COLUMN = (
    "PlanPin", "PlanWhy", "PlanClients", "PlanPrice")


def build(wb: Workbook, ws: Worksheet, agency: str, f: Formulas, last_client_row: int,
          clients: int, as_of: date) -> None:
    """``last_client_row``: the last Clients row the formulas cover; ``clients``: how many the
    roster has (sizes the order list and the chart); ``as_of``: when the plan was stored."""
    title(ws, f"{agency}: the plan",
          "Each client where the month's total COGS is lowest: the API, self-hosted fine-tuned "
          "models or the hosted open-weight model. Pin a client in the Hosting column of the "
          "Clients sheet (api, self, open_weight).")
    put(ws, f"A{NOTE_ROW}", Formula(
        f'=IF({layout.GPU_NAME}="","Follows your edits: with GPU capacity off a client moves '
        "when moving it saves money and the savings pay the fixed base (or a client is pinned "
        'to self).","GPU capacity is on: who self-hosts was computed by xlmargin when it wrote '
        f"this workbook ({as_of.isoformat()}); the costs follow your edits, the choice does "
        "not. After editing, run xlmargin plan on this file (xlmargin report warns when the "
        'stored plan is stale).")')).font = SUBTITLE
    for key, _header, width, _style in COLUMNS:
        ws.column_dimensions[LETTER[key]].width = width
    order_rows = max(1, min(clients + 5, ORDER_MAX))
    after_totals = _totals(wb, ws, f)
    order_first = after_totals + 2
    order_last = _order(ws, order_first, order_rows)
    chart_top = order_last + 3
    shown = max(1, min(clients, CHART_MAX))
    chart_last = chart_top + max(16, round(shown * 1.2) + 8)
    table_header = chart_last + 2
    offset = table_header + 1 - layout.FIRST_ROW
    _table(wb, ws, table_header, offset, last_client_row, f.cost_key)
    _chart(ws, table_header + 1, shown, chart_top, chart_last)
    page.hide_columns(ws, [LETTER[k] for k in HIDDEN])
    ws.print_area = f"A1:{LETTER['why']}{table_header + max(clients, 1)}"
    page.fit_width(ws)


def _totals(wb: Workbook, ws: Worksheet, f: Formulas) -> int:
    """The plan's month, each a named cell; returns the last row."""
    section(ws, f"A{TOTALS_ROW}", "The plan this month")
    header_row(ws, TOTALS_ROW + 1, ["Total", "Value"])
    moves, names = layout.PLAN_RANGE_NAMES["moves"], layout.PLAN_RANGE_NAMES
    n, tokens = layout.PLAN_SELF_CLIENTS, layout.PLAN_SELF_TOKENS
    servers = f.servers(f"({tokens}-{layout.PLAN_SELF_OUTPUT})", layout.PLAN_SELF_OUTPUT)
    rows = (
        (layout.PLAN_SELF_CLIENTS, "Clients that self-host", f"=SUM({moves})", "xm_whole"),
        (layout.PLAN_OPEN_CLIENTS, "On the hosted open-weight model",
         f'=COUNTIF({names["hosting"]},"open_weight")', "xm_whole"),
        (layout.PLAN_API_CLIENTS, "On the API", f'=COUNTIF({names["hosting"]},"api")',
         "xm_whole"),
        (layout.PLAN_CAPACITY_CLIENTS, "Left on the API or open-weight for capacity",
         f'=COUNTIF({WHY_COLUMN},"capacity")', "xm_whole"),
        (layout.PLAN_SERVERS, "GPU servers", f"=IF({n}=0,0,{servers})", "xm_whole"),
        (layout.PLAN_COGS, "Plan COGS",
         f"={layout.PLAN_SELF_COST}+SUMIF({moves},0,{names['off_self']})", "xm_usd"),
        (None, "All on the API", f"={layout.API_COGS}", "xm_usd"),
        (None, "All self-hosted", f"={layout.FT_COGS}", "xm_usd"),
        (None, "All on the open-weight model", f"={layout.OPEN_WEIGHT_COGS}", "xm_usd"),
        (layout.PLAN_MARGIN, "Plan gross margin",
         f'=IF({layout.TOTAL_REVENUE}>0,{f.margin(layout.TOTAL_REVENUE, layout.PLAN_COGS)},"")',
         "xm_percent"),
        (layout.PLAN_SAVES, "Plan saves against all-API / month",
         f"={layout.API_COGS}-{layout.PLAN_COGS}", "xm_usd"),
        # How the plan is found, in the open so the formulas above can be followed.
        (layout.PLAN_FIXED, "Fixed base with buffer", f"={layout.BASE_MONTHLY}*(1+Buffer)",
         "xm_usd"),
        (layout.PLAN_MARGINAL, "Per self-hosted client, with buffer and retraining",
         f"=PerClientUSD*(1+Buffer)+{layout.RETRAINING_USD}", "xm_usd"),
        (layout.PLAN_PAYS, "Base paid (1: a client is pinned to self, or the savings exceed "
                           "the base)",
         f'=IF(OR(COUNTIF({PIN_COLUMN},"self")>0,SUM({names["candidate"]})>{layout.PLAN_FIXED}),1,0)',
         "xm_whole"),
        (layout.PLAN_SELF_TOKENS, "Self-hosted tokens / month",
         f"=SUMIF({moves},1,{layout.CLIENT_RANGE_NAMES['tokens_per_month']})", "xm_whole"),
        (layout.PLAN_SELF_OUTPUT, "Self-hosted output tokens / month",
         f"=SUMIF({moves},1,{layout.CLIENT_RANGE_NAMES['output_tokens_per_month']})",
         "xm_whole"),
        (layout.PLAN_SELF_COST, "Self-hosted cost / month",
         f"=IF({n}=0,0,{f.ft_cost(n, layout.PLAN_SERVERS)})", "xm_usd"),
        (layout.PLAN_SHARED, "Shared by tokens (base and extra servers)",
         f"={layout.PLAN_SELF_COST}-{layout.PLAN_MARGINAL}*{n}", "xm_usd"),
    )
    for i, (name, label, formula, style) in enumerate(rows):
        row = TOTALS_ROW + 2 + i
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", Formula(formula), style)
        ws[f"B{row}"].alignment = Alignment(horizontal="right", indent=1)
        if name:
            define(wb, name, ws.title, f"$B${row}")
    ws.column_dimensions["A"].width = 30
    return TOTALS_ROW + 1 + len(rows)


def _order(ws: Worksheet, first: int, rows: int) -> int:
    """The clients that self-host, largest saving first; returns the last row. Row k holds the
    k-th largest saving, and its client the first row with that saving after the row above's
    (ties keep the Clients order, as the plan's stable sort does)."""
    section(ws, f"A{first}", "Move in this order (largest saving first)")
    header_row(ws, first + 1, ["Client", "Step", "Saving / month", "Plan cost / month",
                               "Price for the target margin", "Table position"])
    savings = layout.PLAN_RANGE_NAMES["mover_saving"]
    top = first + 2
    for k, row in enumerate(range(top, top + rows), start=1):
        put(ws, f"B{row}", Formula(f'=IF({k}<={layout.PLAN_SELF_CLIENTS},{k},"")'), "xm_whole")
        put(ws, f"C{row}", Formula(f'=IF(ISNUMBER($B{row}),LARGE({savings},{k}),"")'),
            "xm_usd")
        first_match = f"MATCH($C{row},{savings},0)"
        if k == 1:
            position = first_match
        else:
            after = (f"$F{row - 1}+MATCH($C{row},INDEX({savings},$F{row - 1}+1):"
                     f"INDEX({savings},ROWS({savings})),0)")
            position = f"IF($C{row}=$C{row - 1},{after},{first_match})"
        put(ws, f"F{row}", Formula(f'=IF(ISNUMBER($C{row}),{position},"")'), "xm_whole")
        for letter, column, style in (("A", CLIENT_COLUMN, "xm_text"),
                                      ("D", layout.PLAN_RANGE_NAMES["cost"], "xm_usd"),
                                      ("E", PRICE_COLUMN, "xm_usd")):
            put(ws, f"{letter}{row}", Formula(
                f'=IF(ISNUMBER($F{row}),INDEX({column},$F{row}),"")'), style)
    last = top + rows - 1
    put(ws, f"A{last + 1}", Formula(
        f'=IF({layout.PLAN_SELF_CLIENTS}>{rows},"The {rows} largest of "&'
        f'{layout.PLAN_SELF_CLIENTS}&"; filter Why on the table below for every client.","")')
        ).font = SUBTITLE
    return last + 1


def _table(wb: Workbook, ws: Worksheet, header: int, offset: int, last_client_row: int,
           cost_key: str) -> None:
    """One row per Clients row (its API cost from the ``cost_key`` column, which needs no
    add-in); the ranges the totals and the order list read."""
    header_row(ws, header, [h for _k, h, _w, _s in COLUMNS])
    ws.row_dimensions[header].height = 44
    col = layout.COL
    styles: dict[str, StyleArray] = {}
    for r in range(layout.FIRST_ROW, last_client_row + 1):
        p = r + offset
        here = {key: f"{letter}{p}" for key, letter in LETTER.items()}
        clients = f"{layout.CLIENTS}!"
        blank = f'{here["client"]}=""'
        typed, pin = here["typed"], here["pin"]
        open_cost = f"{clients}${col['open_weight_cost']}{r}"
        cells = {
            "client": (f'=IF(ISNUMBER({clients}${col[cost_key]}{r}),'
                       f'{clients}${col["client"]}{r},"")'),
            "typed": (f'=LOWER(SUBSTITUTE(SUBSTITUTE(TRIM({clients}${col["hosting"]}{r}),'
                      '" ","_"),"-","_"))'),
            "pin": (f'=IF({blank},"",IF(OR({typed}="api",{typed}="self",'
                    f'AND({typed}="open_weight",{layout.OPEN_WEIGHT_MODEL}<>"")),{typed},'
                    f'IF(OR({typed}="self_hosted",{typed}="selfhosted",{typed}="fine_tuned"),'
                    f'"self",IF(AND(OR({typed}="openweight",{typed}="open_weights"),'
                    f'{layout.OPEN_WEIGHT_MODEL}<>""),"open_weight",""))))'),
            "api_cost": f'=IF({blank},"",{clients}${col[cost_key]}{r})',
            "off_self": (f'=IF({blank},"",IF({pin}="api",{here["api_cost"]},'
                         f'IF({pin}="open_weight",{open_cost},IF(ISNUMBER({open_cost}),'
                         f'MIN({here["api_cost"]},{open_cost}),{here["api_cost"]}))))'),
            "saving": f'=IF({blank},"",{here["off_self"]}-{layout.PLAN_MARGINAL})',
            "candidate": f'=IF(AND(NOT({blank}),{pin}=""),MAX(0,{here["saving"]}),0)',
            "moves": (f'=IF({blank},0,IF({pin}="self",1,IF({pin}<>"",0,'
                      f'IF({layout.GPU_NAME}="",IF(AND({here["saving"]}>0,'
                      f'{layout.PLAN_PAYS}=1),1,0),IF(LOWER({clients}'
                      f'${col["stored_plan"]}{r})="self",1,0)))))'),
            "mover_saving": f'=IF({here["moves"]}=1,{here["saving"]},"")',
            "hosting": (f'=IF({blank},"",IF({here["moves"]}=1,"self",IF(OR({pin}='
                        f'"open_weight",AND({pin}="",ISNUMBER({open_cost}),{open_cost}<'
                        f'{here["api_cost"]})),"open_weight","api")))'),
            "cost": (f'=IF({blank},"",IF({here["moves"]}=1,{layout.PLAN_MARGINAL}+IF('
                     f'{layout.PLAN_SELF_TOKENS}>0,{layout.PLAN_SHARED}*{clients}'
                     f'${col["tokens_per_month"]}{r}/{layout.PLAN_SELF_TOKENS},'
                     f'{layout.PLAN_SHARED}/{layout.PLAN_SELF_CLIENTS}),{here["off_self"]}))'),
            "margin": (f'=IF({blank},"",({clients}${col["monthly_revenue"]}{r}-{here["cost"]})'
                       f'/{clients}${col["monthly_revenue"]}{r})'),
            "price": (f'=IF({blank},"",IF({layout.TARGET_MARGIN}<1,{here["cost"]}/'
                      f'(1-{layout.TARGET_MARGIN}),"#target margin must be below 100%"))'),
            "why": (f'=IF({blank},"",IF({pin}<>"","pinned",IF({here["moves"]}=1,"moves",'
                    f'IF({here["saving"]}<=0,"no saving",IF({layout.PLAN_SELF_CLIENTS}=0,'
                    '"fixed cost","capacity")))))'),
        }
        # Ten thousand rows: a named style looked up once per column, then its cells copied.
        for index, (key, _header, _width, style) in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=p, column=index, value=cells[key])
            if key in styles:
                cell._style = copy(styles[key])
            else:
                cell.style = style
                styles[key] = cell._style
    first, last = layout.FIRST_ROW + offset, last_client_row + offset
    for key, name in (*layout.PLAN_RANGE_NAMES.items(), ("pin", PIN_COLUMN),
                      ("why", WHY_COLUMN), ("client", CLIENT_COLUMN), ("price", PRICE_COLUMN)):
        letter = LETTER[key]
        define(wb, name, ws.title, f"${letter}${first}:${letter}${last}")


def _chart(ws: Worksheet, first_row: int, shown: int, top: int, last: int) -> None:
    """A pair of bars per client (the first ``shown`` rows of the table): API cost, plan
    cost."""
    def column(key: str) -> Reference:
        index = ws[f"{LETTER[key]}1"].column
        return Reference(ws, min_col=index, min_row=first_row, max_row=first_row + shown - 1)

    bars = BarChart()
    bars.type = "bar"
    bars.grouping = "clustered"
    bars.gapWidth = 40
    bars.title = "Cost per client / month: API against the plan"
    for key, label, color in (("api_cost", "API cost", charts.ROSTER),
                              ("cost", "Plan cost", charts.SELF_HOSTED)):
        bars.add_data(column(key), titles_from_data=False)
        bars.series[-1].tx = SeriesLabel(v=label)
        charts.bar(bars.series[-1], color)
    bars.set_categories(column("client"))
    bars.x_axis.scaling.orientation = "maxMin"  # the table's order, top down
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    bars.y_axis.numFmt = '"$"#,##0'
    bars.legend.position = "b"
    charts.anchor(ws, bars, f"A{top}", f"I{last}")
