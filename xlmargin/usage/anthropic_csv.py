"""The Anthropic Console's CSV exports. Cost: dollars per day x model (display name) x
workspace x key x token type. Usage: tokens per day x model id x key, in four input classes
(older files have one ``usage_input_tokens_cache_write`` column)."""

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

USAGE, COST = "anthropic-usage-csv", "anthropic-cost-csv"


def read_usage(path: Path) -> Iterator[UsageRecord | Malformed]:
    for columns, line, row in rows(path):
        get = getter(columns, row)
        at = f"{path.name}:{line}"
        try:
            start, end = day_span(day(get("usage_date_utc"), "usage_date_utc"))
            uncached = count(get("usage_input_tokens_no_cache"), "usage_input_tokens_no_cache")
            write_5m = count(get("usage_input_tokens_cache_write_5m",
                                 "usage_input_tokens_cache_write"),
                             "usage_input_tokens_cache_write_5m")
            write_1h = count(get("usage_input_tokens_cache_write_1h"),
                             "usage_input_tokens_cache_write_1h")
            cached = count(get("usage_input_tokens_cache_read"), "usage_input_tokens_cache_read")
            yield UsageRecord(
                source=USAGE, where=at, start=start, end=end,
                model=text_or_none(get("model_version", "model")),
                input_tokens=uncached + write_5m + write_1h + cached, cached_input_tokens=cached,
                cache_write_tokens=write_5m, cache_write_1h_tokens=write_1h,
                output_tokens=count(get("usage_output_tokens"), "usage_output_tokens"),
                batch=get("usage_type").lower() == "batch",
                api_key_id=text_or_none(get("api_key_id")),
                key_alias=text_or_none(get("api_key")),
                workspace=text_or_none(get("workspace")))
        except RowError as error:
            yield Malformed(at, str(error))


def read_cost(path: Path) -> Iterator[UsageRecord | Malformed]:
    for columns, line, row in rows(path):
        get = getter(columns, row)
        at = f"{path.name}:{line}"
        try:
            start, end = day_span(day(get("usage_date_utc"), "usage_date_utc"))
            amount = money(get("cost_usd"), "cost_usd")
            if amount is None:
                raise RowError("cost_usd: blank")
            yield UsageRecord(
                source=COST, where=at, start=start, end=end, model=text_or_none(get("model")),
                cost_usd=amount, currency="USD",
                batch=get("usage_type").lower() == "batch",
                api_key_id=text_or_none(get("api_key_id")),
                key_alias=text_or_none(get("api_key")),
                workspace=text_or_none(get("workspace")))
        except RowError as error:
            yield Malformed(at, str(error))
