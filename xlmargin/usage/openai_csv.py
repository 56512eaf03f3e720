"""The OpenAI usage dashboard's CSV exports (completions usage, cost). Columns by header name;
numbers may be written as floats ('59200.0'); rows with only the time columns are empty
buckets; ``amount_value`` is in dollars. A row's identity is its bucket: the start time and the
grouping columns, the same as the Usage and Costs APIs' (``openai_api``), so an export and an
API pull of the same days count once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from xlmargin.usage.csvfile import Row, Table, each_record
from xlmargin.usage.dedup import BUCKET
from xlmargin.usage.openai_api import COSTS_FAMILY, USAGE_FAMILY, model_of_line_item
from xlmargin.usage.record import (
    Malformed,
    Note,
    RowError,
    UsageRecord,
    count,
    flag,
    money,
    text_or_none,
    unix,
)

USAGE, COSTS = "openai-usage-csv", "openai-costs-csv"
_USAGE_NUMBERS = ("num_model_requests", "input_tokens", "output_tokens", "input_cached_tokens",
                  "input_cache_write_tokens")
_IDS = ("project_id", "api_key_id", "user_email", "user_id")
USAGE_COLUMNS = ("start_time", "end_time", *_USAGE_NUMBERS, "model", "batch", "service_tier",
                 "api_key_name", *_IDS)
COSTS_COLUMNS = ("start_time", "end_time", "amount_value", "amount_currency", "line_item",
                 *_IDS)


def _span(row: Row) -> tuple[datetime, datetime]:
    start = unix(row.get("start_time"), "start_time")
    end = unix(row.get("end_time"), "end_time")
    if end <= start:
        raise RowError("end_time is not after start_time")
    return start, end


def _batch(text: str) -> bool | None:
    return None if not text else flag(text, "batch")


def read_usage(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    def one(row: Row, at: str, table: Table) -> UsageRecord:
        get = row.get
        numbers = table.numbers
        start, end = _span(row)
        if not any(get(c) for c in ("input_tokens", "output_tokens", "num_model_requests",
                                    "model")):
            return UsageRecord(source=USAGE, where=at, start=start, end=end)
        input_tokens = count(get("input_tokens"), "input_tokens", numbers)
        cached = count(get("input_cached_tokens"), "input_cached_tokens", numbers)
        writes = count(get("input_cache_write_tokens"), "input_cache_write_tokens", numbers)
        if cached + writes > input_tokens:
            raise RowError("cached input exceeds input_tokens")
        model, batch = text_or_none(get("model")), _batch(get("batch"))
        project, key = text_or_none(get("project_id")), text_or_none(get("api_key_id"))
        identity = (BUCKET, USAGE_FAMILY, "completions", project,
                    text_or_none(get("user_id")), key, model, batch,
                    text_or_none(get("service_tier")))
        return UsageRecord(
            source=USAGE, where=at, start=start, end=end, model=model,
            requests=count(get("num_model_requests"), "num_model_requests", numbers),
            input_tokens=input_tokens, cached_input_tokens=cached, cache_write_tokens=writes,
            output_tokens=count(get("output_tokens"), "output_tokens", numbers),
            batch=bool(batch), project_id=project, api_key_id=key,
            key_alias=text_or_none(get("api_key_name")),
            user=text_or_none(get("user_email", "user_id")), identity=identity)
    return each_record(path, one, _USAGE_NUMBERS)


def read_costs(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    def one(row: Row, at: str, table: Table) -> UsageRecord:
        get = row.get
        numbers = table.numbers
        start, end = _span(row)
        amount = money(get("amount_value"), "amount_value", numbers)
        if amount is None:  # no charge that day
            return UsageRecord(source=COSTS, where=at, start=start, end=end)
        currency = get("amount_currency").upper() or "USD"
        project, key = text_or_none(get("project_id")), text_or_none(get("api_key_id"))
        line_item = text_or_none(get("line_item"))
        return UsageRecord(
            source=COSTS, where=at, start=start, end=end,
            model=model_of_line_item(line_item), cost_usd=amount, currency=currency,
            project_id=project, api_key_id=key,
            user=text_or_none(get("user_email", "user_id")),
            identity=(BUCKET, COSTS_FAMILY, project, key, line_item))
    return each_record(path, one, ("amount_value",))
