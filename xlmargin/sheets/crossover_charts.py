"""The Crossover sheet's two charts.

Your roster first: its API COGS against self-hosting for 1 to 30 clients, the crossover and
today's client count marked, and the hosted open-weight line only when that option is on. The
article's scenarios get a chart of their own over 1 to 10 clients: the heavy one ($350 a
client) would stretch a shared axis to $10,000 and flatten every other line onto it, so it is
left to the table (self-hosting is cheaper from its first client).
"""

from __future__ import annotations

from openpyxl.chart import LineChart, Reference, ScatterChart, Series
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.models import AgencySettings
from xlmargin.sheets import charts
from xlmargin.sheets.cells import quote_sheet

SCENARIO_CLIENTS = 10


def add(ws: Worksheet, header: int, first: int, last: int, settings: AgencySettings,
        roster_at: tuple[str, str], scenarios_at: tuple[str, str],
        points: dict[str, tuple[str, str]]) -> None:
    """Both charts over the table rows first..last (``header`` holds the series names);
    ``points`` names the (x, y) cells of the crossover and of today's client count."""
    from xlmargin.sheets import crossover as sheet  # the table's columns

    def column(letter: str, rows: int = last) -> Reference:
        index = column_index_from_string(letter)
        return Reference(ws, min_col=index, min_row=first, max_row=rows)

    def cell(coordinate: str) -> Reference:
        return Reference(ws, range_string=f"{quote_sheet(ws.title)}!{coordinate}")

    # A scatter chart, so that each marked point is a series of one point of its own: a line
    # chart would need a column of #N/A beside it, which LibreOffice draws as zeros.
    roster = ScatterChart(scatterStyle="lineMarker")
    _style(roster, "Your roster: monthly COGS by number of clients")
    roster.x_axis.scaling.min, roster.x_axis.scaling.max = 0, last - first + 1
    roster.x_axis.majorUnit = 5
    lines = [("B", "Self-hosted COGS", charts.SELF_HOSTED, 3.0, None),
             ("C", "Your roster: API COGS", charts.ROSTER, 2.25, None)]
    if settings.open_weight_model:
        lines.append((sheet.OPEN_WEIGHT_COLUMN, "Hosted open-weight COGS", charts.OPEN_WEIGHT,
                      1.75, "dash"))
    for letter, label, color, width, dash in lines:
        series = Series(column(letter), column("A"))
        series.tx = SeriesLabel(v=label)
        charts.line(series, color, width, dash)
        roster.series.append(series)
    for key, letter, color, symbol, position in (
            ("crossing", sheet.CROSSING_COLUMN, charts.CROSSING, "diamond", "r"),
            ("today", sheet.TODAY_COLUMN, charts.TODAY, "circle", "t")):
        x, y = points[key]
        series = Series(cell(y), cell(x))
        # Named by a formula ("Self-hosting cheaper from 2 clients", "You: 12 clients"), the
        # label beside the point says it.
        series.tx = SeriesLabel(strRef=StrRef(f"{quote_sheet(ws.title)}!${letter}${header}"))
        charts.points_only(series, color, symbol, size=12)
        series.dLbls = DataLabelList(showSerName=True, showVal=False, showCatName=False,
                                     showLegendKey=False, showPercent=False, dLblPos=position)
        roster.series.append(series)
    charts.anchor(ws, roster, *roster_at)

    scenarios = LineChart()
    _style(scenarios, "The article's light and mid scenarios (heavy: see the table)")
    rows = first + SCENARIO_CLIENTS - 1
    scenarios.add_data(column("B", rows), titles_from_data=False)
    scenarios.series[-1].tx = SeriesLabel(v="Self-hosted COGS")
    charts.line(scenarios.series[-1], charts.SELF_HOSTED, 3.0)
    for index, color in ((1, charts.LIGHT), (2, charts.MID)):
        api = sheet.scenario_columns(index)[0]
        scenarios.add_data(column(api, rows), titles_from_data=False)
        scenarios.series[-1].tx = SeriesLabel(strRef=StrRef(
            f"{quote_sheet(ws.title)}!$A${sheet.SCENARIO_ROW + index}"))
        charts.line(scenarios.series[-1], color, 2.25)
    scenarios.set_categories(column("A", rows))
    charts.anchor(ws, scenarios, *scenarios_at)


def _style(chart: LineChart | ScatterChart, title: str) -> None:
    chart.title = title
    chart.title.tx.rich.p[0].pPr = ParagraphProperties(defRPr=CharacterProperties(sz=1200,
                                                                                  b=True))
    chart.y_axis.title = "USD / month"
    chart.x_axis.title = "Clients"
    chart.y_axis.numFmt = '"$"#,##0'
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.txPr = _small()
    chart.y_axis.txPr = _small()
    chart.legend.position = "b"
    chart.x_axis.majorGridlines = None
    # The marked points' cells are in hidden columns.
    chart.visible_cells_only = False


def _small() -> RichText:
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=900)),
                                 endParaRPr=CharacterProperties(sz=900))])
