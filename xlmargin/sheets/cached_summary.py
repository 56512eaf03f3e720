"""The Summary sheet's results: the totals from the engine's portfolio, the options block, the
clients sorted from the lowest API margin up (``summary_list``) and the five sentences, each
as its formula words it."""

from __future__ import annotations

from typing import Any

from xlmargin.portfolio import BELOW_TARGET, UNDERWATER, ClientResult
from xlmargin.sheets import layout, summary, summary_list
from xlmargin.sheets.cached import Book, cache
from xlmargin.sheets.cached_math import clients_word, is_number, joined, na, text

USD = "$#,##0"


def _or_blank(value: float | None) -> Any:
    return "" if value is None else value


def totals(book: Book) -> None:
    """The month's totals: what ``report`` prints."""
    p, target = book.portfolio, book.settings.target_margin
    below = [c for c in p.clients if c.status in (UNDERWATER, BELOW_TARGET)]
    raise_usd = (sum(c.api_cost for c in below) / (1 - target) - sum(c.revenue for c in below))
    values = {
        layout.CLIENT_COUNT: len(p.clients),
        layout.TOTAL_REVENUE: p.revenue,
        layout.API_COGS: p.api_cogs,
        layout.FT_COGS: p.ft_cogs,
        layout.API_MARGIN: _or_blank(p.api_margin),
        layout.FT_MARGIN: _or_blank(p.ft_margin),
        layout.SAVINGS: p.api_cogs - p.ft_cogs,
        layout.AVERAGE_API_COST: _or_blank(p.average_api_cost),
        layout.CROSSOVER_CLIENTS: "never" if p.crossover is None else p.crossover,
        layout.TOTAL_TOKENS: sum(c.tokens_per_month for c in p.clients),
        layout.UNDERWATER_CLIENTS: sum(c.status == UNDERWATER for c in p.clients),
        layout.BELOW_TARGET_CLIENTS: sum(c.status == BELOW_TARGET for c in p.clients),
        layout.TARGET_RAISE: raise_usd,
    }
    for name, value in values.items():
        book.name(name, value)


def _beside(book: Book, name: str, offset: int, value: Any) -> None:
    """The unnamed option cell ``offset`` rows from the named one."""
    sheet, ref = next(iter(book.wb.defined_names[name].destinations))
    column, row = ref.replace("$", "")[0], int(ref.replace("$", "")[1:])
    cache(book.wb[sheet], f"{column}{row + offset}", value)


def options(book: Book) -> None:
    """Capacity, the hosted open-weight model, retraining and the setup payback."""
    p, n, s = book.portfolio, book.names, book.settings
    count, revenue = n[layout.CLIENT_COUNT], n[layout.TOTAL_REVENUE]
    output = sum(c.output_tokens_per_month for c in p.clients)
    book.name(layout.TOTAL_OUTPUT_TOKENS, output)
    book.name(layout.TOTAL_INPUT_TOKENS, n[layout.TOTAL_TOKENS] - output)
    gpu = n[layout.GPU_NAME]
    _beside(book, layout.SERVERS, -1, "off: one fixed server" if gpu == "" else
            f"{gpu} at {text(n[layout.UTILIZATION], '0%')} planned utilization")
    book.name(layout.SERVERS, book.plain.servers(n[layout.TOTAL_INPUT_TOKENS], output, n))
    stays = p.crossover if gpu == "" else p.crossover_stays_from
    book.name(layout.CROSSOVER_STAYS, "never" if stays is None else stays)
    model = n[layout.OPEN_WEIGHT_MODEL]
    _beside(book, layout.OPEN_WEIGHT_COGS, -1, "off" if model == "" else model)
    cogs: Any = "off"
    margin: Any = "off"
    average: Any = "off"
    if model != "":
        cogs = sum(c.open_weight_cost or 0.0 for c in p.clients)
        margin = book.plain.margin(revenue, cogs) if revenue > 0 else ""
        average = cogs / count if count > 0 else ""
    book.name(layout.OPEN_WEIGHT_COGS, cogs)
    book.name(layout.OPEN_WEIGHT_MARGIN, margin)
    book.name(layout.AVERAGE_OPEN_WEIGHT_COST, average)
    retraining = n[layout.RETRAINING_USD]
    _beside(book, layout.SETUP_PAYBACK, -1, "off" if retraining == 0 else retraining * count)
    hidden = s.hidden_costs
    uncovered = n[layout.SETUP_USD] - hidden.setup_fee_usd
    profit = revenue - n[layout.FT_COGS]
    payback: Any
    if hidden.setup_labor_hours <= 0 and hidden.setup_fee_usd <= 0:
        payback = "off"
    elif uncovered <= 0:
        payback = 0
    elif count > 0 and profit > 0:
        payback = uncovered / (profit / count)
    else:
        payback = "never"
    book.name(layout.SETUP_PAYBACK, payback)


