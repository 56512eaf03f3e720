"""Printing the Actuals sheet: landscape A4 or Letter, columns A..K one page wide at a fixed
scale, and a page break only where a part of the sheet begins (a table with its heading, a
chart), so no table or chart is cut in two unless it is longer than a page. Excel ignores
manual breaks under "fit to page", hence the fixed scale (``page.fixed``)."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import page

LAST_COLUMN = "K"


def breaks(ws: Worksheet, starts: Sequence[int], end: int, scale: int) -> list[int]:
    """The rows to break after: before each part that would run past the page it starts
    on. ``starts`` are the first rows of the parts, ``end`` the sheet's last row."""
    room = page.PAGE_HEIGHT_IN * page.POINTS_PER_IN * 0.97 * 100 / scale
    edges = sorted({s for s in starts if 1 <= s <= end})
    found: list[int] = []
    top = 1
    for i, first in enumerate(edges):
        last = (edges[i + 1] - 1) if i + 1 < len(edges) else end
        if first > top and page.height_pt(ws, top, last) > room:
            found.append(first - 1)
            top = first
    return found


def paginate(ws: Worksheet, starts: Sequence[int], end: int) -> None:
    scale = page.scale_for([page.width_px(ws, "A", LAST_COLUMN)])
    page.fixed(ws, scale, row_breaks=breaks(ws, starts, end, scale))
