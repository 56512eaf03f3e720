"""The Crossover sheet's results: the headline, the scenarios' crossovers (with GPU capacity on,
the staircase search of ``calc.crossover_at_capacity`` step by step as the hidden helper cells
unroll it), the capacity box, the 1-to-30-client table and the chart's two marked points."""

from __future__ import annotations

from typing import Any

from openpyxl.utils import get_column_letter

from xlmargin.sheets import crossover as xsheet
from xlmargin.sheets import layout
from xlmargin.sheets.cached import Book, cache
from xlmargin.sheets.cached_math import (
    is_number,
    joined,
    na,
    spreadsheet_int,
    text,
)

CHEAPER_FROM = "Self-hosting cheaper from "


def sheet_values(book: Book) -> dict[str, Any]:
    """Every formula cell of the sheet by coordinate."""
    n = book.names
    out: dict[str, Any] = {}
    count, crossover = n[layout.CLIENT_COUNT], n[layout.CROSSOVER_CLIENTS]
    out[f"A{xsheet.HEADLINE_ROW}"] = _headline(count, crossover, n[layout.AVERAGE_API_COST])
    _capacity_box(n, out)
    row = xsheet.SCENARIO_ROW
    out[f"B{row}"] = n[layout.AVERAGE_API_COST]
    out[f"C{row}"] = n[layout.TOTAL_REVENUE] / count if count > 0 else ""
    scenarios = [(out[f"B{row}"], out[f"C{row}"]),
                 *((cost, layout.ARTICLE_RETAINER) for _label, cost in layout.SCENARIOS)]
    for offset, (cost, _revenue) in enumerate(scenarios):
        _scenario(book, xsheet.SCENARIO_ROW + offset, cost, out)
    _table(book, scenarios, out)
    for letter, value, line in ((xsheet.CROSSING_COLUMN, crossover, "B"),
                                (xsheet.TODAY_COLUMN, count, "C")):
        x = value if is_number(value) and 1 <= value <= layout.CROSSOVER_MAX_CLIENTS else na()
        out[f"{letter}{xsheet.TABLE_FIRST}"] = x
        out[f"{letter}{xsheet.TABLE_FIRST + 1}"] = (
            out[f"{line}{xsheet.TABLE_FIRST + x - 1}"] if is_number(x) else na())
    header = xsheet.TABLE_HEADER
    out[f"{xsheet.TODAY_COLUMN}{header}"] = (
        f"You: {joined(count)}{' client' if count == 1 else ' clients'}")
    out[f"{xsheet.CROSSING_COLUMN}{header}"] = (
        f"{CHEAPER_FROM}{joined(crossover)}{' client' if crossover == 1 else ' clients'}")
    names = ["Your roster", *(label for label, _cost in layout.SCENARIOS)]
    for index, name in enumerate(names):
        api, api_margin, _ft_margin = xsheet.scenario_columns(index)
        out[f"{api}{xsheet.GROUP_ROW}"] = name
        if index:
            out[f"{api_margin}{xsheet.GROUP_ROW}"] = name
    return out


def sheet(book: Book) -> None:
    ws = book.wb[layout.CROSSOVER]
    for coordinate, value in sheet_values(book).items():
        cache(ws, coordinate, value)


def _headline(count: Any, crossover: Any, average: Any) -> str:
    if count == 0:
        return "Add clients on the Clients sheet to see where your roster crosses over."
    start = f"Your roster: {text(average, '$#,##0.00')} of API cost per client a month. "
    if is_number(crossover):
        word = " client" if crossover == 1 else " clients"
        return f"{start}Self-hosting is cheaper from {joined(crossover)}{word}; you have " \
               f"{joined(count)}."
    if crossover == "never":
        return start + "At that cost self-hosting never catches up."
    return f"{start}Crossover: {joined(crossover)}"


def _capacity_box(n: dict[str, Any], out: dict[str, Any]) -> None:
    gpu, count = n[layout.GPU_NAME], n[layout.CLIENT_COUNT]
    out["F4"] = ("Capacity: off (one fixed GPU server)" if gpu == "" else
                 f"Capacity: {gpu} at {text(n[layout.UTILIZATION], '0%')} utilization")
    labels = ("Input tokens / average client / month", "Output tokens / average client / month",
              "Servers one average client fills", "Average clients per server")
    for row, label in enumerate(labels, start=5):
        out[f"F{row}"] = "" if gpu == "" else label
    load_in = n[layout.TOTAL_INPUT_TOKENS] / count if count > 0 else ""
    load_out = n[layout.TOTAL_OUTPUT_TOKENS] / count if count > 0 else ""
    share: Any = 0
    if gpu != "" and is_number(load_in) and is_number(load_out):
        share = ((load_in / n[layout.PREFILL_TPS] + load_out / n[layout.DECODE_TPS])
                 / (layout.SECONDS_PER_MONTH * n[layout.UTILIZATION]))
    for cell, value in ((xsheet.LOAD_IN, load_in), (xsheet.LOAD_OUT, load_out),
                        (xsheet.SHARE, share),
                        (xsheet.PER_SERVER, spreadsheet_int(1 / share) if share > 0
                         else "no limit")):
        out[cell.replace("$", "")] = value
    n[layout.SERVERS_PER_CLIENT] = share


