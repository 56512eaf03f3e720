"""The Plan sheet's results, by the sheet's rule over the engine's per-client costs: the pins as
typed on Clients, who self-hosts (with GPU capacity off the closed form of ``xlmargin.plan``,
with it on the plan ``plan.compute`` stored on the Clients sheet), each row's cost, margin and
price, the totals, and the movers largest saving first."""

from __future__ import annotations

import re
from typing import Any

from openpyxl.utils.cell import column_index_from_string

from xlmargin.sheets import layout
from xlmargin.sheets import plan as psheet
from xlmargin.sheets.cached import Book, cache, results
from xlmargin.sheets.cached_math import is_number, joined

SELF_ALIASES = ("self_hosted", "selfhosted", "fine_tuned")
OPEN_ALIASES = ("openweight", "open_weights")
BAD_TARGET = "#target margin must be below 100%"
NOTE = re.compile(rf'=IF\({layout.GPU_NAME}="","(?P<off>[^"]*)","(?P<on>[^"]*)"\)')


def _typed(value: Any) -> str:
    """LOWER(SUBSTITUTE(SUBSTITUTE(TRIM(cell)," ","_"),"-","_"))."""
    words = " ".join(w for w in joined(value).split(" ") if w)
    return words.replace(" ", "_").replace("-", "_").lower()


def _pin(typed: str, open_model: bool) -> str:
    if typed in ("api", "self") or (typed == "open_weight" and open_model):
        return typed
    if typed in SELF_ALIASES:
        return "self"
    return "open_weight" if typed in OPEN_ALIASES and open_model else ""


