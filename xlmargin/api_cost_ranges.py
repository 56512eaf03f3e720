"""API_COST over ranges: a whole roster column in one numpy pass.

Excel calls a UDF once per formula; one formula over a column of clients makes one Python call,
which is what keeps a large roster fast. The good cells are computed with numpy from the same
formula (``calc.api_cost_kernel``) and the same price resolution (``functions.resolve_prices``)
as the one-cell path; the cells that fail a check are answered by the one-cell path itself, so
both paths give the same message for the same bad input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from xlmargin import calc
from xlmargin.catalog import Catalog
from xlmargin.cells import as_rows, broadcast_shape, cell_error, is_blank, is_range
from xlmargin.errors import XlmarginError
from xlmargin.functions import API_DEFAULTS, API_REQUIRED, resolve_prices

_NUMERIC_TYPES = frozenset({float, int, type(None)})


def _grid(value: Any, shape: tuple[int, int]) -> np.ndarray:
    """An object array of ``shape`` (a single value or a stretching row/column broadcasts)."""
    rows = as_rows(value) if is_range(value) else [[value]]
    array = np.empty((len(rows), len(rows[0])), dtype=object)
    array[...] = rows
    return np.broadcast_to(array, shape)


def _numbers(grid: np.ndarray, default: float | None,
             bounds: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floats, blank, bad) for ``grid``: a blank takes ``default`` or is bad without one."""
    flat = grid.ravel().tolist()
    if set(map(type, flat)) <= _NUMERIC_TYPES:
        blank = np.equal(grid, None)
        numeric = ~blank
        values = np.array(flat, dtype=float).reshape(grid.shape)
    else:
        blank = np.array([is_blank(v) for v in flat], dtype=bool).reshape(grid.shape)
        numeric = np.array([type(v) in (float, int) for v in flat], dtype=bool).reshape(grid.shape)
        values = np.array([v if type(v) in (float, int) else 0.0 for v in flat],
                          dtype=float).reshape(grid.shape)
    if default is not None:
        values = np.where(blank, default, values)
        numeric = numeric | blank
    minimum = bounds.get("minimum", 0.0)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values <= minimum if bounds.get("above")
                                      else values < minimum)
        if bounds.get("maximum") is not None:
            bad |= values > bounds["maximum"]
    return values, blank, ~numeric | bad


def _prices(grids: dict[str, np.ndarray], shape: tuple[int, int],
            catalog: Catalog) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Per-cell (input, output, cache-read) prices, resolved once per distinct combination."""
    names = ("model", "input_price", "output_price", "cache_read_price")
    keys = list(zip(*(grids[n].ravel().tolist() for n in names), strict=True))
    resolved: dict[tuple[Any, ...], tuple[float, float, float] | None] = {}
    for key in set(keys):
        try:
            resolved[key] = resolve_prices(*key, catalog)
        except XlmarginError:
            resolved[key] = None
    found = [resolved[key] for key in keys]
    failed = np.array([f is None for f in found], dtype=bool).reshape(shape)
    triples = np.array([f or (0.0, 0.0, 0.0) for f in found], dtype=float).reshape(*shape, 3)
    return (triples[..., 0], triples[..., 1], triples[..., 2]), failed


def api_cost_range(args: dict[str, Any], catalog: Catalog) -> list[list[Any]] | str:
    """API_COST for arguments of which at least one is a range (see ``functions.API_COST``)."""
    from xlmargin.functions import api_cost_cells

    try:
        shape = broadcast_shape(args)
    except XlmarginError as error:
        return cell_error(error)
    grids = {name: _grid(value, shape) for name, value in args.items()}
    values: dict[str, np.ndarray] = {}
    blank: dict[str, np.ndarray] = {}
    bad = np.zeros(shape, dtype=bool)
    for name in ("input_tokens", "output_tokens", "interactions_per_day"):
        values[name], blank[name], wrong = _numbers(grids[name], None, {})
        bad |= wrong
    for name, default in API_DEFAULTS.items():
        values[name], blank[name], wrong = _numbers(grids[name], default,
                                                    calc.MULTIPLIER_BOUNDS[name])
        bad |= wrong
    blank["model"] = np.array([is_blank(v) for v in grids["model"].ravel().tolist()],
                              dtype=bool).reshape(shape)
    prices, failed = _prices(grids, shape, catalog)
    bad |= failed

    total = calc.api_cost_kernel(
        values["input_tokens"], values["output_tokens"], values["interactions_per_day"],
        *prices, values["system_prompt_tokens"], values["context_multiplier"],
        values["retry_rate"], values["power_user_multiplier"], values["days"],
        values["cached_input_share"], values["embeddings_overhead"])[-1]
    result = total.astype(object)
    for index in zip(*np.nonzero(bad), strict=True):
        result[index] = api_cost_cells({name: grid[index] for name, grid in grids.items()},
                                       catalog)
    # Rows not filled in yet (every required input given as a range is blank there) stay empty.
    ranged = [name for name in API_REQUIRED if is_range(args[name])]
    if ranged:
        result[np.logical_and.reduce([blank[name] for name in ranged])] = ""
    return result.tolist()
