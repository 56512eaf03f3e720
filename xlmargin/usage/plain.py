"""The plain CSV anyone can write: ``date, client`` (or ``key``), ``model, input_tokens,
output_tokens``, optional ``cached_input_tokens``, ``requests`` and ``cost_usd``.
``input_tokens`` includes the cached ones, as in OpenAI's exports. A row without a client (or
key) is unattributed usage, one without a model unpriced usage: counted either way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xlmargin.usage.csvfile import getter, rows
from xlmargin.usage.record import (
    Malformed,
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


def read(path: Path) -> Iterator[UsageRecord | Malformed]:
    for columns, line, row in rows(path):
        get = getter(columns, row)
        at = f"{path.name}:{line}"
        try:
            start, end = day_span(day(get("date"), "date"))
            # blank model: counted, and listed as unpriced (aggregate.NO_MODEL)
            model = text_or_none(get("model"))
            input_tokens = count(get("input_tokens"), "input_tokens")
            cached = count(get("cached_input_tokens"), "cached_input_tokens")
            if cached > input_tokens:
                raise RowError(f"cached_input_tokens ({cached}) exceed input_tokens "
                               f"({input_tokens})")
            # blank client and key: unattributed, never dropped (issue 4)
            client, key = text_or_none(get("client")), text_or_none(get("key"))
            yield UsageRecord(
                source=PLAIN, where=at, start=start, end=end, model=model,
                requests=count(get("requests"), "requests"), input_tokens=input_tokens,
                cached_input_tokens=cached,
                output_tokens=count(get("output_tokens"), "output_tokens"),
                cost_usd=money(get("cost_usd"), "cost_usd"), currency="USD",
                client=client, api_key_id=key, key_alias=key)
        except RowError as error:
            yield Malformed(at, str(error))
