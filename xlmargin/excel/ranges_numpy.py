"""API_COST over ranges: a whole roster column in one numpy pass.

Excel calls a UDF once per formula; one formula over a column of clients makes one Python call,
which is what keeps a large roster fast. The good cells are computed with numpy from the same
formula (``calc.api_cost_kernel``) and the same price resolution (``api_cost.resolve_prices``)
as the one-cell path; the cells that fail a check, or whose result is not a finite number, are
answered by the one-cell path itself (``api_cost.api_cost_cell``), so both paths give the same
message for the same input.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

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
from xlmargin.excel.cells import as_rows, broadcast_shape, cell_error, is_blank, is_range

_NUMERIC_TYPES = frozenset({float, int, type(None)})
_ROW_TYPES = frozenset({list, tuple})


def _shape(args: dict[str, Any]) -> tuple[int, int]:
    """``broadcast_shape`` without copying every row in the usual case, where all the ranges are
    lists of rows of one shape (what xlwings passes); anything else gets its checks and messages.

    Copying a 100,000-row column row by row was most of a column's time: the copies set off the
    garbage collector, which then walks every row of the caller's ranges.
    """
    shapes = {(len(v), len(v[0])) if v and set(map(type, v)) <= _ROW_TYPES
              and len(set(map(len, v))) == 1 else None
              for v in args.values() if is_range(v)}
    if len(shapes) == 1 and None not in shapes:
        (shape,) = shapes
        if shape[1]:
            return shape
    return broadcast_shape(args)


def _grid(value: Any, shape: tuple[int, int]) -> np.ndarray:
    """An object array of ``shape`` (a single value or a stretching row/column broadcasts)."""
    rows = as_rows(value) if is_range(value) else [[value]]
    array = np.empty((len(rows), len(rows[0])), dtype=object)
    array[...] = rows
    return np.broadcast_to(array, shape)


def _cells(value: Any, shape: tuple[int, int]) -> list[Any]:
    """A range argument's cells in row order, one per cell of ``shape`` (a stretching row or
    column repeats). A range of exactly ``shape`` is flattened directly: one list, not one per
    row."""
    rows, cols = shape
    if (len(value) == rows and set(map(type, value)) <= _ROW_TYPES
            and set(map(len, value)) == {cols}):
        return [cell for row in value for cell in row]
    return _grid(value, shape).ravel().tolist()


def _numbers(cells: list[Any], default: float | None,
             bounds: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floats, blank, bad) for ``cells``: a blank takes ``default`` or is bad without one."""
    types = set(map(type, cells))
    try:
        values = np.array(cells, dtype=float) if types <= _NUMERIC_TYPES else None
    except OverflowError:  # an int past 1.8e308: the slow path marks it bad
        values = None
    if values is not None:
        blank = (np.fromiter((v is None for v in cells), dtype=bool, count=len(cells))
                 if type(None) in types else np.zeros(len(cells), dtype=bool))
        numeric = ~blank
    else:
        blank = np.array([is_blank(v) for v in cells], dtype=bool)
        numeric = np.array([type(v) in (float, int) for v in cells], dtype=bool)
        values = np.array([_float(v) if type(v) in (float, int) else 0.0 for v in cells],
                          dtype=float)
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


def _float(value: float | int) -> float:
    """A number as a float; an int too large for one is inf, which fails the checks."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


_UNPRICEABLE = object()


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _prices(args: dict[str, Any], cells: dict[str, list[Any]],
            catalog: Catalog) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """(input, output, cache-read) prices and failures per cell, resolved once per distinct
    combination of the price arguments given as ranges (usually just the model column, whose
    names then serve as keys themselves)."""
    names = PRICE_ARGUMENTS
    ranged = [name for name in names if name in cells]
    keys = (cells[ranged[0]] if len(ranged) == 1
            else list(zip(*(cells[name] for name in ranged), strict=True)) or [()])
    try:
        index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    except TypeError:  # a list or dict in a cell (from Python): no price; the one-cell path
        keys = [key if _hashable(key) else _UNPRICEABLE for key in keys]
        index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.intp, count=len(keys))
    table: list[tuple[float, float, float] | None] = []
    for key in index:
        if key is _UNPRICEABLE:
            table.append(None)
            continue
        given = {name: args[name] for name in names}
        given.update(zip(ranged, (key,) if len(ranged) == 1 else key, strict=True))
        try:
            table.append(resolve_prices(*given.values(), catalog))
        except XlmarginError:
            table.append(None)
    failed = np.array([t is None for t in table], dtype=bool)[codes]
    triples = np.array([t or (0.0, 0.0, 0.0) for t in table], dtype=float)[codes]
    return (triples[:, 0], triples[:, 1], triples[:, 2]), failed


def api_cost_range(args: dict[str, Any], catalog: Catalog) -> list[list[Any]] | str:
    """API_COST for arguments of which at least one is a range (see ``functions.API_COST``).

    Works on flat cell lists in row order; an argument given as one value stays one value
    (a length-1 array that numpy broadcasts).
    """
    try:
        shape = _shape(args)
    except XlmarginError as error:
        return cell_error(error)
    size = shape[0] * shape[1]
    cells = {name: _cells(value, shape) for name, value in args.items() if is_range(value)}
    values: dict[str, np.ndarray] = {}
    blank: dict[str, np.ndarray] = {}
    bad = np.zeros(size, dtype=bool)
    for name, default in {"input_tokens": None, "output_tokens": None,
                          "interactions_per_day": None, **API_DEFAULTS}.items():
        values[name], blank[name], wrong = _numbers(cells.get(name, [args[name]]), default,
                                                    calc.MULTIPLIER_BOUNDS.get(name, {}))
        bad |= wrong
    prices, failed = _prices(args, cells, catalog)
    bad |= failed
    # Rows not filled in yet (every required input given as a range is blank there) stay empty.
    if "model" in cells:
        blank["model"] = np.array([is_blank(v) for v in cells["model"]], dtype=bool)
    ranged = [name for name in API_REQUIRED if name in cells]
    empty = (np.logical_and.reduce([blank[name] for name in ranged]) if ranged
             else np.zeros(size, dtype=bool))

    with np.errstate(over="ignore", invalid="ignore"):
        total = calc.api_cost_kernel(
            values["input_tokens"], values["output_tokens"], values["interactions_per_day"],
            *prices, values["system_prompt_tokens"], values["context_multiplier"],
            values["retry_rate"], values["power_user_multiplier"], values["days"],
            values["cached_input_share"], values["embeddings_overhead"])[-1]
    total = np.broadcast_to(total, (size,))
    # Checked inputs that overflow together (inf, or NaN from inf * 0): the one-cell path
    # below names the problem instead of a blank cell.
    bad |= ~np.isfinite(total)
    result = total.astype(object)
    # Bad cells get the one-cell path's answer, so both paths say the same thing.
    for i in np.flatnonzero(bad & ~empty):
        result[i] = api_cost_cell({name: cells[name][i] if name in cells else value
                                   for name, value in args.items()}, catalog)
    result[empty] = ""
    with _collector_paused():
        return result.reshape(shape).tolist()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while building a big list of rows.

    Every 700 new lists trigger a collection, and about once a call one of them walks every
    object alive, the caller's ranges included (400,000 row lists for a 100,000-row roster):
    half of a column's time. The rows hold only numbers and text, so there is nothing for the
    collector to find; Mercurial's ``util.nogc`` does the same when building large containers.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
