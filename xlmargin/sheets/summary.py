"""The Summary sheet: the month's totals on both options, the crossover, the most and least
profitable clients, a one-line recommendation and a chart."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment
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

RECOMMENDATION_ROW = 23
MORE_ROW = 28  # capacity, the third option and the hidden costs (issue 5)


def crossover_cell(column: str) -> str:
    """The roster's row of the Crossover sheet's scenarios, where the staircase search runs."""
    from xlmargin.sheets.crossover import SCENARIO_ROW

    return f"{layout.CROSSOVER}!${column}${SCENARIO_ROW}"


def build(wb: Workbook, ws: Worksheet, agency: str, f: Formulas) -> None:
    title(ws, f"{agency}: summary",
          "Monthly totals over the clients whose rows compute; a row showing # needs a fix.")
    widths(ws, {"A": 30, "B": 16, "C": 12, "D": 4})
    header_row(ws, 4, ["This month", "Value"])
    margin = f.margin
    rows = (
        (layout.CLIENT_COUNT, "Clients", "=COUNT(ClientApiCost)", "xm_whole"),
        (layout.TOTAL_REVENUE, "Revenue", '=SUMIF(ClientApiCost,">=0",ClientRevenue)', "xm_usd"),
        (layout.API_COGS, "API COGS", "=SUM(ClientApiCost)", "xm_usd"),
        (layout.FT_COGS, "Self-hosted COGS",
         f"={f.ft_cost(layout.CLIENT_COUNT, layout.SERVERS)}", "xm_usd"),
        ("ApiMargin", "API gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "ApiCogs")},"")', "xm_percent"),
        ("FtMargin", "Self-hosted gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "FtCogs")},"")', "xm_percent"),
        ("Savings", "Self-hosting saves / month", "=ApiCogs-FtCogs", "xm_usd"),
        (layout.AVERAGE_API_COST, "Average API cost / client",
         '=IF(ClientCount>0,ApiCogs/ClientCount,"")', "xm_usd"),
        (layout.CROSSOVER_CLIENTS, "Crossover (clients)",
         f'IF({layout.GPU_NAME}="",{f.crossover(layout.AVERAGE_API_COST)[1:]},'
         f"{crossover_cell('D')})", "xm_whole"),
        (layout.TOTAL_TOKENS, "Tokens / month", '=SUMIF(ClientApiCost,">=0",ClientTokens)',
         "xm_whole"),
        ("UnderwaterClients", "Underwater clients", '=COUNTIF(ClientStatus,"Underwater")',
         "xm_whole"),
        ("BelowTargetClients", "Below-target clients",
         '=COUNTIF(ClientStatus,"Below target")', "xm_whole"),
    )
    for offset, (name, label, formula, style) in enumerate(rows):
        row = 5 + offset
        put(ws, f"A{row}", label)
        text = formula if formula.startswith("=") else f"={formula}"
        put(ws, f"B{row}", Formula(text), style)
        define(wb, name, ws.title, f"$B${row}")
    ws["B13"].alignment = Alignment(horizontal="right", indent=1)  # "never" too

    section(ws, "A18", "Clients by API margin")
    header_row(ws, 19, ["", "Client", "API margin"])
    for row, label, pick in ((20, "Most profitable", "MAX"), (21, "Least profitable", "MIN")):
        put(ws, f"A{row}", label)
        found = f"MATCH({pick}(ClientApiMargin),ClientApiMargin,0)"
        put(ws, f"B{row}", Formula(f'=IF(ClientCount>0,INDEX(ClientNames,{found}),"")'),
            "xm_text")
        put(ws, f"C{row}", Formula(f'=IF(ClientCount>0,{pick}(ClientApiMargin),"")'),
            "xm_percent")
    ws.column_dimensions["B"].width = 26

    r = RECOMMENDATION_ROW
    section(ws, f"A{r}", "Recommendation")
    put(ws, f"A{r + 1}", Formula(recommendation())).font = BOLD
    ws.merge_cells(f"A{r + 1}:L{r + 2}")
    ws[f"A{r + 1}"].alignment = Alignment(wrap_text=True, vertical="top")

    _more(wb, ws, f)

    chart = BarChart()
    chart.type = "col"
    chart.title = "Revenue and COGS / month"
    chart.y_axis.title = "USD / month"
    chart.y_axis.numFmt = '"$"#,##0'
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=2, min_row=6, max_row=8)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=6, max_row=8))
    chart.legend = None
    chart.series[0].dLbls = DataLabelList()
    chart.series[0].dLbls.showVal = True
    for hidden in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(chart.series[0].dLbls, hidden, False)
    chart.varyColors = True
    chart.height, chart.width = 7.5, 13
    ws.add_chart(chart, "E4")
    landscape(ws, one_page=True)


def _more(wb: Workbook, ws: Worksheet, f: Formulas) -> None:
    """Capacity, the hosted open-weight option, retraining and the setup payback."""
    r = MORE_ROW
    section(ws, f"A{r}", "Capacity, the third option and hidden costs")
    header_row(ws, r + 1, ["This month", "Value"])
    uncovered = f"{layout.SETUP_USD}-SetupFeeUSD"
    profit = f"({layout.TOTAL_REVENUE}-{layout.FT_COGS})"
    rows = (
        (layout.TOTAL_INPUT_TOKENS, "Input tokens / month",
         f"={layout.TOTAL_TOKENS}-{layout.TOTAL_OUTPUT_TOKENS}", "xm_whole"),
        (layout.TOTAL_OUTPUT_TOKENS, "Output tokens / month",
         '=SUMIF(ClientApiCost,">=0",ClientOutputTokens)', "xm_whole"),
        (None, "GPU",
         f'=IF({layout.GPU_NAME}="","off: one fixed server",{layout.GPU_NAME}&" at "&'
         f'TEXT({layout.UTILIZATION},"0%")&" planned utilization")', "xm_text"),
        (layout.SERVERS, "GPU servers",
         f"={f.servers(layout.TOTAL_INPUT_TOKENS, layout.TOTAL_OUTPUT_TOKENS)}", "xm_whole"),
        (layout.CROSSOVER_STAYS, "Cheaper for good from (clients)",
         f'=IF({layout.GPU_NAME}="",{layout.CROSSOVER_CLIENTS},{crossover_cell("E")})',
         "xm_whole"),
        (None, "Hosted open-weight model", f'=IF({layout.OPEN_WEIGHT_MODEL}="","none",'
         f"{layout.OPEN_WEIGHT_MODEL})", "xm_text"),
        (layout.OPEN_WEIGHT_COGS, "Hosted open-weight COGS",
         f'=IF({layout.OPEN_WEIGHT_MODEL}="","",IF(ISNA(MATCH({layout.OPEN_WEIGHT_MODEL},'
         f'{layout.PRICE_MODELS},0)),"#open-weight model not on Pricing",'
         f'SUMIF(ClientApiCost,">=0",ClientOpenWeightCost)))', "xm_usd"),
        (layout.OPEN_WEIGHT_MARGIN, "Open-weight gross margin",
         f'=IF(AND(ISNUMBER({layout.OPEN_WEIGHT_COGS}),{layout.TOTAL_REVENUE}>0),'
         f'{f.margin(layout.TOTAL_REVENUE, layout.OPEN_WEIGHT_COGS)},"")', "xm_percent"),
        (layout.AVERAGE_OPEN_WEIGHT_COST, "Average open-weight cost / client",
         f'=IF(AND(ISNUMBER({layout.OPEN_WEIGHT_COGS}),{layout.CLIENT_COUNT}>0),'
         f'{layout.OPEN_WEIGHT_COGS}/{layout.CLIENT_COUNT},"")', "xm_usd"),
        (None, "Retraining / month (in SH COGS)",
         f"={layout.RETRAINING_USD}*{layout.CLIENT_COUNT}", "xm_usd"),
        (layout.SETUP_PAYBACK, "Setup payback (months)",
         f'=IF({uncovered}<=0,0,IF(AND({layout.CLIENT_COUNT}>0,{profit}>0),'
         f'({uncovered})/({profit}/{layout.CLIENT_COUNT}),"never"))', "xm_whole"),
    )
    for offset, (name, label, formula, style) in enumerate(rows):
        row = r + 2 + offset
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", Formula(formula), style)
        ws[f"B{row}"].alignment = Alignment(horizontal="right", indent=1)
        if name:
            define(wb, name, ws.title, f"$B${row}")
    ws[f"B{r + 1 + len(rows)}"].number_format = "0.0"  # payback months
    put(ws, f"A{r + 2 + len(rows)}",
        "Setup payback: months of the average client's self-hosted gross profit that earn "
        "back the setup labor its setup fee leaves uncovered (0: the fee covers it).").font = \
        SUBTITLE


def recommendation() -> str:
    """One line: self-host or stay on the API, and why, from the Summary cells. With GPU servers
    added as clients grow, self-hosting can be dearer again for a while after the crossover;
    the line then says from when it stays cheaper."""
    saves = 'TEXT(ApiCogs-FtCogs,"$#,##0")'
    stays = (f'IF(AND(ISNUMBER({layout.CROSSOVER_STAYS}),{layout.CROSSOVER_STAYS}>'
             f'CrossoverClients)," It stays cheaper from "&{layout.CROSSOVER_STAYS}&'
             '" clients on (more GPU servers in between).","")')
    return (
        '=IF(ClientCount=0,"Add clients on the Clients sheet.",'
        'IF(ISNUMBER(CrossoverClients),'
        'IF(AND(ClientCount>=CrossoverClients,FtCogs<ApiCogs),'
        '"Self-host: at "&ClientCount&" clients fine-tuned models cost "&' + saves
        + '&" a month less than the API (crossover at "&CrossoverClients&" clients).",'
        'IF(ClientCount>=CrossoverClients,"Stay on the API for now: at "&ClientCount&'
        '" clients self-hosting needs "&Servers&" GPU servers and costs more than the API.",'
        '"Stay on the API for now: self-hosting wins from "&CrossoverClients&'
        '" clients and you have "&ClientCount&"."))&' + stays + ','
        '"Stay on the API: at this average API cost self-hosting never catches up."))')
