"""The Actuals sheet: what the usage exports say each client cost, beside the forecast.

``write_actuals`` puts it into a workbook made by ``xlmargin new`` that the user may have
edited since. The workbook is loaded with openpyxl (``keep_vba`` for .xlsm), the Actuals sheet
is written (replaced on a second run), and the file is saved atomically after a backup copy of
the original is made beside it. The forecast, variance and flag are formulas over the Clients
sheet's defined names, so they follow the user's edits; the actuals are values.

openpyxl re-writes what it can read: cells, styles, names, validation, conditional formats,
tables, comments, charts it can parse, the VBA project. Parts it cannot read (shapes, text
boxes, Excel 2010+ extensions such as sparklines, slicers, threaded comments, chart style
parts, images without Pillow) would be lost; ``losses`` names them so the CLI can say so,
and the backup keeps them. Office add-ins' parts (``xl/webextensions/``: an xlwings Lite
workbook's code and settings) are read from the original and put back, byte for byte, into
the saved file before it replaces the original.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin import calc
from xlmargin.errors import InputError
from xlmargin.sheets import layout
from xlmargin.sheets.actuals_months import Row, write_months
from xlmargin.sheets.actuals_print import paginate
from xlmargin.sheets.cells import (
    BOLD,
    GREEN_FILL,
    INK,
    MUTED,
    RED_FILL,
    SUBTITLE,
    Formula,
    cleaned_warning,
    define,
    fill,
    header_row,
    named_styles,
    put,
    section,
    title,
    widths,
)
from xlmargin.sheets.files import leftover_notes, save_atomic
from xlmargin.sheets.lite_parts import LiteParts, read_lite_parts
from xlmargin.sheets.lock import locked
from xlmargin.sheets.opening import not_a_workbook, usable_destinations
from xlmargin.sheets.tempfiles import flush_to_disk, new_temp, resolved, sweep
from xlmargin.sheets.zipcheck import check_zip

ACTUALS = "Actuals"
TITLE = "Actual API cost vs forecast"
ACTUAL_HEADER = "Actual API cost / month"
OVER = "Over forecast"
TOLERANCE = 0.15
# Defined names: a user reads the actuals anywhere with INDEX(ActualMonthlyCost, MATCH(...)).
ACTUAL_CLIENTS, ACTUAL_MONTHLY, TOLERANCE_NAME = (
    "ActualClients", "ActualMonthlyCost", "OverForecastTolerance")
NEEDED_SHEETS = (layout.CLIENTS, layout.PRICING, layout.ASSUMPTIONS)
NEEDED_NAMES = (layout.CLIENT_RANGE_NAMES["client"], layout.CLIENT_RANGE_NAMES["api_cost"])
SUFFIXES = (".xlsx", ".xlsm")
TABLE_HEADER = 10
COLUMNS = (  # (header, width, style) for A..K
    ("Client", 30, "xm_text"), ("Forecast API cost / month", 14, "xm_usd"),
    (ACTUAL_HEADER, 14, "xm_usd"), ("Variance / month", 13, "xm_usd"),
    ("Variance %", 10, "xm_percent"), ("Status", 20, "xm_text"), ("Requests", 11, "xm_whole"),
    ("Input tokens", 14, "xm_tokens"), ("Cached input tokens", 14, "xm_tokens"),
    ("Output tokens", 14, "xm_tokens"), ("Cost in period", 13, "xm_usd"))
USAGE_KEYS = ("requests", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd")
LISTED_WARNINGS = 20
TOTAL_FONT = Font(name="Calibri", size=10, bold=True, color=INK)


@dataclass
class Written:
    """What ``write_actuals`` did, for the command's message."""

    path: Path
    backup: Path
    roster: list[tuple[str, float]]
    """(roster client, actual monthly USD) in Clients order; 0 for no usage."""
    off_roster: list[str]
    tolerance: float
    losses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_path(path: str | Path) -> Path:
    """The cheap checks, before an import that may take a while."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(str(path), "--workbook takes the .xlsx or .xlsm made by `xlmargin new`")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    return path


def write_actuals(path: str | Path, data: Mapping[str, Any], *, sources: Sequence[str] = (),
                  now: datetime | None = None) -> Written:
    """Write the Actuals sheet of ``data`` (the ``import-usage --json`` shape) into ``path``.

    Raises InputError, with nothing written, when the file is not a workbook made by
    ``xlmargin new`` or the import holds no usage."""
    path = check_path(path)
    now = now or datetime.now()
    if not data.get("months"):
        raise InputError(", ".join(sources) or "import", "no usage in the files: nothing to "
                         f"write to {path.name}")
    # A link is written through (the file it points to is updated, the link kept), so the
    # lock and the backup go with that file.
    target = resolved(path)
    # Locked from reading to replacing: a second import waits, so it reads this one's result
    # instead of overwriting it with an Actuals sheet made from the same original.
    with locked(target, str(path)):
        removed = sweep(target)
        written = _rewrite(path, target, data, sources, now)
        written.notes.extend(leftover_notes(removed))
    if path.is_symlink():
        written.notes.append(f"{path} is a symbolic link: wrote the file it points to, "
                             f"{target}, and kept the original beside it as {written.backup}")
    return written


def _rewrite(path: Path, target: Path, data: Mapping[str, Any], sources: Sequence[str],
             now: datetime) -> Written:
    wb, losses, carried = _load(path)
    _check(wb, path)
    roster, notes = _roster(wb)
    tolerance = _old_tolerance(wb, notes)
    ws = _fresh_sheet(wb, path)
    _ensure_styles(wb)
    usage = _by_name(data["clients"])
    written = Written(path, _backup_name(target, now), [], [], tolerance, losses, notes)
    try:
        _build(wb, ws, data, roster, usage, tolerance, sources, now, written)
    except InputError as error:  # a cell of the sheet being made: say which workbook
        raise InputError(f"{path}: {error.where}", error.problem) from error
    note = _clients_column(wb)
    if note:
        written.notes.append(note)
    wb.calculation.fullCalcOnLoad = True  # openpyxl drops cached results: recompute on open
    _backup(target, written.backup, path)
    try:
        save_atomic(wb, path, parts=carried)
    except BaseException as error:
        written.backup.unlink(missing_ok=True)  # nothing was written: nothing to back up
        if isinstance(error, InputError) and isinstance(error.__cause__, PermissionError):
            raise InputError(str(path), f"cannot replace it ({error.__cause__.strerror}); is "
                                        "it open in Excel? Close it and run again") from error
        if isinstance(error, ET.ParseError | zipfile.BadZipFile | zlib.error):
            # openpyxl reads some of an .xlsm's parts (its package's) only when it saves.
            raise InputError(str(path), "not an Excel workbook: a part it carries over is "
                                        f"damaged ({error})") from error
        raise
    warning = cleaned_warning(wb)  # after the save, which cleans the document properties too
    if warning:
        written.warnings.append(warning)
    return written


# --- loading and checking --------------------------------------------------------------------

# Parts of the package openpyxl neither reads nor copies: (path pattern, what the user loses).
DROPPED_PARTS = (
    (r"xl/threadedComments/", "threaded comments (legacy notes are kept)"),
    (r"xl/slicers/|xl/slicerCaches/", "slicers"),
    (r"xl/timelines/|xl/timelineCaches/", "timelines"),
    (r"xl/charts/chartEx", "Excel 2016 charts (waterfall, treemap, funnel...)"),
    (r"xl/charts/(style|colors)\d+\.xml", "chart styles and colour sets (charts keep their "
                                          "data and basic formatting)"),
    (r"customXml/", "custom XML parts"),
    (r"xl/webextensions/", "Office add-ins and their settings (xlwings Lite's code)"),
)


def _load(path: Path) -> tuple[Workbook, list[str], LiteParts | None]:
    """The workbook, what the rewrite will lose, and the add-in parts it carries over."""
    check_zip(path)  # before openpyxl inflates anything
    vba = path.suffix.lower() == ".xlsm"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = load_workbook(path, keep_vba=vba)
        except Exception as error:  # openpyxl raises many types for a file that is not one
            raise not_a_workbook(str(path), error) from error
    losses = [f"openpyxl: {w.message}" for w in caught if issubclass(w.category, UserWarning)]
    try:
        carried = read_lite_parts(path)
        losses.extend(_dropped_parts(path, wb, carried.names if carried else frozenset()))
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as error:
        # A part openpyxl does not read is damaged (its checksum, its compressed data).
        raise InputError(str(path), f"not an Excel workbook: {error}") from error
    return wb, list(dict.fromkeys(losses)), carried


def _dropped_parts(path: Path, wb: Workbook, carried: frozenset[str] = frozenset()) -> list[str]:
    """What the rewrite loses; ``carried`` names the parts put back after it."""
    found: list[str] = []
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n not in carried]
        for pattern, what in DROPPED_PARTS:
            if any(re.match(pattern, n) for n in names):
                found.append(what)
        charts = sum(1 for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        pictures = shapes = placed = 0
        for name in names:
            if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name):
                text = archive.read(name).decode("utf-8", "replace")
                pictures += len(re.findall(r"<(?:\w+:)?pic>", text))
                shapes += len(re.findall(r"<(?:\w+:)?(?:sp|grpSp|cxnSp)>", text))
            elif re.fullmatch(r"xl/drawings/_rels/drawing\d+\.xml\.rels", name):
                # An add-in placed on a sheet hangs from a drawing, which openpyxl rewrites
                # without it (task pane add-ins such as xlwings Lite hang from the package).
                placed += archive.read(name).count(b'/2011/relationships/webextension"')
    kept_charts = sum(len(ws._charts) for ws in wb.worksheets)
    kept_pictures = sum(len(ws._images) for ws in wb.worksheets)
    if charts > kept_charts:
        found.append(f"{charts - kept_charts} chart(s) openpyxl cannot read")
    if pictures > kept_pictures:
        found.append(f"{pictures - kept_pictures} picture(s) (install Pillow to keep them)")
    if shapes:
        found.append(f"{shapes} shape(s) or text box(es)")
    if placed:
        found.append(f"{placed} Office add-in(s) placed on a sheet")
    return found


def _check(wb: Workbook, path: Path) -> None:
    missing = [f"sheet {s}" for s in NEEDED_SHEETS if s not in wb.sheetnames]
    missing += [f"defined name {n}" for n in NEEDED_NAMES if n not in wb.defined_names]
    if missing:
        raise InputError(str(path), f"not a workbook made by `xlmargin new`: no "
                                    f"{', no '.join(missing)}")


def _destination(wb: Workbook, name: str) -> tuple[str, str] | None:
    defined = wb.defined_names.get(name)
    if defined is None:
        return None
    for sheet, ref in usable_destinations(defined):
        return sheet, ref.replace("$", "")
    return None


def _roster(wb: Workbook) -> tuple[list[str], list[str]]:
    """The roster's client names, from the ClientNames range (the forecast formulas' range)."""
    where = _destination(wb, layout.CLIENT_RANGE_NAMES["client"])
    if where is None or where[0] not in wb.sheetnames:
        return [], ["ClientNames does not point at a sheet: no roster clients listed"]
    ws = wb[where[0]]
    min_col, min_row, _max_col, max_row = range_boundaries(where[1])
    names: dict[str, str] = {}
    notes: list[str] = []
    for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                            max_col=min_col, values_only=True):
        value = row[0]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        name = str(value).strip()
        if name.casefold() in names:
            notes.append(f"client {name!r} is on the Clients sheet twice; its forecast is the "
                         "first row's")
            continue
        names[name.casefold()] = name
    return list(names.values()), notes


def _old_tolerance(wb: Workbook, notes: list[str]) -> float:
    """Keep a tolerance the user typed on the previous Actuals sheet. It is a share, as
    everywhere: 15 typed for 15% is refused with the fix (in ``notes``), and 15% used."""
    where = _destination(wb, TOLERANCE_NAME)
    if where is None or where[0] not in wb.sheetnames:
        return TOLERANCE
    value = wb[where[0]][where[1]].value
    if isinstance(value, str):
        value = calc.percent_text(value)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return TOLERANCE
    try:
        return calc.number(f"{where[0]}!{where[1]} (over-forecast tolerance)", value,
                           share=True)
    except InputError as error:
        notes.append(f"{error}; using {TOLERANCE:.0%}")
        return TOLERANCE


def _fresh_sheet(wb: Workbook, path: Path) -> Worksheet:
    """An empty Actuals sheet where the old one was (after Summary the first time)."""
    if ACTUALS in wb.sheetnames:
        old = wb[ACTUALS]
        if old["A1"].value != TITLE:
            raise InputError(f"{path}: sheet {ACTUALS}", "was not written by xlmargin (its A1 "
                             f"is not {TITLE!r}); rename it and run again")
        index = wb.sheetnames.index(ACTUALS)
        wb.remove(old)
    else:
        index = (wb.sheetnames.index(layout.SUMMARY) + 1 if layout.SUMMARY in wb.sheetnames
                 else len(wb.sheetnames))
    for name in (ACTUAL_CLIENTS, ACTUAL_MONTHLY, TOLERANCE_NAME):
        if name in wb.defined_names:
            del wb.defined_names[name]
    return wb.create_sheet(ACTUALS, index)


def _ensure_styles(wb: Workbook) -> None:
    """The generator's named styles, for any the user's workbook no longer has."""
    template = Workbook()
    named_styles(template)
    have = set(wb.named_styles)
    for style in template._named_styles:
        if style.name not in have:
            wb.add_named_style(copy(style))


# --- the sheet -------------------------------------------------------------------------------

def lookup_key(ref: str) -> str:
    """``ref`` with MATCH's wildcards (* ? ~) escaped, so a name matches only itself."""
    return f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({ref},"~","~~"),"*","~*"),"?","~?")'


