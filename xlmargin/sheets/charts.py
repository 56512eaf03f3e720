"""Chart helpers shared by the sheets: fixed colours, lines and markers that read the same in
Excel and LibreOffice, and charts anchored to cells so they scale with the columns."""

from __future__ import annotations

from openpyxl.chart.marker import Marker
from openpyxl.chart.series import Series
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.worksheet import Worksheet

SELF_HOSTED = "1F4E79"   # navy: the option that is mostly fixed
ROSTER = "C0392B"        # red: your own API cost, the line that matters
OPEN_WEIGHT = "1E8449"   # green, dashed: the third option
LIGHT, MID, HEAVY = "B7950B", "D35400", "7D3C98"
CROSSING = "111827"      # near black: the crossover point
TODAY = "C0392B"
UNDERWATER, BELOW_TARGET, ON_TARGET = "C0392B", "E6A118", "2E8B57"
SELF_HOSTED_PALE = "AFC6DD"

EMU_PER_PT = 12700


def line(series: Series, color: str, width_pt: float, dash: str | None = None) -> None:
    """A plain line without markers."""
    series.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.width = int(width_pt * EMU_PER_PT)
    if dash:
        series.graphicalProperties.line.dashStyle = dash
    series.marker = Marker(symbol="none")
    series.smooth = False


def points_only(series: Series, color: str, symbol: str, size: int = 11) -> None:
    """Markers and no line: a series that is #N/A except where it marks a point."""
    series.graphicalProperties.line.noFill = True
    series.marker = Marker(symbol=symbol, size=size)
    series.marker.graphicalProperties = GraphicalProperties(solidFill=color)
    series.marker.graphicalProperties.line = LineProperties(solidFill="FFFFFF")
    series.smooth = False


def bar(series: Series, color: str) -> None:
    series.graphicalProperties.solidFill = color
    series.graphicalProperties.line.solidFill = color


def anchor(ws: Worksheet, chart: object, first: str, last: str) -> None:
    """Place ``chart`` from the top left of cell ``first`` to the top left of cell ``last``:
    it stretches with the columns, so it keeps its place on the page whatever the font."""
    def marker(cell: str) -> AnchorMarker:
        letters = cell.rstrip("0123456789")
        return AnchorMarker(col=column_index_from_string(letters) - 1,
                            row=int(cell[len(letters):]) - 1)

    chart.anchor = TwoCellAnchor(_from=marker(first), to=marker(last))  # type: ignore[attr-defined]
    ws.add_chart(chart)  # type: ignore[arg-type]