def _servers_at(clients: float, share: float) -> int:
    return max(1, -spreadsheet_int(-clients * share))


def _scenario(book: Book, row: int, api: Any, out: dict[str, Any]) -> None:
    """The scenario's hidden staircase search and its two crossover cells."""
    n = book.names
    base, server, share = (n[layout.BASE_MONTHLY], n[layout.SERVER_USD],
                           n[layout.SERVERS_PER_CLIENT])
    buffer = 1 + n[layout.INFRA_NAMES["buffer"]]

    def col(offset: int) -> str:
        return f"{get_column_letter(xsheet.HELPER_FIRST + offset)}{row}"

    m = (api - n[layout.INFRA_NAMES["per_client_usd"]] * buffer - n[layout.RETRAINING_USD]
         if is_number(api) else "")
    loaded = m - server * share * buffer if is_number(m) else ""

    def h(x: float) -> int:
        return spreadsheet_int((base + server * (_servers_at(x, share) - 1)) * buffer / m) + 1

    out[col(0)], out[col(1)] = m, loaded
    ready = is_number(loaded) and m > 0 and loaded > 0
    x: Any = 1 if ready else ""
    out[col(2)] = x
    for step in range(1, xsheet.STEPS + 1):
        x = (h(x) if x < h(x) else x) if is_number(x) else ""
        out[col(2 + step)] = x
    back = 2 + xsheet.STEPS + 1
    y: Any = spreadsheet_int(base * buffer / loaded) if ready else ""
    out[col(back)] = y
    for step in range(1, xsheet.STEPS + 1):
        if is_number(y):
            y = y if y < 1 else (h(y) - 1 if y >= h(y) else y)
        out[col(back + step)] = y
    too_long = f"#over {xsheet.STEPS} steps: see xlmargin report"
    first: Any = "never"
    stays: Any = "never"
    if ready:
        first = x if x >= h(x) else too_long
        stays = y + 1 if y < 1 or y < h(y) else too_long
    classic = book.dialect.crossover(api, n)
    gpu_on = n[layout.GPU_NAME] != ""
    out[f"D{row}"] = (first if is_number(api) else "") if gpu_on else classic
    out[f"E{row}"] = (stays if is_number(api) else "") if gpu_on else out[f"D{row}"]


def _table(book: Book, scenarios: list[tuple[Any, Any]], out: dict[str, Any]) -> None:
    n = book.names
    d = book.dialect
    share, base, server = (n[layout.SERVERS_PER_CLIENT], n[layout.BASE_MONTHLY],
                           n[layout.SERVER_USD])
    per, buffer = n[layout.INFRA_NAMES["per_client_usd"]], n[layout.INFRA_NAMES["buffer"]]
    average = n[layout.AVERAGE_OPEN_WEIGHT_COST]
    for clients in range(1, layout.CROSSOVER_MAX_CLIENTS + 1):
        row = xsheet.TABLE_FIRST + clients - 1
        servers = _servers_at(clients, share)
        out[f"{xsheet.SERVERS_COLUMN}{row}"] = servers
        ft = d.ft_cost(clients, base + server * (servers - 1), per, buffer,
                       n[layout.RETRAINING_USD])
        out[f"B{row}"] = ft
        for index, (cost, revenue) in enumerate(scenarios):
            api, api_margin, ft_margin = xsheet.scenario_columns(index)
            ready = is_number(cost) and is_number(revenue)
            api_cogs = clients * cost if ready else ""
            out[f"{api}{row}"] = api_cogs
            out[f"{api_margin}{row}"] = d.margin(clients * revenue, api_cogs) if ready else ""
            out[f"{ft_margin}{row}"] = d.margin(clients * revenue, ft) if ready else ""
        out[f"{xsheet.OPEN_WEIGHT_COLUMN}{row}"] = clients * average if is_number(average) else ""