def _build(wb: Workbook, ws: Worksheet, data: Mapping[str, Any], roster: list[str],
           usage: dict[str, dict[str, Any]], tolerance: float, sources: Sequence[str],
           now: datetime, written: Written) -> None:
    title(ws, TITLE, "Actuals are values from `xlmargin import-usage`; the forecast, variance "
                     "and status are formulas over the Clients sheet. Import again to refresh.")
    widths(ws, {get_column_letter(i): w for i, (_h, w, _s) in enumerate(COLUMNS, start=1)})
    period = data["period"]
    for row, label, value, style in (
            (4, "Period start", date.fromisoformat(period["start"]), "yyyy-mm-dd"),
            (5, "Period end", date.fromisoformat(period["end"]), "yyyy-mm-dd"),
            (6, "Months covered", data["months"], "0.00"),
            (7, "Flag when over forecast by", tolerance, "xm_input_percent")):
        put(ws, f"A{row}", label)
        cell = put(ws, f"B{row}", value)
        if style.startswith("xm_"):
            cell.style = style
        else:
            cell.number_format = style
    define(wb, TOLERANCE_NAME, ACTUALS, "$B$7")
    put(ws, "A8", "Imported")
    put(ws, "B8", f"{now:%Y-%m-%d %H:%M} from " + (", ".join(Path(s).name for s in sources)
                                                   or "usage exports"))

    header_row(ws, TABLE_HEADER, [h for h, _w, _s in COLUMNS])
    ws.row_dimensions[TABLE_HEADER].height = 32
    first = TABLE_HEADER + 1
    for offset, name in enumerate(roster):
        r = first + offset
        found = usage.get(name.casefold())
        actual = float(found["monthly_cost_usd"] or 0) if found else 0.0
        written.roster.append((name, actual))
        _usage_row(ws, r, name, actual, found)
        b, c = f"B{r}", f"C{r}"
        put(ws, b, Formula(f"=IFERROR(INDEX({layout.CLIENT_RANGE_NAMES['api_cost']},"
                           f"MATCH({lookup_key(f'$A{r}')},{layout.CLIENT_RANGE_NAMES['client']},"
                           '0)),"#not on Clients")'), "xm_usd")
        put(ws, f"D{r}", Formula(f'=IF(ISNUMBER({b}),{c}-{b},"")'), "xm_usd")
        put(ws, f"E{r}", Formula(f'=IF(AND(ISNUMBER({b}),N({b})>0),D{r}/{b},"")'),
            "xm_percent")
        put(ws, f"F{r}", Formula(
            f'=IF(ISNUMBER({b}),IF({c}>{b}*(1+{TOLERANCE_NAME}),"{OVER}",'
            f'IF({c}=0,"No usage","OK")),IF(LEFT({b},1)="#",{b},"#no forecast"))'), "xm_text")
    last = max(first, first + len(roster) - 1)
    if not roster:
        put(ws, f"A{first}", "(no clients on the Clients sheet)")
    define(wb, ACTUAL_CLIENTS, ACTUALS, f"$A${first}:$A${last}")
    define(wb, ACTUAL_MONTHLY, ACTUALS, f"$C${first}:$C${last}")
    total = last + 1
    _total(ws, total, "Roster total", first, last, "BCDGHIJK")
    put(ws, f"E{total}", Formula(f'=IF(AND(ISNUMBER(B{total}),N(B{total})>0),'
                                 f'D{total}/B{total},"")'), "xm_percent")
    _highlights(ws, first, last)

    # Usage the roster does not explain: other clients, then what no identifier maps.
    row = total + 2
    starts = [1, row]  # where each part of the sheet begins: a page breaks only there
    section(ws, f"A{row}", "Usage not matched to a client on the Clients sheet")
    header_row(ws, row + 1, [h for h, _w, _s in COLUMNS])
    ws.row_dimensions[row + 1].height = 32
    on_roster = {n.casefold() for n in roster}
    others = [c for key, c in usage.items() if key not in on_roster]
    start = row + 2
    r = start - 1
    for entry in others:
        r += 1
        written.off_roster.append(entry["client"])
        _usage_row(ws, r, entry["client"], float(entry["monthly_cost_usd"] or 0), entry)
        put(ws, f"F{r}", "Not on Clients", "xm_text")
    if data.get("unattributed"):
        r += 1
        entry = data["unattributed"]
        _usage_row(ws, r, "(unattributed)", float(entry["monthly_cost_usd"] or 0), entry)
        put(ws, f"F{r}", "No mapped identifier", "xm_text")
    if r < start:
        r = start
        put(ws, f"A{r}", "(none: all usage is on the Clients sheet)")
    everything = r + 1
    put(ws, f"A{everything}", "All imported usage").font = BOLD
    for letter in "CGHIJK":
        put(ws, f"{letter}{everything}",
            Formula(f"=SUM({letter}{first}:{letter}{last},{letter}{start}:{letter}{r})"),
            COLUMNS[ord(letter) - 65][2]).font = TOTAL_FONT

    month_rows = [Row(name, usage.get(name.casefold())) for name in roster]
    month_rows += [Row(entry["client"], entry) for entry in others]
    if data.get("unattributed"):
        month_rows.append(Row("(unattributed)", data["unattributed"], unattributed=True))
    row = write_months(ws, data, month_rows, everything + 2, starts)
    starts.append(row)
    section(ws, f"A{row}", "Unpriced models: tokens counted, not in any cost above")
    header_row(ws, row + 1, ["Model", "Input tokens", "Output tokens"])
    r = row + 1
    for entry in data.get("unpriced") or []:
        r += 1
        put(ws, f"A{r}", entry["model"], "xm_text")
        put(ws, f"B{r}", entry["input_tokens"], "xm_tokens")
        put(ws, f"C{r}", entry["output_tokens"], "xm_tokens")
    if r == row + 1:
        r += 1
        put(ws, f"A{r}", "(none: every model had a price)")

    row = r + 2
    starts.append(row)
    section(ws, f"A{row}", "Reading the actuals elsewhere in the workbook")
    for offset, line in enumerate((
            "A client's actual monthly API cost, in any cell (Excel, LibreOffice, Google Sheets):",
            "=INDEX(ActualMonthlyCost,MATCH(\"Client name\",ActualClients,0))",
            f"The Clients sheet's '{ACTUAL_HEADER}' column does this for every row.")):
        put(ws, f"A{row + 1 + offset}", line).font = SUBTITLE
    row += 4
    problems = list(data.get("warnings") or [])
    if problems:
        row += 1
        starts.append(row)
        section(ws, f"A{row}", "Import warnings")
        for line in problems[:LISTED_WARNINGS]:
            row += 1
            put(ws, f"A{row}", line).font = SUBTITLE
        if len(problems) > LISTED_WARNINGS:
            row += 1
            put(ws, f"A{row}", f"... {len(problems) - LISTED_WARNINGS} more: run the import "
                               "in a terminal").font = SUBTITLE
    _chart(ws, first, last, row + 2)
    starts.append(row + 2)
    ws.freeze_panes = f"B{first}"
    end = max(ws.max_row, row + 2 + _chart_rows(first, last))
    paginate(ws, starts, end)
    # The chart data right of K is for the line chart, not for paper.
    ws.print_area = f"A1:K{end}"