def _row_of(book: Book, name: str) -> int:
    _sheet, ref = next(iter(book.wb.defined_names[name].destinations))
    return int(ref.replace("$", "").split(":")[0].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def sheet(book: Book) -> None:
    ws = book.wb[layout.PLAN]
    clients_ws = book.wb[layout.CLIENTS]
    n, d = book.names, book.plain
    open_model, gpu_on = n[layout.OPEN_WEIGHT_MODEL] != "", n[layout.GPU_NAME] != ""
    buffer = n[layout.INFRA_NAMES["buffer"]]
    fixed = n[layout.BASE_MONTHLY] * (1 + buffer)
    marginal = n[layout.INFRA_NAMES["per_client_usd"]] * (1 + buffer) + n[layout.RETRAINING_USD]
    target = n[layout.TARGET_MARGIN]
    hosting_column = column_index_from_string(layout.COL["hosting"])
    stored_column = column_index_from_string(layout.COL["stored_plan"])

    # Per row, what does not depend on the totals.
    rows: list[dict[str, Any]] = []
    for r, result in enumerate(book.results, start=layout.FIRST_ROW):
        if result is None:
            rows.append({"client": "", "typed": "", "pin": "", "candidate": 0, "moves": 0})
            continue
        typed = _typed(clients_ws.cell(row=r, column=hosting_column).value)
        pin = _pin(typed, open_model)
        api, open_cost = result.api_cost, result.open_weight_cost
        own = is_number(open_cost)
        off_self = (api if pin == "api" else open_cost if pin == "open_weight" else
                    min(api, open_cost) if own else api)
        saving = off_self - marginal
        stored = joined(clients_ws.cell(row=r, column=stored_column).value).lower() == "self"
        rows.append({"client": result.client, "typed": typed, "pin": pin, "api_cost": api,
                     "off_self": off_self, "saving": saving,
                     "candidate": max(0, saving) if pin == "" else 0, "stored": stored,
                     "moves": 0,
                     "open": pin == "open_weight" or (pin == "" and own and open_cost < api),
                     "result": result})
    pays = 1 if (any(x["pin"] == "self" for x in rows)
                 or sum(x["candidate"] for x in rows) > fixed) else 0
    for x in rows:
        if x["client"] == "" or x["pin"] not in ("", "self"):
            continue
        x["moves"] = 1 if x["pin"] == "self" else (
            (1 if x["stored"] else 0) if gpu_on else (1 if x["saving"] > 0 and pays == 1 else 0))
    movers = [x for x in rows if x["moves"] == 1]
    count = len(movers)
    tokens = sum(x["result"].tokens_per_month for x in movers)
    output = sum(x["result"].output_tokens_per_month for x in movers)
    servers = 0 if count == 0 else d.servers(tokens - output, output, n)
    self_cost = 0 if count == 0 else d.ft_cost(
        count, n[layout.BASE_MONTHLY] + n[layout.SERVER_USD] * (servers - 1),
        n[layout.INFRA_NAMES["per_client_usd"]], buffer, n[layout.RETRAINING_USD])
    shared = self_cost - marginal * count

    for x in rows:
        if x["client"] == "":
            x.update({k: "" for k in ("api_cost", "off_self", "saving", "hosting", "cost",
                                      "margin", "price", "why", "mover_saving")})
            continue
        moves = x["moves"] == 1
        x["mover_saving"] = x["saving"] if moves else ""
        x["hosting"] = "self" if moves else "open_weight" if x["open"] else "api"
        result = x["result"]
        x["cost"] = (marginal + (shared * result.tokens_per_month / tokens if tokens > 0
                                 else shared / count) if moves else x["off_self"])
        x["margin"] = (result.revenue - x["cost"]) / result.revenue
        x["price"] = x["cost"] / (1 - target) if target < 1 else BAD_TARGET
        x["why"] = ("pinned" if x["pin"] != "" else "moves" if moves else
                    "no saving" if x["saving"] <= 0 else "fixed cost" if count == 0 else
                    "capacity")

    plan_cogs = self_cost + sum(x["off_self"] for x in rows
                                if x["moves"] == 0 and is_number(x.get("off_self")))
    revenue, api_cogs = n[layout.TOTAL_REVENUE], n[layout.API_COGS]
    totals = {
        layout.PLAN_SELF_CLIENTS: count,
        layout.PLAN_OPEN_CLIENTS: sum(x.get("hosting") == "open_weight" for x in rows),
        layout.PLAN_API_CLIENTS: sum(x.get("hosting") == "api" for x in rows),
        layout.PLAN_CAPACITY_CLIENTS: sum(x.get("why") == "capacity" for x in rows),
        layout.PLAN_SERVERS: servers,
        layout.PLAN_COGS: plan_cogs,
        layout.PLAN_MARGIN: d.margin(revenue, plan_cogs) if revenue > 0 else "",
        layout.PLAN_SAVES: api_cogs - plan_cogs,
        layout.PLAN_FIXED: fixed,
        layout.PLAN_MARGINAL: marginal,
        layout.PLAN_PAYS: pays,
        layout.PLAN_SELF_TOKENS: tokens,
        layout.PLAN_SELF_OUTPUT: output,
        layout.PLAN_SELF_COST: self_cost,
        layout.PLAN_SHARED: shared,
    }
    for name, value in totals.items():
        book.name(name, value)
    cogs_row = _row_of(book, layout.PLAN_COGS)
    for offset, name in enumerate((layout.API_COGS, layout.FT_COGS, layout.OPEN_WEIGHT_COGS),
                                  start=1):
        cache(ws, f"B{cogs_row + offset}", n[name])
    cache(ws, f"A{psheet.NOTE_ROW}", _note(book, gpu_on))

    first = _row_of(book, layout.PLAN_RANGE_NAMES["moves"])
    found = results(ws)
    columns = [(key, column_index_from_string(letter)) for key, letter in psheet.LETTER.items()]
    for p, x in enumerate(rows, start=first):
        for key, index in columns:
            found[p, index] = x[key]
    _order(book, ws, rows, first, count)


def _note(book: Book, gpu_on: bool) -> str:
    """The line under the title: the plan follows edits, or was stored (its two texts are the
    formula's, which dates the stored plan)."""
    formula = book.wb[layout.PLAN][f"A{psheet.NOTE_ROW}"].value
    found = NOTE.fullmatch(formula)
    if found is None:
        raise ValueError(f"unexpected Plan note formula {formula!r}")
    return found["on"] if gpu_on else found["off"]


def _order(book: Book, ws: Any, rows: list[dict[str, Any]], first: int, count: int) -> None:
    """The movers, largest saving first (ties keep the Clients order)."""
    top = _row_of(book, layout.PLAN_SHARED) + 4
    shown = max(1, min(len(book.portfolio.clients) + 5, psheet.ORDER_MAX))
    movers = sorted((p for p, x in enumerate(rows, start=1) if x["moves"] == 1),
                    key=lambda p: -rows[p - 1]["saving"])
    for k, row in enumerate(range(top, top + shown)):
        if k < count:
            at = movers[k]
            x = rows[at - 1]
            values = {"B": k + 1, "C": x["saving"], "F": at, "A": x["client"], "D": x["cost"],
                      "E": x["price"]}
        else:
            values = dict.fromkeys("BCFADE", "")
        for column, value in values.items():
            cache(ws, f"{column}{row}", value)
    cache(ws, f"A{top + shown}", f"The {shown} largest of {joined(count)}; filter Why on the "
          "table below for every client." if count > shown else "")
