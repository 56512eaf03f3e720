"""The Summary's clients from the lowest API margin up: what each pays and costs, the price that
reaches the target margin (PRICE_FOR_MARGIN: cost / (1 - target)), the raise that takes, and
the self-hosted margin; and a chart of the margins in the same order.

The order is computed by formulas, so it follows edits, with functions every spreadsheet since
Excel 2007 knows: row k's margin is SMALL(ClientApiMargin, k), and its client the first row
holding that margin, or, when row k-1 had the same margin, the first one after that row's
(MATCH over INDEX(..):INDEX(..), no array formula). Ties keep the Clients sheet's order, as
Python's stable sort does. The list has a few rows more than the roster for clients added later,
at most ``MAX_ROWS``: a long roster shows its lowest margins, and the sentence above says how
many clients there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import charts, layout, page
from xlmargin.sheets.cells import SUBTITLE, Formula, header_row, put, section
from xlmargin.sheets.formulas import Formulas

MAX_ROWS = 30
SPARE_ROWS = 5
POSITION = "K"  # hidden: the row of ClientNames each list row shows
# Hidden: the chart's API margin split by status, so each bar takes its status's colour.
STATUS_COLUMNS = (("L", "Underwater", charts.UNDERWATER), ("M", "Below target",
                                                          charts.BELOW_TARGET),
                  ("N", "OK", charts.ON_TARGET))
HEADERS = ("Client", "Status", "Revenue / month", "API cost / month", "API margin",
           "Price for the target margin", "Raise needed / month", "Self-hosted margin",
           "Self-hosting saves / month")


@dataclass(frozen=True, slots=True)
class Listed:
    first_row: int
    last_row: int

    def names_with_status(self, status: str, count: int) -> str:
        """Formula text: the first ``count`` list names with ``status``, comma-separated. The
        list is sorted by margin, so the underwater ones come first."""
        parts = []
        for row in range(self.first_row, min(self.first_row + count, self.last_row + 1)):
            name = f"$A${row}" if row == self.first_row else f'", "&$A${row}'
            parts.append(f'IF($B${row}="{status}",{name},"")')
        return "&".join(parts)


def rows_for(clients: int) -> int:
    return max(1, min(clients + SPARE_ROWS, MAX_ROWS))


def build(ws: Worksheet, first: int, clients: int, f: Formulas) -> Listed:
    """The section title at row ``first``, then the header and the list, over the API cost,
    status and margin that need no add-in (``f.cost_range`` ...)."""
    section(ws, f"A{first}", "Clients from the lowest API margin up")
    put(ws, f"D{first}", Formula('="Target margin: "&TEXT(TargetMargin,"0%")&'
                                 '". Price for it = API cost / (1 - target)."')).font = SUBTITLE
    header_row(ws, first + 1, list(HEADERS))
    ws.row_dimensions[first + 1].height = 44
    top = first + 2
    last = top + rows_for(clients) - 1
    margins, count = f.margin_range, layout.CLIENT_COUNT
    ranges = {**layout.CLIENT_RANGE_NAMES, "status": f.status_range, "api_cost": f.cost_range}
    target = layout.TARGET_MARGIN
    for k, row in enumerate(range(top, last + 1), start=1):
        at = f"${POSITION}{row}"

        def pick(key: str, at: str = at) -> Formula:
            return Formula(f'=IF({at}="","",INDEX({ranges[key]},{at}))')

        put(ws, f"E{row}", Formula(f'=IF({k}<={count},SMALL({margins},{k}),"")'), "xm_percent")
        first_match = f"MATCH($E{row},{margins},0)"
        if k == 1:
            position = first_match
        else:
            after = (f"${POSITION}{row - 1}+MATCH($E{row},INDEX({margins},"
                     f"${POSITION}{row - 1}+1):INDEX({margins},ROWS({margins})),0)")
            position = f"IF($E{row}=$E{row - 1},{after},{first_match})"
        put(ws, at.replace("$", ""), Formula(f'=IF($E{row}="","",{position})'), "xm_whole")
        put(ws, f"A{row}", pick("client"), "xm_text")
        put(ws, f"B{row}", pick("status"), "xm_text")
        put(ws, f"C{row}", pick("monthly_revenue"), "xm_usd")
        put(ws, f"D{row}", pick("api_cost"), "xm_usd")
        put(ws, f"F{row}", Formula(
            f'=IF($D{row}="","",IF({target}<1,$D{row}/(1-{target}),'
            '"#target margin must be below 100%"))'), "xm_usd")
        put(ws, f"G{row}", Formula(f'=IF(ISNUMBER($F{row}),MAX(0,$F{row}-$C{row}),"")'),
            "xm_usd")
        # The self-hosted share's margin (the Clients sheet's, without MARGIN()).
        share = f'INDEX({layout.CLIENT_RANGE_NAMES["ft_cost"]},{at})'
        put(ws, f"H{row}", Formula(f'=IF({at}="","",($C{row}-{share})/$C{row})'), "xm_percent")
        put(ws, f"I{row}", Formula(f'=IF({at}="","",$D{row}-{share})'), "xm_usd")
        for letter, status, _color in STATUS_COLUMNS:
            put(ws, f"{letter}{row}", Formula(f'=IF($B{row}="{status}",$E{row},NA())'),
                "xm_percent")
    page.hide_columns(ws, [POSITION, *(letter for letter, _s, _c in STATUS_COLUMNS)])
    put(ws, f"A{last + 1}", Formula(
        f'=IF({count}>{last - top + 1},"The {last - top + 1} lowest of "&{count}&" clients; '
        'filter Status on the Clients sheet for the rest.","")')).font = SUBTITLE
    return Listed(top, last)


def chart(ws: Worksheet, listed: Listed, clients: int) -> tuple[int, int]:
    """A bar per client, lowest margin on top: its API margin in its status's colour over a
    pale bar of its self-hosted margin. Returns the first and last rows the chart covers."""
    shown = min(max(clients, 1), listed.last_row - listed.first_row + 1)
    rows = listed.first_row + shown - 1

    def column(letter: str) -> Reference:
        index = ws[f"{letter}1"].column
        return Reference(ws, min_col=index, min_row=listed.first_row, max_row=rows)

    bars = BarChart()
    bars.type = "bar"
    bars.grouping = "clustered"
    bars.overlap = 100  # one bar per client: the statuses never overlap, self-hosted behind
    bars.gapWidth = 40
    bars.title = "Gross margin per client, lowest API margin first"
    series = [("H", "Self-hosted margin", charts.SELF_HOSTED_PALE)]
    series += [(letter, f"API margin: {status.lower()}", color)
               for letter, status, color in STATUS_COLUMNS]
    for letter, label, color in series:
        bars.add_data(column(letter), titles_from_data=False)
        bars.series[-1].tx = SeriesLabel(v=label)
        charts.bar(bars.series[-1], color)
    bars.set_categories(column("A"))
    bars.x_axis.scaling.orientation = "maxMin"  # the list's order, top down
    bars.x_axis.tickLblPos = "low"              # names at the left, clear of negative bars
    bars.x_axis.delete = False
    bars.y_axis.delete = False
    bars.y_axis.crosses = "max"
    bars.y_axis.numFmt = "0%"
    bars.y_axis.majorGridlines = None
    bars.legend.position = "b"
    bars.visible_cells_only = False  # the status columns are hidden
    top = listed.last_row + 3
    last = top + max(16, round(shown * 1.4) + 8)
    charts.anchor(ws, bars, f"A{top}", f"J{last}")
    return top, last