def _usage_row(ws: Worksheet, r: int, name: str, actual: float,
               entry: Mapping[str, Any] | None) -> None:
    put(ws, f"A{r}", name, "xm_text")
    put(ws, f"C{r}", actual, "xm_usd")
    for letter, key in zip("GHIJK", USAGE_KEYS, strict=True):
        put(ws, f"{letter}{r}", (entry or {}).get(key, 0) or 0, COLUMNS[ord(letter) - 65][2])


def _total(ws: Worksheet, r: int, label: str, first: int, last: int, letters: str) -> None:
    put(ws, f"A{r}", label).font = BOLD
    for letter in letters:
        put(ws, f"{letter}{r}", Formula(f"=SUM({letter}{first}:{letter}{last})"),
            COLUMNS[ord(letter) - 65][2]).font = TOTAL_FONT


def _highlights(ws: Worksheet, first: int, last: int) -> None:
    rows = f"A{first}:F{last}"
    ws.conditional_formatting.add(rows, FormulaRule(
        formula=[f'$F{first}="{OVER}"'], fill=fill(RED_FILL), font=Font(color="9B1C1C",
                                                                         bold=True)))
    ws.conditional_formatting.add(f"F{first}:F{last}", FormulaRule(
        formula=[f'$F{first}="OK"'], fill=fill(GREEN_FILL)))
    ws.conditional_formatting.add(f"F{first}:F{last}", FormulaRule(
        formula=[f'OR(LEFT($F{first},1)="#",$F{first}="No usage")'],
        font=Font(color=MUTED, italic=True)))


