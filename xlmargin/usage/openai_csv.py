"""The OpenAI usage dashboard's CSV exports (completions usage, cost). Columns by header name;
numbers may be written as floats ('59200.0'); rows with only the time columns are empty
buckets; ``amount_value`` is in dollars."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xlmargin.usage.csvfile import getter, rows
from xlmargin.usage.openai_api import model_of_line_item
from xlmargin.usage.record import (
    Malformed,
    RowError,
    UsageRecord,
    count,
    flag,
    money,
    text_or_none,
    unix,
)

USAGE, COSTS = "openai-usage-csv", "openai-costs-csv"


def _span(get, at: str):  # type: ignore[no-untyped-def]
    start = unix(get("start_time"), "start_time")
    end = unix(get("end_time"), "end_time")
    if end <= start:
        raise RowError("end_time is not after start_time")
    return start, end


def read_usage(path: Path) -> Iterator[UsageRecord | Malformed]:
    for columns, line, row in rows(path):
        get = getter(columns, row)
        at = f"{path.name}:{line}"
        try:
            start, end = _span(get, at)
            if not any(get(c) for c in ("input_tokens", "output_tokens", "num_model_requests",
                                        "model")):
                yield UsageRecord(source=USAGE, where=at, start=start, end=end)
                continue
            input_tokens = count(get("input_tokens"), "input_tokens")
            cached = count(get("input_cached_tokens"), "input_cached_tokens")
            writes = count(get("input_cache_write_tokens"), "input_cache_write_tokens")
            if cached + writes > input_tokens:
                raise RowError("cached input exceeds input_tokens")
            yield UsageRecord(
                source=USAGE, where=at, start=start, end=end, model=text_or_none(get("model")),
                requests=count(get("num_model_requests"), "num_model_requests"),
                input_tokens=input_tokens, cached_input_tokens=cached, cache_write_tokens=writes,
                output_tokens=count(get("output_tokens"), "output_tokens"),
                batch=flag(get("batch"), "batch"), project_id=text_or_none(get("project_id")),
                api_key_id=text_or_none(get("api_key_id")),
                key_alias=text_or_none(get("api_key_name")),
                user=text_or_none(get("user_email", "user_id")))
        except RowError as error:
            yield Malformed(at, str(error))


def read_costs(path: Path) -> Iterator[UsageRecord | Malformed]:
    for columns, line, row in rows(path):
        get = getter(columns, row)
        at = f"{path.name}:{line}"
        try:
            start, end = _span(get, at)
            amount = money(get("amount_value"), "amount_value")
            if amount is None:  # no charge that day
                yield UsageRecord(source=COSTS, where=at, start=start, end=end)
                continue
            currency = get("amount_currency").upper() or "USD"
            yield UsageRecord(
                source=COSTS, where=at, start=start, end=end,
                model=model_of_line_item(get("line_item")), cost_usd=amount, currency=currency,
                project_id=text_or_none(get("project_id")),
                api_key_id=text_or_none(get("api_key_id")),
                user=text_or_none(get("user_email", "user_id")))
        except RowError as error:
            yield Malformed(at, str(error))
