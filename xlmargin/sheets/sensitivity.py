"""The Sensitivity sheet: the month's API COGS with every hidden multiplier at the low end of the
article's range, as the Assumptions sheet has it, and at the high end; which assumption moves it
most, one at a time; and a tornado chart of those swings.

Everything is a formula over the Clients, Pricing and Assumptions sheets, so it follows the
user's edits. API cost is linear in the prices, so four SUMPRODUCTs over the client rows give
every case (see ``xlmargin.sensitivity``): no helper column per client, which keeps a
10,000-client workbook as small as it was. Prices come from ``SUMIF(PriceModels, model, ...)``,
which needs one Pricing row per model (the Clients sheet's MATCH takes the first); a check cell
flags the difference from the Summary when that is not so.

Also ``read_inputs``: the clients, settings and ranges of a workbook, for
``xlmargin sensitivity``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.legend import LegendEntry
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin import article, calc
from xlmargin import sensitivity as sens
from xlmargin.errors import InputError
from xlmargin.models import AgencySettings
from xlmargin.portfolio import ExcludedRow, PricedClient
from xlmargin.presets import USE_CASES
from xlmargin.sheets import charts, layout, page
from xlmargin.sheets.cells import (
    MUTED,
    SUBTITLE,
    Formula,
    define,
    header_row,
    put,
    quote_sheet,
    section,
    title,
    widths,
)
from xlmargin.sheets.formulas import Formulas

SHEET = layout.SENSITIVITY

CASES_HEADER = 5
CASE_ROWS = {sens.LOW: 6, sens.EXPECTED: 7, sens.HIGH: 8}
RANGES_HEADER = 11
RANGE_FIRST = 12
RETRIEVAL_ROW = RANGE_FIRST + len(sens.ARTICLE_RANGES)  # 17
RETRIEVAL_COLUMNS = ("B", "C", "D", "E")
DRIVERS_HEADER = RETRIEVAL_ROW + 3  # 20
DRIVER_FIRST = DRIVERS_HEADER + 1   # 21
WORK_SECTION = DRIVER_FIRST + len(sens.ARTICLE_RANGES) + 2  # 28
SUMS_FIRST = WORK_SECTION + 3       # 31
CHECK_ROW = SUMS_FIRST + 4          # 35
WORK_HEADER = CHECK_ROW + 2         # 37
WORK_FIRST = WORK_HEADER + 1        # 38
CHART_HEADER = WORK_FIRST + len(sens.ARTICLE_RANGES) + 1  # 44
CHART_FIRST = CHART_HEADER + 1      # 45
CHECK_NOTE = 9
# The tornado chart, below the hidden workings.
CHART_BOX = (CHART_FIRST + len(sens.ARTICLE_RANGES) + 2, CHART_FIRST + len(sens.ARTICLE_RANGES)
             + 24)

RETRIEVAL_NAME = "RetrievalUseCases"
RETRIEVAL_CSV_NAME = "RetrievalUseCaseCsvKeys"  # the same use cases by their roster CSV keys
# The sheets name use cases by the article's labels, as the Clients dropdown offers them; a
# workbook without this sheet may use either those or the roster's keys.
RETRIEVAL_LABELS = tuple(c.label for c in USE_CASES if c.uses_retrieval)
ANY_RETRIEVAL_NAME = (*sens.RETRIEVAL_USE_CASES, *RETRIEVAL_LABELS)
SUM_NAMES = ("RosterBaseUSDPerDay", "RosterUSDPerPromptToken", "RetrievalBaseUSDPerDay",
             "RetrievalUSDPerPromptToken")

# Per assumption: input style, computed style, TEXT() format for the chart's labels.
FORMATS = {
    "retry_rate": ("xm_input_percent", "xm_percent", "0%"),
    "context_multiplier": ("xm_input_decimal", "xm_whole", "0.0#"),
    "system_prompt_tokens": ("xm_input_number", "xm_whole", "#,##0"),
    "power_user_multiplier": ("xm_input_decimal", "xm_whole", "0.00"),
    "embeddings_overhead": ("xm_input_percent", "xm_percent", "0%"),
}
DECIMAL = "0.00"
# Each range's source, as the article words it.
ARTICLE_SAYS = {
    "retry_rate": f"{article.RETRY_RANGE.text} of calls",
    "context_multiplier": f"{article.CONTEXT_RANGE.text} (multi-turn)",
    "system_prompt_tokens": article.SYSTEM_PROMPT_RANGE.text,
    "power_user_multiplier": f"{article.POWER_USER_SHARE.text}: 50%+ of tokens",
    "embeddings_overhead": f"{article.EMBEDDINGS_RANGE.text} (RAG)",
}
CASE_LABELS = {
    sens.LOW: "Low: every assumption at its low end",
    sens.EXPECTED: "Expected: the Assumptions sheet",
    sens.HIGH: "High: every assumption at its high end",
}


def end_name(assumption: str, end: str) -> str:
    """'LowRetryRate', 'HighSystemPromptTokens': the defined name of one end of a range."""
    return f"{end.capitalize()}{layout.MULTIPLIER_NAMES[assumption]}"


def _client_rows(wb: Workbook) -> tuple[int, int]:
    """The first and last Clients rows the formulas cover, from the ClientApiCost name."""
    ref = wb.defined_names[layout.CLIENT_RANGE_NAMES["api_cost"]].attr_text
    rows = [int(n) for n in re.findall(r"\$?[A-Z]+\$?(\d+)", ref.split("!")[-1])]
    return rows[0], rows[-1]


def api_cogs_formula(values: dict[str, str]) -> str:
    """A case's total from the four sums, ``values`` naming each assumption's cell or name."""
    base, token, r_base, r_token = SUM_NAMES
    prompt = values["system_prompt_tokens"]
    return (f"DaysPerMonth*{values['context_multiplier']}*(1+{values['retry_rate']})"
            f"*{values['power_user_multiplier']}"
            f"*(({base}+{prompt}*{token})*(1+EmbeddingsOverhead)"
            f"+({r_base}+{prompt}*{r_token})*({values['embeddings_overhead']}"
            f"-EmbeddingsOverhead))")


def _sums(first: int, last: int, costs: str) -> list[tuple[str, str, str]]:
    """(name, label, formula) of the four SUMPRODUCTs over the client rows.

    Ranges are passed as SUMPRODUCT arguments of their own, where blank and text cells (rows not
    filled in, '#check inputs') count as 0; the first argument keeps only rows whose API cost
    computes (``costs``: the range the Summary's API COGS sums)."""
    clients = quote_sheet(layout.CLIENTS)

    def column(key: str) -> str:
        letter = layout.COL[key]
        return f"{clients}!${letter}${first}:${letter}${last}"

    computes = f"--ISNUMBER({costs})"
    models = column("model")
    blended = (f"(1-CachedInputShare)*SUMIF({layout.PRICE_MODELS},{models},{layout.PRICE_INPUT})"
               f"+CachedInputShare*SUMIF({layout.PRICE_MODELS},{models},{layout.PRICE_CACHE})")
    output = f"SUMIF({layout.PRICE_MODELS},{models},{layout.PRICE_OUTPUT})"
    # A blank use case is never retrieval (LibreOffice's MATCH would find a blank key cell).
    use_case = column("use_case")
    found = "+".join(f"ISNUMBER(MATCH({use_case},{name},0))"
                     for name in (RETRIEVAL_NAME, RETRIEVAL_CSV_NAME))
    retrieval = f'({use_case}<>"")*(({found})>0)'
    day = column("interactions_per_day")
    sums = []
    for prefix, mask in (("Roster", computes), ("Retrieval", f"{computes},{retrieval}")):
        base = (f"=(SUMPRODUCT({mask},{day},{column('input_tokens')},{blended})"
                f"+SUMPRODUCT({mask},{day},{column('output_tokens')},{output}))/1000000")
        token = f"=SUMPRODUCT({mask},{day},{blended})/1000000"
        who = "every client" if prefix == "Roster" else "retrieval clients"
        sums.append((f"{prefix}BaseUSDPerDay", f"Base cost / day, {who}", base))
        sums.append((f"{prefix}USDPerPromptToken",
                     f"Cost / day per system-prompt token, {who}", token))
    return sums


def build(wb: Workbook, ws: Worksheet, f: Formulas) -> None:
    title(ws, "Sensitivity: how far the hidden multipliers move API cost",
          "The article's API cost is a point estimate built from ranges. Low and High take every "
          "assumption to one end of its range; Expected is the Assumptions sheet. Yellow cells "
          "are inputs.")
    widths(ws, {"A": 42, "B": 14, "C": 14, "D": 14, "E": 17, "F": 17, "G": 9})
    ranges = sens.ARTICLE_RANGES

    # The ranges (inputs) and the retrieval use cases.
    section(ws, f"A{RANGES_HEADER - 1}", "The ranges: the article's hidden multipliers")
    header_row(ws, RANGES_HEADER, ["Assumption", "Low end", "Expected", "High end", "Applies to",
                                   "The article says"])
    for offset, r in enumerate(ranges):
        row = RANGE_FIRST + offset
        given, computed, _text = FORMATS[r.assumption]
        put(ws, f"A{row}", r.label)
        for letter, end, value in (("B", "low", r.low), ("D", "high", r.high)):
            put(ws, f"{letter}{row}", value, given)
            define(wb, end_name(r.assumption, end), ws.title, f"${letter}${row}")
        cell = put(ws, f"C{row}", Formula(f"={layout.MULTIPLIER_NAMES[r.assumption]}"), computed)
        if computed == "xm_whole" and r.assumption != "system_prompt_tokens":
            cell.number_format = DECIMAL
        put(ws, f"E{row}", "Retrieval clients" if r.retrieval_only else "Every client")
        put(ws, f"F{row}", ARTICLE_SAYS.get(r.assumption, ""))
        ws[f"A{row}"].font = Font(name="Calibri", size=10)
    put(ws, f"A{RETRIEVAL_ROW}", "Retrieval use cases (pay for embeddings)")
    keys = list(RETRIEVAL_LABELS)[:len(RETRIEVAL_COLUMNS)]
    for index, letter in enumerate(RETRIEVAL_COLUMNS):
        cell = ws[f"{letter}{RETRIEVAL_ROW}"]
        cell.style = "xm_input_text"
        if index < len(keys):
            put(ws, cell.coordinate, keys[index])
    span = f"{RETRIEVAL_COLUMNS[0]}{RETRIEVAL_ROW}:{RETRIEVAL_COLUMNS[-1]}{RETRIEVAL_ROW}"
    define(wb, RETRIEVAL_NAME, ws.title,
           f"${RETRIEVAL_COLUMNS[0]}${RETRIEVAL_ROW}:${RETRIEVAL_COLUMNS[-1]}${RETRIEVAL_ROW}")
    dv = DataValidation(type="list", formula1=f"={layout.USE_CASE_KEYS}", allow_blank=True,
                        showErrorMessage=True, errorStyle="warning", errorTitle="Not in the list",
                        error="Pick a use case from Assumptions.")
    dv.add(span)
    ws.add_data_validation(dv)
    _csv_keys(wb, ws)

    # The four sums, the check against the Summary, then each assumption alone at each end.
    first, last = _client_rows(wb)
    section(ws, f"A{WORK_SECTION}", "How it is computed")
    put(ws, f"A{WORK_SECTION + 1}",
        "Each client's API cost = days x context x (1 + retry) x power users x (base + system "
        "prompt x per-token cost) x (1 + embeddings), so each case needs four sums over the "
        "Clients rows that compute (SUMPRODUCT, prices by SUMIF from Pricing).").font = SUBTITLE
    header_row(ws, SUMS_FIRST - 1, ["Sum", "Value", "Name"])
    for offset, (name, label, formula) in enumerate(_sums(first, last, f.cost_range)):
        row = SUMS_FIRST + offset
        put(ws, f"A{row}", label)
        put(ws, f"B{row}", Formula(formula), "xm_usd").number_format = '"$"#,##0.00####'
        put(ws, f"C{row}", name).font = Font(name="Calibri", size=9, color=MUTED)
        define(wb, name, ws.title, f"$B${row}")
    expected = f"$B${CASE_ROWS[sens.EXPECTED]}"
    put(ws, f"A{CHECK_ROW}", "Check: Expected equals the Summary's API COGS")
    put(ws, f"B{CHECK_ROW}", Formula(
        f'=IF(ABS({expected}-{layout.API_COGS})<=0.000001*(1+ABS({layout.API_COGS})),"OK",'
        f'"#differs: is a model listed twice on Pricing?")'), "xm_text")

    header_row(ws, WORK_HEADER, ["Assumption alone", "Low end", "High end", "API COGS at low",
                                 "API COGS at high", "Swing", "Rank", "Chart label"])
    ws.row_dimensions[WORK_HEADER].height = 30
    names = {r.assumption: layout.MULTIPLIER_NAMES[r.assumption] for r in ranges}
    work_last = WORK_FIRST + len(ranges) - 1
    swings = f"$F${WORK_FIRST}:$F${work_last}"
    for offset, r in enumerate(ranges):
        row = WORK_FIRST + offset
        given, computed, text = FORMATS[r.assumption]
        put(ws, f"A{row}", r.label)
        # The ends widened to take in Expected, so that low <= expected <= high.
        for letter, end, side in (("B", "low", "MIN"), ("C", "high", "MAX")):
            cell = put(ws, f"{letter}{row}", Formula(
                f"={side}({end_name(r.assumption, end)},{names[r.assumption]})"), computed)
            if computed == "xm_whole" and r.assumption != "system_prompt_tokens":
                cell.number_format = DECIMAL
        for letter, end in (("D", "B"), ("E", "C")):
            put(ws, f"{letter}{row}", Formula("=" + api_cogs_formula(
                {**names, r.assumption: f"${end}${row}"})), "xm_usd")
        put(ws, f"F{row}", Formula(f"=ABS(E{row}-D{row})"), "xm_usd")
        # Largest swing first; a tie keeps the table's order (as the CLI's stable sort).
        earlier = (f"+SUMPRODUCT(--($F${WORK_FIRST}:$F{row - 1}=F{row}))" if offset else "")
        put(ws, f"G{row}", Formula(f"=1+SUMPRODUCT(--({swings}>F{row})){earlier}"), "xm_whole")
        label = f'=A{row}&": "&TEXT(B{row},"{text}")&" to "&TEXT(C{row},"{text}")'
        if r.retrieval_only:
            label += '&" (retrieval)"'
        put(ws, f"H{row}", Formula(label), "xm_text")

    # The cases, at the top.
    section(ws, f"A{CASES_HEADER - 1}", "Total API COGS / month")
    header_row(ws, CASES_HEADER, ["Case", "API COGS / month", "vs Expected",
                                  "Average / client", "Crossover (clients)"])
    ws.row_dimensions[CASES_HEADER].height = 30
    for case, row in CASE_ROWS.items():
        # Low and High take each assumption's end from the work table (widened to Expected).
        column = {sens.LOW: "B", sens.HIGH: "C"}.get(case)
        values = {r.assumption: (f"${column}${WORK_FIRST + i}" if column
                                 else layout.MULTIPLIER_NAMES[r.assumption])
                  for i, r in enumerate(ranges)}
        put(ws, f"A{row}", CASE_LABELS[case])
        put(ws, f"B{row}", Formula("=" + api_cogs_formula(values)), "xm_usd")
        put(ws, f"C{row}", Formula(f"=B{row}-{expected}"), "xm_usd")
        put(ws, f"D{row}", Formula(f'=IF({layout.CLIENT_COUNT}>0,B{row}/{layout.CLIENT_COUNT},'
                                   f'"")'), "xm_usd")
        # With GPU capacity on, the crossover is a staircase the Crossover sheet searches for
        # the roster's own loads; this sheet does not repeat that search for each case.
        put(ws, f"E{row}", Formula(f'=IF({layout.GPU_NAME}="",{f.crossover(f"$D${row}")[1:]},'
                                   f'"#n/a with GPU capacity")'), "xm_whole")
        ws[f"E{row}"].alignment = Alignment(horizontal="right", indent=1)  # "never" too
    ws[f"A{CASE_ROWS[sens.EXPECTED]}"].font = Font(name="Calibri", size=11, bold=True)

    # The drivers, largest swing first, and the tornado chart.
    section(ws, f"A{DRIVERS_HEADER - 1}",
            "Which assumption moves API cost most (alone, the others at Expected)")
    header_row(ws, DRIVERS_HEADER, ["Assumption: low to high end", "API COGS at low end",
                                    "API COGS at high end", "Swing", "Low end vs Expected",
                                    "High end vs Expected"])
    ws.row_dimensions[DRIVERS_HEADER].height = 30
    for rank in range(1, len(ranges) + 1):
        row = DRIVER_FIRST + rank - 1
        at = f"MATCH({rank},$G${WORK_FIRST}:$G${work_last},0)"

        def pick(letter: str, at: str = at) -> str:
            return f"INDEX(${letter}${WORK_FIRST}:${letter}${work_last},{at})"

        put(ws, f"A{row}", Formula(f"={pick('H')}"), "xm_text")
        put(ws, f"B{row}", Formula(f"={pick('D')}"), "xm_usd")
        put(ws, f"C{row}", Formula(f"={pick('E')}"), "xm_usd")
        put(ws, f"D{row}", Formula(f"={pick('F')}"), "xm_usd")
        put(ws, f"E{row}", Formula(f"=B{row}-{expected}"), "xm_usd")
        put(ws, f"F{row}", Formula(f"=C{row}-{expected}"), "xm_usd")
    _tornado(ws)
    _helpers_out_of_sight(ws)
    ws.freeze_panes = "A4"
    ws.print_area = f"A1:G{CHART_BOX[1]}"
    page.fit_width(ws, one_page=True)


def _csv_keys(wb: Workbook, ws: Worksheet) -> None:
    """Below the retrieval use cases, their roster CSV keys (from the Assumptions table), so a
    client whose use case is typed as document_qa counts as one typed as its label."""
    row = RETRIEVAL_ROW + 1
    put(ws, f"A{row}", "  as in a roster CSV").font = Font(name="Calibri", size=9, color=MUTED)
    for letter in RETRIEVAL_COLUMNS:
        label = f"{letter}{RETRIEVAL_ROW}"
        cell = put(ws, f"{letter}{row}", Formula(
            f'=IF({label}="","",IFERROR(INDEX({layout.USE_CASE_CSV_KEYS},'
            f'MATCH({label},{layout.USE_CASE_KEYS},0)),""))'))
        cell.font = Font(name="Calibri", size=9, color=MUTED)
    define(wb, RETRIEVAL_CSV_NAME, ws.title,
           f"${RETRIEVAL_COLUMNS[0]}${row}:${RETRIEVAL_COLUMNS[-1]}${row}")


def _helpers_out_of_sight(ws: Worksheet) -> None:
    """The sums, the one-at-a-time table and the chart's data are the formulas' workings: their
    rows are hidden, and the check against the Summary shows under the cases."""
    put(ws, f"A{CHECK_NOTE}", Formula(
        f'="Check against the Summary: "&$B${CHECK_ROW}')).font = SUBTITLE
    for row in range(WORK_SECTION - 1, CHART_FIRST + len(sens.ARTICLE_RANGES) + 1):
        ws.row_dimensions[row].hidden = True
    put(ws, f"A{CHART_BOX[0] - 1}",
        f"Rows {WORK_SECTION}-{CHART_FIRST + len(sens.ARTICLE_RANGES) - 1} (hidden) hold the "
        "workings: unhide them to see the sums behind every case.").font = SUBTITLE


def _tornado(ws: Worksheet) -> None:
    """Horizontal bars of each end's change around Expected, the largest swing on top.

    With overlap 100 the two bars of an assumption share one row, so when both ends lie on the
    same side of Expected (the embeddings' 5% and 15% against a 0% default) the longer bar would
    hide the shorter. The chart data therefore splits each end into a "far" series, drawn first,
    and a "near" one drawn over it; the near series stay out of the legend."""
    header_row(ws, CHART_HEADER, ["Chart data (sorted)", "Low end, far", "High end, far",
                                  "Low end, near", "High end, near"])
    ws.row_dimensions[CHART_HEADER].height = 30
    for offset in range(len(sens.ARTICLE_RANGES)):
        row, source = CHART_FIRST + offset, DRIVER_FIRST + offset
        low, high = f"$E${source}", f"$F${source}"
        low_near = f"AND({low}*{high}>0,ABS({low})<ABS({high}))"
        high_near = f"AND({low}*{high}>0,ABS({high})<ABS({low}))"
        put(ws, f"A{row}", Formula(f"=$A${source}"), "xm_text")
        put(ws, f"B{row}", Formula(f'=IF({low_near},"",{low})'), "xm_usd")
        put(ws, f"C{row}", Formula(f'=IF({high_near},"",{high})'), "xm_usd")
        put(ws, f"D{row}", Formula(f'=IF({low_near},{low},"")'), "xm_usd")
        put(ws, f"E{row}", Formula(f'=IF({high_near},{high},"")'), "xm_usd")
    chart_last = CHART_FIRST + len(sens.ARTICLE_RANGES) - 1

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = "What moves API cost most"
    # Series titles from the drivers table's headers ("Low end vs Expected", "High end ...").
    for column in (2, 3, 4, 5):
        chart.add_data(Reference(ws, min_col=column, min_row=CHART_FIRST, max_row=chart_last),
                       titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=CHART_FIRST, max_row=chart_last))
    for index, series in enumerate(chart.series):
        series.tx = SeriesLabel(strRef=StrRef(f"{quote_sheet(ws.title)}!${'EF'[index % 2]}$"
                                              f"{DRIVERS_HEADER}"))
        color = ("2E75B6", "C55A11")[index % 2]
        series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
    chart.legend.position = "b"
    chart.visible_cells_only = False  # its data rows are hidden
    chart.legend.legendEntry = [LegendEntry(idx=2, delete=True), LegendEntry(idx=3, delete=True)]
    chart.x_axis.scaling.orientation = "maxMin"  # the largest swing on top, as in the table
    chart.x_axis.tickLblPos = "low"              # names at the left edge, clear of the bars
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.crosses = "max"                 # the dollar axis at the bottom
    chart.y_axis.numFmt = '"$"#,##0'
    chart.y_axis.title = "Change in API COGS / month vs Expected"
    charts.anchor(ws, chart, f"A{CHART_BOX[0]}", f"G{CHART_BOX[1]}")