def _chart_height_cm(first: int, last: int) -> float:
    return max(7.5, 0.6 * (last - first + 1) + 3)


def _chart_rows(first: int, last: int) -> int:
    """Rows of 15 points (0.53 cm) the bar chart covers."""
    return int(_chart_height_cm(first, last) / 0.53) + 1


def _chart(ws: Worksheet, first: int, last: int, anchor_row: int) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.title = "API cost / month: forecast and actual"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.numFmt = '"$"#,##0'
    chart.y_axis.majorGridlines = None
    chart.x_axis.scaling.orientation = "maxMin"  # clients top to bottom, as in the table
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=TABLE_HEADER, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.legend.position = "b"
    chart.height, chart.width = _chart_height_cm(first, last), 20
    ws.add_chart(chart, f"A{anchor_row}")


# --- the Clients column: the actuals where the user already looks ----------------------------

def _clients_column(wb: Workbook) -> str | None:
    """An 'Actual API cost / month' column on the Clients sheet, looked up from Actuals with
    INDEX/MATCH (no new functions, so it works in .xlsx and .xlsm alike). Added in the first
    free column right of the headers; reused on later runs wherever the user moved it.
    Returns a note when there is no room."""
    ws = wb[layout.CLIENTS]
    header_at, columns = None, {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=20, values_only=True), start=1):
        columns = {v.strip().lower(): c for c, v in enumerate(row, start=1)
                   if isinstance(v, str) and v.strip()}
        if "client" in columns and len(columns) >= 5:
            header_at = r
            break
    if header_at is None:
        return f"{layout.CLIENTS}: no header row found; no '{ACTUAL_HEADER}' column added"
    where = _destination(wb, layout.CLIENT_RANGE_NAMES["client"])
    last = range_boundaries(where[1])[3] if where and where[0] == ws.title else ws.max_row
    column = columns.get(ACTUAL_HEADER.lower())
    if column is None:
        column = max(columns.values()) + 1
        taken = [c.coordinate for row in ws.iter_rows(min_row=header_at, max_row=last,
                                                      min_col=column, max_col=column)
                 for c in row if c.value is not None]
        if taken:
            return (f"{layout.CLIENTS}: column {get_column_letter(column)} is in use "
                    f"({taken[0]}); no '{ACTUAL_HEADER}' column added: use "
                    f"INDEX({ACTUAL_MONTHLY},MATCH(name,{ACTUAL_CLIENTS},0))")
        header_row(ws, header_at, [ACTUAL_HEADER], first_col=column)
        ws.column_dimensions[get_column_letter(column)].width = 13
        _widen_print_area(ws, column)
    letter, name = get_column_letter(column), get_column_letter(columns["client"])
    for r in range(header_at + 1, last + 1):
        key = f"${name}{r}"
        put(ws, f"{letter}{r}", Formula(
            f'=IF(TRIM({key})="","",IFERROR(INDEX({ACTUAL_MONTHLY},MATCH({lookup_key(key)},'
            f'{ACTUAL_CLIENTS},0)),"not imported"))'), "xm_usd")
    return None


