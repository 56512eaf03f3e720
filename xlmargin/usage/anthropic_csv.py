"""The Anthropic Console's CSV exports. Cost: dollars per day x model (display name) x
workspace x key x token type. Usage: tokens per day x model id x key, in four input classes
(older files have one ``usage_input_tokens_cache_write`` column). A row's identity is its day
and every grouping column (not the key's status or list price, which change between exports)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xlmargin.usage.csvfile import Row, Table, each_record
from xlmargin.usage.dedup import BUCKET
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

USAGE, COST = "anthropic-usage-csv", "anthropic-cost-csv"
_USAGE_NUMBERS = ("usage_input_tokens_no_cache", "usage_input_tokens_cache_write_5m",
                  "usage_input_tokens_cache_write", "usage_input_tokens_cache_write_1h",
                  "usage_input_tokens_cache_read", "usage_output_tokens")
_USAGE_KEYS = ("api_key", "api_key_id", "workspace", "usage_type", "context_window",
               "inference_geo", "speed")
_COST_KEYS = ("model", "workspace", "api_key", "api_key_id", "usage_type", "context_window",
              "token_type", "cost_type", "inference_geo", "speed")
USAGE_COLUMNS = ("usage_date_utc", "model_version", "model", *_USAGE_NUMBERS, *_USAGE_KEYS)
COST_COLUMNS = ("usage_date_utc", "cost_usd", *_COST_KEYS)


def _identity(family: str, row: Row, keys: tuple[str, ...], *first: Any) -> tuple[Any, ...]:
    return (BUCKET, family, *first, *(text_or_none(row.get(k)) for k in keys))


def read_usage(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    def one(row: Row, at: str, table: Table) -> UsageRecord:
        get = row.get
        numbers = table.numbers
        start, end = day_span(day(get("usage_date_utc"), "usage_date_utc"))
        uncached = count(get("usage_input_tokens_no_cache"), "usage_input_tokens_no_cache",
                         numbers)
        write_5m = count(get("usage_input_tokens_cache_write_5m",
                             "usage_input_tokens_cache_write"),
                         "usage_input_tokens_cache_write_5m", numbers)
        write_1h = count(get("usage_input_tokens_cache_write_1h"),
                         "usage_input_tokens_cache_write_1h", numbers)
        cached = count(get("usage_input_tokens_cache_read"), "usage_input_tokens_cache_read",
                       numbers)
        model = text_or_none(get("model_version", "model"))
        return UsageRecord(
            source=USAGE, where=at, start=start, end=end, model=model,
            input_tokens=uncached + write_5m + write_1h + cached, cached_input_tokens=cached,
            cache_write_tokens=write_5m, cache_write_1h_tokens=write_1h,
            output_tokens=count(get("usage_output_tokens"), "usage_output_tokens", numbers),
            batch=get("usage_type").lower() == "batch",
            api_key_id=text_or_none(get("api_key_id")),
            key_alias=text_or_none(get("api_key")),
            workspace=text_or_none(get("workspace")),
            identity=_identity("Anthropic Console usage", row, _USAGE_KEYS, model))
    return each_record(path, one, _USAGE_NUMBERS)


def read_cost(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    def one(row: Row, at: str, table: Table) -> UsageRecord:
        get = row.get
        numbers = table.numbers
        start, end = day_span(day(get("usage_date_utc"), "usage_date_utc"))
        amount = money(get("cost_usd"), "cost_usd", numbers)
        if amount is None:
            raise RowError("cost_usd: blank")
        return UsageRecord(
            source=COST, where=at, start=start, end=end, model=text_or_none(get("model")),
            cost_usd=amount, currency="USD",
            batch=get("usage_type").lower() == "batch",
            api_key_id=text_or_none(get("api_key_id")),
            key_alias=text_or_none(get("api_key")),
            workspace=text_or_none(get("workspace")),
            identity=_identity("Anthropic Console cost", row, _COST_KEYS))
    return each_record(path, one, ("cost_usd",))
