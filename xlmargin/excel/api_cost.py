"""API_COST's cells: one cell's answer, and the dispatch of ranges to a range path.

A range argument makes API_COST answer a range in one call. With numpy installed (desktop
Python, and xlwings Lite once Pyodide has loaded it) the range is computed in one numpy pass
(``ranges_numpy``); without it (a bare Pyodide) in plain Python (``ranges_pure``). Both paths
compute the same formula (``calc.api_cost_kernel``) in the same order, so they give the same
floats, and both send the cells that fail a check back here, so a bad cell says the same thing
whichever path ran.
"""

from __future__ import annotations

from typing import Any

from xlmargin import calc
from xlmargin.catalog import Catalog
from xlmargin.errors import XlmarginError
from xlmargin.excel.cells import cell_error, is_blank, is_range, optional, unwrap

API_DEFAULTS: dict[str, float] = {
    "system_prompt_tokens": calc.SYSTEM_PROMPT_TOKENS,
    "context_multiplier": calc.CONTEXT_MULTIPLIER,
    "retry_rate": calc.RETRY_RATE,
    "power_user_multiplier": calc.POWER_USER_MULTIPLIER,
    "days": calc.DAYS_PER_MONTH,
    "cached_input_share": calc.CACHED_INPUT_SHARE,
    "embeddings_overhead": calc.EMBEDDINGS_OVERHEAD,
}
API_REQUIRED = ("model", "input_tokens", "output_tokens", "interactions_per_day")
PRICE_ARGUMENTS = ("model", "input_price", "output_price", "cache_read_price")


def resolve_prices(model: Any, input_price: Any, output_price: Any, cache_read_price: Any,
                   catalog: Catalog) -> tuple[float, float, float]:
    """(input, output, cache-read) USD per 1M tokens for one cell's arguments.

    Typed prices win over the catalog's; with both input and output typed, the model may be any
    label (a fine-tune, a private deployment). Cached input costs the typed cache-read price, else
    the catalog's, else the input price (no discount).
    """
    typed_in, typed_out = not is_blank(input_price), not is_blank(output_price)
    listed = None
    if not is_blank(model) or not (typed_in and typed_out):
        try:
            listed = catalog.listed(model)
        except XlmarginError:
            if not (typed_in and typed_out):
                raise
    in_usd = calc.number("input_price", input_price) if typed_in else listed.input_usd_per_mtok
    out_usd = (calc.number("output_price", output_price) if typed_out
               else listed.output_usd_per_mtok)
    if not is_blank(cache_read_price):
        cache_usd = calc.number("cache_read_price", cache_read_price)
    elif listed is not None and listed.cache_read_usd_per_mtok is not None:
        cache_usd = listed.cache_read_usd_per_mtok
    else:
        cache_usd = in_usd
    return in_usd, out_usd, cache_usd


def _api_cost_one(args: dict[str, Any], catalog: Catalog) -> float | str:
    if all(is_blank(args[name]) for name in API_REQUIRED):
        return ""
    for name in API_REQUIRED[1:]:
        calc.number(name, args[name])
    in_usd, out_usd, cache_usd = resolve_prices(*(args[name] for name in PRICE_ARGUMENTS),
                                                catalog)
    # A share typed as text ('5%') is the number it says.
    given = {name: calc.percent_text(optional(args[name], default))
             for name, default in API_DEFAULTS.items()}
    return calc.api_cost(args["input_tokens"], args["output_tokens"],
                         args["interactions_per_day"], in_usd, out_usd,
                         cache_read_usd_per_mtok=cache_usd, **given)


def api_cost_cell(args: dict[str, Any], catalog: Catalog) -> float | str:
    """One cell's API_COST for single values by name: a number, "" or a '#' message."""
    try:
        return _api_cost_one(args, catalog)
    except XlmarginError as error:
        return cell_error(error)


def api_cost_cells(args: dict[str, Any], catalog: Catalog) -> Any:
    """API_COST's answer for its arguments by name, priced from ``catalog``."""
    args = {name: unwrap(value) for name, value in args.items()}
    if any(is_range(v) for v in args.values()):
        return range_path()(args, catalog)
    return api_cost_cell(args, catalog)


def range_path() -> Any:
    """The range implementation: numpy's where it can be imported, plain Python elsewhere."""
    try:
        from xlmargin.excel.ranges_numpy import api_cost_range
    except ImportError:  # no numpy: a bare Pyodide
        from xlmargin.excel.ranges_pure import api_cost_range
    return api_cost_range
