"""API_COST over ranges in plain Python, for where numpy is not installed (a bare Pyodide).

The same answers as ``ranges_numpy``, float for float: each row runs the same formula
(``calc.api_cost_kernel``) on the same floats in the same order, prices are resolved once per
distinct model (``api_cost.resolve_prices``), and a cell that fails a check is answered by the
one-cell path (``api_cost.api_cost_cell``), so its message is the same too.
"""

from __future__ import annotations

import math
from itertools import repeat
from typing import Any

from xlmargin import calc
from xlmargin.catalog import Catalog
from xlmargin.errors import XlmarginError
from xlmargin.excel.api_cost import (
    API_DEFAULTS,
    API_REQUIRED,
    PRICE_ARGUMENTS,
    api_cost_cell,
    resolve_prices,
)
from xlmargin.excel.cells import as_rows, broadcast_shape, cell_at, cell_error, is_blank, is_range

NUMBERS = ("input_tokens", "output_tokens", "interactions_per_day", *API_DEFAULTS)
_NUMERIC = (float, int)


def _cells(value: Any, shape: tuple[int, int]) -> list[Any]:
    """A range argument's cells in row order, a stretching row or column repeated."""
    rows, cols = shape
    grid = as_rows(value)
    if len(grid) == rows and all(len(row) == cols for row in grid):
        return [cell for row in grid for cell in row]
    return [cell_at(grid, r, c) for r in range(rows) for c in range(cols)]


def _checked(value: Any, default: float | None, bounds: dict[str, Any]) -> float | None:
    """``value`` as a float when it passes calc.number's checks (a blank takes ``default``),
    else None: the one-cell path then says what is wrong."""
    if is_blank(value):
        if default is None:
            return None
        value = default
    if type(value) not in _NUMERIC:
        return None
    x = float(value)
    minimum = bounds.get("minimum", 0.0)
    if not math.isfinite(x) or (x <= minimum if bounds.get("above") else x < minimum):
        return None
    maximum = bounds.get("maximum")
    if maximum is not None and x > maximum:
        return None
    return x


def api_cost_range(args: dict[str, Any], catalog: Catalog) -> list[list[Any]] | str:
    """API_COST for arguments of which at least one is a range (see ``functions.API_COST``)."""
    try:
        shape = broadcast_shape(args)
    except XlmarginError as error:
        return cell_error(error)
    size = shape[0] * shape[1]
    names = list(args)
    columns = [_cells(args[name], shape) if is_range(args[name]) else repeat(args[name], size)
               for name in names]
    at = {name: i for i, name in enumerate(names)}
    ranged = [at[name] for name in API_REQUIRED if is_range(args[name])]
    price_at = [at[name] for name in PRICE_ARGUMENTS]
    # Numbers given as one value are checked once; only the ranged ones row by row.
    fixed = [None if is_range(args[name]) else
             _checked(args[name], API_DEFAULTS.get(name), calc.MULTIPLIER_BOUNDS.get(name, {}))
             for name in NUMBERS]
    checks = [(position, at[name], API_DEFAULTS.get(name),
               calc.MULTIPLIER_BOUNDS.get(name, {}))
              for position, name in enumerate(NUMBERS) if is_range(args[name])]
    prices: dict[tuple[Any, ...], tuple[float, float, float] | None] = {}
    out: list[Any] = []
    for row in zip(*columns, strict=True):
        if ranged and all(is_blank(row[i]) for i in ranged):
            out.append("")
            continue
        key = tuple(row[i] for i in price_at)
        try:
            price = prices[key]
        except KeyError:
            try:
                price = prices[key] = resolve_prices(*key, catalog)
            except XlmarginError:
                price = prices[key] = None
        except TypeError:  # a list or dict in a cell (from Python): the one-cell path says why
            price = None
        numbers = fixed.copy()
        for position, i, default, bounds in checks:
            numbers[position] = _checked(row[i], default, bounds)
        total = math.nan if price is None or None in numbers else _kernel(numbers, price)
        out.append(total if math.isfinite(total)
                   else api_cost_cell(dict(zip(names, row, strict=True)), catalog))
    cols = shape[1]
    return [out[i:i + cols] for i in range(0, size, cols)]


def _kernel(numbers: list[Any], price: tuple[float, float, float]) -> float:
    tokens_in, tokens_out, interactions, system, context, retry, power, days, cached, emb = numbers
    return calc.api_cost_kernel(tokens_in, tokens_out, interactions, *price, system, context,
                                retry, power, days, cached, emb)[-1]
