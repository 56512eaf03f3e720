"""The Sensitivity sheet's results, from ``xlmargin.sensitivity``'s four sums over the roster
(``loads``) and its total for any set of assumptions (``api_cogs``): the ranges' expected
values, the cases, each assumption alone at each end, their ranks, the drivers table and the
tornado chart's data."""

from __future__ import annotations

from typing import Any

from openpyxl.utils.cell import column_index_from_string

from xlmargin import sensitivity as sens
from xlmargin.presets import USE_CASES
from xlmargin.sheets import layout
from xlmargin.sheets import sensitivity as ssheet
from xlmargin.sheets.cached import Book, cache
from xlmargin.sheets.cached_math import text


def sheet(book: Book) -> None:
    ws = book.wb[layout.SENSITIVITY]
    clients_ws = book.wb[layout.CLIENTS]
    n = book.names
    ranges = sens.ARTICLE_RANGES
    names = {r.assumption: layout.MULTIPLIER_NAMES[r.assumption] for r in ranges}
    for offset, r in enumerate(ranges):
        cache(ws, f"C{ssheet.RANGE_FIRST + offset}", n[names[r.assumption]])

    # The retrieval use cases, then their roster CSV keys in the row below (from Assumptions).
    labels = list(ssheet.RETRIEVAL_LABELS[:len(ssheet.RETRIEVAL_COLUMNS)])
    csv_key = {c.label.lower(): c.key for c in USE_CASES}
    for index, letter in enumerate(ssheet.RETRIEVAL_COLUMNS):
        label = labels[index] if index < len(labels) else ""
        cache(ws, f"{letter}{ssheet.RETRIEVAL_ROW + 1}", csv_key.get(label.lower(), ""))
    # As the sheet's MATCH finds a use case among them: whole text, any case.
    keys = {k.lower() for label in labels for k in (label, csv_key.get(label.lower(), "")) if k}
    retrieval = []
    column = column_index_from_string(layout.COL["use_case"])
    for row in range(layout.FIRST_ROW, layout.FIRST_ROW + len(book.priced)):
        use_case = clients_ws.cell(row=row, column=column).value
        retrieval.append(isinstance(use_case, str) and use_case.lower() in keys)
    load = sens.loads(book.priced, retrieval, n["CachedInputShare"])
    for offset, value in enumerate((load.base_usd_per_day, load.usd_per_day_per_prompt_token,
                                    load.retrieval_base_usd_per_day,
                                    load.retrieval_usd_per_day_per_prompt_token)):
        cache(ws, f"B{ssheet.SUMS_FIRST + offset}", value)
    expected_values = {r.assumption: n[names[r.assumption]] for r in ranges}

    def total(values: dict[str, float]) -> float:
        return sens.api_cogs(load, values, n["EmbeddingsOverhead"], n["DaysPerMonth"])

    expected = total(expected_values)
    api_cogs = n[layout.API_COGS]
    check = ("OK" if abs(expected - api_cogs) <= 0.000001 * (1 + abs(api_cogs))
             else "#differs: is a model listed twice on Pricing?")
    cache(ws, f"B{ssheet.CHECK_ROW}", check)
    cache(ws, f"A{ssheet.CHECK_NOTE}", f"Check against the Summary: {check}")

    # Each assumption alone at each end of its range (widened to take in Expected).
    work: list[dict[str, Any]] = []
    for r in ranges:
        value = expected_values[r.assumption]
        low, high = min(r.low, value), max(r.high, value)
        at_low = total({**expected_values, r.assumption: low})
        at_high = total({**expected_values, r.assumption: high})
        fmt = ssheet.FORMATS[r.assumption][2]
        label = f"{r.label}: {text(low, fmt)} to {text(high, fmt)}"
        work.append({"A": r.label, "B": low, "C": high, "D": at_low, "E": at_high,
                     "F": abs(at_high - at_low),
                     "H": label + (" (retrieval)" if r.retrieval_only else "")})
    for i, x in enumerate(work):
        x["G"] = (1 + sum(y["F"] > x["F"] for y in work)
                  + sum(y["F"] == x["F"] for y in work[:i]))
    for offset, x in enumerate(work):
        for letter in "BCDEFGH":
            cache(ws, f"{letter}{ssheet.WORK_FIRST + offset}", x[letter])

    # The three cases at the top.
    count = n[layout.CLIENT_COUNT]
    for case, row in ssheet.CASE_ROWS.items():
        column = {sens.LOW: "B", sens.HIGH: "C"}.get(case)
        values = ({r.assumption: x[column] for r, x in zip(ranges, work, strict=True)}
                  if column else expected_values)
        cogs = total(values)
        average = cogs / count if count > 0 else ""
        for letter, value in (("B", cogs), ("C", cogs - expected), ("D", average),
                              ("E", book.plain.crossover(average, n)
                               if n[layout.GPU_NAME] == "" else "#n/a with GPU capacity")):
            cache(ws, f"{letter}{row}", value)

    # The drivers, largest swing first, and the chart's data split into far and near bars.
    by_rank = sorted(work, key=lambda x: x["G"])
    for offset, x in enumerate(by_rank):
        low, high = x["D"] - expected, x["E"] - expected
        row = ssheet.DRIVER_FIRST + offset
        for letter, value in (("A", x["H"]), ("B", x["D"]), ("C", x["E"]), ("D", x["F"]),
                              ("E", low), ("F", high)):
            cache(ws, f"{letter}{row}", value)
        low_near = low * high > 0 and abs(low) < abs(high)
        high_near = low * high > 0 and abs(high) < abs(low)
        row = ssheet.CHART_FIRST + offset
        for letter, value in (("A", x["H"]), ("B", "" if low_near else low),
                              ("C", "" if high_near else high), ("D", low if low_near else ""),
                              ("E", high if high_near else "")):
            cache(ws, f"{letter}{row}", value)
