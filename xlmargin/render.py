"""Plain-text tables and number formats for the terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def usd(value: float | None, cents: bool = True) -> str:
    if value is None:
        return "-"
    return f"${value:,.2f}" if cents else f"${value:,.0f}"


def per_mtok(value: float | None) -> str:
    """A price per 1M tokens: '$2.50 / 1M', '$0.075 / 1M' (cents at least, up to 4 decimals)."""
    if value is None:
        return "-"
    text = f"{value:,.4f}".rstrip("0")
    if len(text.partition(".")[2]) < 2:
        text = f"{value:,.2f}"
    return f"${text} / 1M"


def count(n: int | float, noun: str, plural: str | None = None) -> str:
    """'1 client', '3 clients', '1,200 rows'."""
    word = noun if n == 1 else (plural or noun + "s")
    shown = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    return f"{shown} {word}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def tokens(value: float) -> str:
    return f"{value:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
          right: Sequence[bool] | None = None) -> str:
    """Columns padded to their widest cell; ``right`` aligns numeric columns right."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    right = right or [False] * len(headers)

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(row, widths, right, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
