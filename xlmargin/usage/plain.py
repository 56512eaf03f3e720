"""The plain CSV anyone can write: ``date, client`` (or ``key``), ``model, input_tokens,
output_tokens``, optional ``cached_input_tokens``, ``requests`` and ``cost_usd``.
``input_tokens`` includes the cached ones, as in OpenAI's exports. A row without a client (or
key) is unattributed usage, one without a model unpriced usage: counted either way. A row's
identity is its whole content: the same row in two files (or twice in one) is counted once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xlmargin.usage.csvfile import Row, Table, each_record
from xlmargin.usage.dedup import ROW
from xlmargin.usage.record import (
    Malformed,
    Note,
    RowError,
    UsageRecord,
    count,
    day,
    day_span,
    money,
    text_or_none,
)

PLAIN = "plain"
REQUIRED = ("date", "model", "input_tokens", "output_tokens")
NUMBERS = ("input_tokens", "output_tokens", "cached_input_tokens", "requests", "cost_usd")
COLUMNS = ("date", "client", "key", "model", *NUMBERS)
"""Every column this reader reads."""


def read(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    def one(row: Row, at: str, table: Table) -> UsageRecord:
        get = row.get
        numbers, header = table.numbers, table.header
        start, end = day_span(day(get("date"), "date"))
        # blank model: counted, and listed as unpriced (aggregate.NO_MODEL)
        model = text_or_none(get("model"))
        input_tokens = count(get("input_tokens"), "input_tokens", numbers)
        cached = count(get("cached_input_tokens"), "cached_input_tokens", numbers)
        if cached > input_tokens:
            raise RowError(f"cached_input_tokens ({cached}) exceed input_tokens "
                           f"({input_tokens})")
        # blank client and key: unattributed, never dropped
        client, key = text_or_none(get("client")), text_or_none(get("key"))
        content = tuple(sorted((name, cell.strip()) for name, cell
                               in zip(header, row.cells, strict=False) if cell.strip()))
        return UsageRecord(
            source=PLAIN, where=at, start=start, end=end, model=model,
            requests=count(get("requests"), "requests", numbers),
            input_tokens=input_tokens, cached_input_tokens=cached,
            output_tokens=count(get("output_tokens"), "output_tokens", numbers),
            cost_usd=money(get("cost_usd"), "cost_usd", numbers), currency="USD",
            client=client, api_key_id=key, key_alias=key, identity=(ROW, PLAIN, content))
    return each_record(path, one, NUMBERS)