# --- Reading a workbook back (xlmargin sensitivity PATH.xlsx) ---------------------------------


def read_inputs(path: str | Path) -> tuple[list[PricedClient], list[bool], AgencySettings,
                                           tuple[sens.Range, ...], list[str],
                                           list[ExcludedRow]]:
    """What ``report`` reads from a workbook (its own Assumptions, Pricing and client rows, and
    the rows it cannot use), whether each client uses retrieval, and the Sensitivity sheet's
    ranges and retrieval use cases (the article's when the sheet is not there)."""
    from xlmargin.sheets.read import read_workbook

    found = read_workbook(path, extra_sheets=(SHEET,))
    ranges, retrieval_keys = _ranges(found.book, SHEET in found.sheetnames)
    retrieval = [sens.is_retrieval(c.use_case, retrieval_keys) for c in found.clients]
    return (found.clients, retrieval, found.settings, ranges, found.book.warnings,
            found.excluded)


def _ranges(book: Any, present: bool) -> tuple[tuple[sens.Range, ...], list[str]]:
    """The Sensitivity sheet's ends and retrieval use cases; a bad cell keeps the article's."""
    if not present:
        book.warnings.append(f"no {SHEET} sheet: using the article's ranges")
        return sens.ARTICLE_RANGES, list(ANY_RETRIEVAL_NAME)
    ranges = []
    for r in sens.ARTICLE_RANGES:
        ends = {}
        for end in ("low", "high"):
            ends[end] = getattr(r, end)
            for address, value in book.cells(end_name(r.assumption, end))[:1]:
                try:
                    ends[end] = calc.number(address, value, **calc.MULTIPLIER_BOUNDS[r.assumption])
                except InputError as error:
                    book.warnings.append(f"{error}; using the article's {ends[end]:g}")
        ranges.append(replace(r, **ends))
    # As the sheet's MATCH compares: whole text, any case.
    keys = ([v for _address, v in book.cells(RETRIEVAL_NAME) if isinstance(v, str) and v]
            if RETRIEVAL_NAME in book.names else list(ANY_RETRIEVAL_NAME))
    return tuple(ranges), [*keys, *_csv_keys_of(book, keys)]


def _csv_keys_of(book: Any, labels: list[str]) -> list[str]:
    """The roster CSV keys of ``labels``, as the sheet's second row finds them."""
    names = (layout.USE_CASE_KEYS, layout.USE_CASE_CSV_KEYS)
    if not all(n in book.names for n in names):
        return []
    by_label: dict[str, str] = {}
    for (_a, label), (_b, key) in zip(*(book.cells(n) for n in names), strict=False):
        if isinstance(label, str) and isinstance(key, str) and key:
            by_label.setdefault(label.lower(), key)
    return [by_label[v.lower()] for v in labels if v.lower() in by_label]