def _widen_print_area(ws: Worksheet, column: int) -> None:
    """A print area that ended just left of the new column now takes it in."""
    area = ws.print_area
    if not area or "," in area:
        return
    ref = area.split("!")[-1].replace("$", "")
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if max_col == column - 1:
        ws.print_area = (f"{get_column_letter(min_col)}{min_row}:"
                         f"{get_column_letter(column)}{max_row}")


# --- files -----------------------------------------------------------------------------------

_SUMMED = ("requests", "input_tokens", "cached_input_tokens", "output_tokens", "cost_usd",
           "monthly_cost_usd")


def _by_name(clients: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Usage per client name as Excel's MATCH sees names (ignoring case); clients whose names
    differ only in case are added together rather than one hiding the other."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in clients:
        key = entry["client"].strip().casefold()
        if key not in merged:
            merged[key] = dict(entry)
            continue
        total = merged[key]
        for name in _SUMMED:
            if entry.get(name) is not None:
                total[name] = (total.get(name) or 0) + entry[name]
    return merged


def _backup_name(path: Path, now: datetime) -> Path:
    stem = f"{path.stem}.bak-{now:%Y%m%d-%H%M%S}"
    candidate, n = path.with_name(stem + path.suffix), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{stem}-{n}{path.suffix}")
    return candidate


def _backup(target: Path, backup: Path, path: Path) -> None:
    """A byte-for-byte copy of ``target``, complete or absent: written to a temp file, flushed
    to disk, then renamed (to a name ``_backup_name`` found free under the workbook's lock)."""
    temp: Path | None = None
    try:
        temp = new_temp(target)
        with open(target, "rb") as source, open(temp, "wb") as copy_:
            shutil.copyfileobj(source, copy_)
        shutil.copystat(target, temp)
        flush_to_disk(temp)
        os.replace(temp, backup)
    except BaseException as error:
        if temp is not None:
            temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(str(backup), f"cannot write the backup: "
                                          f"{error.strerror or error}; {path} is unchanged"
                             ) from error
        raise
