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
        (layout.FT_COGS, "Self-hosted COGS", f"={f.ft_cost(layout.CLIENT_COUNT)}", "xm_usd"),
        ("ApiMargin", "API gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "ApiCogs")},"")', "xm_percent"),
        ("FtMargin", "Self-hosted gross margin",
         f'=IF(TotalRevenue>0,{margin("TotalRevenue", "FtCogs")},"")', "xm_percent"),
        ("Savings", "Self-hosting saves / month", "=ApiCogs-FtCogs", "xm_usd"),
        (layout.AVERAGE_API_COST, "Average API cost / client",
         '=IF(ClientCount>0,ApiCogs/ClientCount,"")', "xm_usd"),
        (layout.CROSSOVER_CLIENTS, "Crossover (clients)", f.crossover(layout.AVERAGE_API_COST)[1:],
         "xm_whole"),
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


def recommendation() -> str:
    """One line: self-host or stay on the API, and why, from the Summary cells."""
    saves = 'TEXT(ApiCogs-FtCogs,"$#,##0")'
    return (
        '=IF(ClientCount=0,"Add clients on the Clients sheet.",'
        'IF(ISNUMBER(CrossoverClients),'
        'IF(ClientCount>=CrossoverClients,'
        '"Self-host: at "&ClientCount&" clients fine-tuned models cost "&' + saves
        + '&" a month less than the API (crossover at "&CrossoverClients&" clients).",'
        '"Stay on the API for now: self-hosting wins from "&CrossoverClients&'
        '" clients and you have "&ClientCount&"."),'
        '"Stay on the API: at this average API cost self-hosting never catches up."))')
