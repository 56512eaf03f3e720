"""How worksheet values are read and answered: blanks, ranges, and error texts.

Excel (through xlwings, with ``ndim=2``) passes a single cell as its value or as ``[[value]]``,
a range as a list of rows, a blank as None. A function answers a range with a range of the same
shape, and a bad input with a text starting with ``#`` instead of a traceback or a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xlmargin.errors import InputError, XlmarginError

MAX_CELL_TEXT = 255


def cell_error(error: XlmarginError) -> str:
    """The text a cell shows for a bad input: '#argument: problem', kept short."""
    text = f"#{error}"
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 3] + "..."


def is_range(value: Any) -> bool:
    return isinstance(value, list | tuple)


def as_rows(value: Any) -> list[list[Any]]:
    """A range as a list of rows; a flat list is a column, as Python users write one. A list
    that mixes rows and single values is a column of those values (each then a bad cell)."""
    if value and is_range(value[0]) and all(is_range(row) for row in value):
        return [list(row) for row in value]
    return [[v] for v in value]


def plain(value: Any) -> Any:
    """numpy arrays and numpy numbers as the lists and numbers Excel would pass. Duck-typed, so
    numpy is never imported for it (a Python caller may pass anything)."""
    if hasattr(value, "dtype") and callable(getattr(value, "tolist", None)):
        try:
            return value.tolist()
        except Exception:  # not numpy after all: leave it for the checks to name
            return value
    return value


def unwrap(value: Any) -> Any:
    """A one-cell range is that cell's value (xlwings passes [[x]] for a single cell)."""
    value = plain(value)
    if is_range(value) and len(value) == 1 and is_range(value[0]) and len(value[0]) == 1:
        return value[0][0]
    return value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def optional(value: Any, default: Any) -> Any:
    return default if is_blank(value) else value


def broadcast_shape(args: dict[str, Any]) -> tuple[int, int]:
    """The shape the range arguments share; a single row or column stretches to fit."""
    rows, cols = 1, 1
    for name, value in args.items():
        if not is_range(value):
            continue
        grid = as_rows(value)
        r, c = len(grid), len(grid[0]) if grid else 0
        if r == 0 or c == 0:
            raise InputError(name, "empty range")
        lengths = set(map(len, grid))
        if len(lengths) > 1:
            raise InputError(name, f"rows of the range differ in length "
                             f"({min(lengths)} to {max(lengths)} cells)")
        if (r != 1 and rows != 1 and r != rows) or (c != 1 and cols != 1 and c != cols):
            raise InputError(name, f"range is {r}x{c} but another argument's is {rows}x{cols}")
        rows, cols = max(rows, r), max(cols, c)
    return rows, cols


def cell_at(rows: Any, row: int, col: int) -> Any:
    """The value at (row, col) of a range given as rows; single rows and columns stretch."""
    if not is_range(rows):
        return rows
    return rows[row if len(rows) > 1 else 0][col if len(rows[0]) > 1 else 0]


def elementwise(func: Callable[..., Any], args: dict[str, Any]) -> Any:
    """Call ``func`` once per cell of the range arguments (or once, for single values)."""
    args = {name: unwrap(value) for name, value in args.items()}
    if not any(is_range(v) for v in args.values()):
        return answer(func, args)
    try:
        rows, cols = broadcast_shape(args)
    except XlmarginError as error:
        return cell_error(error)
    args = {name: as_rows(v) if is_range(v) else v for name, v in args.items()}
    return [[answer(func, {n: cell_at(v, r, c) for n, v in args.items()}) for c in range(cols)]
            for r in range(rows)]


def answer(func: Callable[..., Any], args: dict[str, Any]) -> Any:
    try:
        # A numpy number in a range can carry through the math: answer a plain number.
        return plain(func(**args))
    except XlmarginError as error:
        return cell_error(error)