def _sorted(book: Book) -> list[ClientResult]:
    """The clients from the lowest API margin up; ties keep the Clients order."""
    return sorted(book.portfolio.clients, key=lambda c: c.api_margin)


def listed(book: Book) -> None:
    """The sorted list, its hidden helper columns and the line under it."""
    ws = book.wb[layout.SUMMARY]
    n = book.names
    target, count = n[layout.TARGET_MARGIN], n[layout.CLIENT_COUNT]
    first = summary.LIST_ROW
    cache(ws, f"D{first}", f"Target margin: {text(target, '0%')}. Price for it = API cost / "
                           "(1 - target).")
    top = first + 2
    rows = summary_list.rows_for(len(book.portfolio.clients))
    positions = {id(c): i for i, c in enumerate(book.portfolio.clients, start=1)}
    ordered = _sorted(book)
    for k, row in enumerate(range(top, top + rows)):
        c = ordered[k] if k < len(ordered) else None
        values: dict[str, Any] = dict.fromkeys("EKABCDFGHI", "")
        if c is not None:
            price = c.api_cost / (1 - target) if target < 1 else (
                "#target margin must be below 100%")
            values.update(E=c.api_margin, K=positions[id(c)], A=c.client, B=c.status,
                          C=c.revenue, D=c.api_cost, F=price,
                          G=max(0, price - c.revenue) if is_number(price) else "",
                          H=c.ft_margin, I=c.api_cost - c.ft_cost)
        for letter, _status, _color in summary_list.STATUS_COLUMNS:
            values[letter] = values["E"] if c is not None and c.status == _status else na()
        for letter, value in values.items():
            cache(ws, f"{letter}{row}", value)
    shown = rows
    cache(ws, f"A{top + rows}", f"The {shown} lowest of {joined(count)} clients; filter Status "
          "on the Clients sheet for the rest." if count > shown else "")


def sentences(book: Book) -> None:
    """'In short': the five sentences over the totals, the list and the Plan sheet."""
    ws = book.wb[layout.SUMMARY]
    for offset, line in enumerate((_month(book), _underwater(book), _to_target(book),
                                   _self_hosting(book), _recommendation(book))):
        cache(ws, f"A{summary.SENTENCES_ROW + offset}", line)


def _month(book: Book) -> str:
    n = book.names
    count = n[layout.CLIENT_COUNT]
    if count == 0:
        return "No client computes yet: add clients on the Clients sheet."
    return (f"{joined(count)}{' client brings in ' if count == 1 else ' clients bring in '}"
            f"{text(n[layout.TOTAL_REVENUE], USD)} a month. On the API they cost "
            f"{text(n[layout.API_COGS], USD)}: a {text(n[layout.API_MARGIN], '0.0%')} gross "
            "margin.")


def _underwater(book: Book) -> str:
    n = book.names
    if n[layout.CLIENT_COUNT] == 0:
        return ""
    under, below = n[layout.UNDERWATER_CLIENTS], n[layout.BELOW_TARGET_CLIENTS]
    if under == 0:
        who = "No client is underwater on the API"
    else:
        names = [c.client for c in _sorted(book)[:3] if c.status == UNDERWATER]
        who = ("1 client is underwater, costing more on the API than it pays: " if under == 1
               else f"{joined(under)} clients are underwater, costing more on the API than "
                    "they pay: ")
        who += ", ".join(names) + (f" and {joined(under - 3)} more" if under > 3 else "")
    if below > 0:
        return (f"{who}. {joined(below)}{' more is' if below == 1 else ' more are'} below the "
                f"{text(n[layout.TARGET_MARGIN], '0%')} target margin.")
    return who + "."


def _to_target(book: Book) -> str:
    n = book.names
    if n[layout.CLIENT_COUNT] == 0:
        return ""
    target = text(n[layout.TARGET_MARGIN], "0%")
    below = n[layout.UNDERWATER_CLIENTS] + n[layout.BELOW_TARGET_CLIENTS]
    if below == 0:
        return f"Every client is at or above the {target} target margin on the API."
    raise_usd = n[layout.TARGET_RAISE]
    if not is_number(raise_usd):
        return str(raise_usd)
    lowest = _sorted(book)[0]
    price = lowest.api_cost / (1 - n[layout.TARGET_MARGIN])
    who = "that client needs " if below == 1 else f"{joined(below)} clients need "
    return (f"To reach {target} on the API, {who}{text(raise_usd, USD)} a month more in all: "
            f"{lowest.client} {text(price, USD)} instead of {text(lowest.revenue, USD)} "
            "(each below).")


def _self_hosting(book: Book) -> str:
    n = book.names
    if n[layout.CLIENT_COUNT] == 0:
        return ""
    api, ft = n[layout.API_COGS], n[layout.FT_COGS]
    if not ft < api:
        return (f"Self-hosted, the same clients would cost {text(ft - api, USD)} a month more "
                "than the API.")
    still = sum(c.ft_cost > c.revenue for c in book.portfolio.clients)
    tail = ("." if n[layout.UNDERWATER_CLIENTS] == 0 else
            ", and no client is underwater." if still == 0 else
            f", and {joined(still)} would still be underwater.")
    return (f"Self-hosted, the same clients would cost {text(ft, USD)} a month "
            f"({text(n[layout.FT_MARGIN], '0.0%')} margin): moving saves "
            f"{text(api - ft, USD)} a month, {text(12 * (api - ft), USD)} a year{tail}")


def _recommendation(book: Book) -> str:
    n = book.names
    if n[layout.CLIENT_COUNT] == 0:
        return "Add clients on the Clients sheet."
    movers, servers = n[layout.PLAN_SELF_CLIENTS], n[layout.PLAN_SERVERS]
    saves, api = n[layout.PLAN_SAVES], n[layout.PLAN_API_CLIENTS]
    open_weight = n[layout.PLAN_OPEN_CLIENTS]
    if movers == 0:
        cheapest = (f"; {clients_word(open_weight)} cost least on the hosted open-weight model"
                    if open_weight > 0 else "")
        return ("Stay off self-hosting: no set of clients saves more than it costs to run"
                f"{cheapest} (Plan sheet).")
    saving = (f"{text(saves, USD)} a month less than all on the API" if saves >= 0 else
              f"{text(-saves, USD)} a month more than all on the API, for the pins")
    rest = ((f"; {clients_word(api)} stay on the API" if api > 0 else "")
            + (f"; {clients_word(open_weight)} go to the hosted open-weight model"
               if open_weight > 0 else "") + ".")
    return (f"Self-host {clients_word(movers)} on {joined(servers)}"
            f"{' GPU server' if servers == 1 else ' GPU servers'}, largest saving first "
            f"(Plan sheet): {saving}{rest}")
