"""OpenAI admin API JSON: Usage (``/organization/usage/completions``, ``/embeddings``...) and
Costs (``/organization/costs``). Times are unix seconds; cost ``amount.value`` is in dollars,
sometimes a JSON string. A result's identity is its bucket's start with its grouping keys (and
its endpoint, or line item), shared with the dashboard's CSV exports (``openai_csv``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xlmargin.usage.buckets import walk
from xlmargin.usage.dedup import BUCKET
from xlmargin.usage.record import (
    Malformed,
    RowError,
    Skipped,
    UsageRecord,
    count,
    flag,
    money,
    text_or_none,
    unix,
)

USAGE, COSTS = "openai-usage", "openai-costs"
USAGE_FAMILY, COSTS_FAMILY = "OpenAI usage", "OpenAI costs"

Item = UsageRecord | Malformed | Skipped


def _ids(result: dict[str, Any]) -> dict[str, str | None]:
    return {"project_id": text_or_none(result.get("project_id")),
            "api_key_id": text_or_none(result.get("api_key_id")),
            "user": text_or_none(result.get("user_id"))}


def endpoint_of(kind: str) -> str:
    """'organization.usage.completions.result' (or the spec's misspelt 'orgainzation...')
    -> 'completions'."""
    parts = kind.split(".")
    return parts[-2] if len(parts) >= 3 else kind


def _usage(result: dict[str, Any], at: str, start: Any, end: Any) -> UsageRecord | Skipped:
    kind = str(result.get("object", ""))
    if "output_tokens" not in result and "input_tokens" not in result:
        # images, audio, vector stores, web/file searches: not per-token usage
        return Skipped(at, kind.rsplit(".", 2)[-2] if kind.count(".") >= 2 else "non-token")
    input_tokens = count(result.get("input_tokens"), "input_tokens")
    cached = count(result.get("input_cached_tokens"), "input_cached_tokens")
    writes = count(result.get("input_cache_write_tokens"), "input_cache_write_tokens")
    if cached + writes > input_tokens:
        raise RowError(f"input_cached_tokens + input_cache_write_tokens ({cached + writes}) "
                       f"exceed input_tokens ({input_tokens})")
    ids = _ids(result)
    model = text_or_none(result.get("model"))
    batch = result.get("batch")
    batch = None if batch is None else flag(batch, "batch")
    identity = (BUCKET, USAGE_FAMILY, endpoint_of(kind), ids["project_id"], ids["user"],
                ids["api_key_id"], model, batch, text_or_none(result.get("service_tier")))
    return UsageRecord(
        source=USAGE, where=at, start=start, end=end, model=model,
        requests=count(result.get("num_model_requests"), "num_model_requests"),
        input_tokens=input_tokens, cached_input_tokens=cached, cache_write_tokens=writes,
        output_tokens=count(result.get("output_tokens"), "output_tokens"),
        batch=bool(batch), identity=identity, **ids)


def model_of_line_item(line_item: str | None) -> str | None:
    """'gpt-4o-mini-2024-07-18, cached input' -> 'gpt-4o-mini-2024-07-18' (best effort)."""
    if not line_item or "," not in line_item:
        return None
    model = line_item.split(",", 1)[0].strip()
    return model.split("|", 1)[-1].strip() or None


def _cost(result: dict[str, Any], at: str, start: Any, end: Any) -> UsageRecord:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise RowError("amount: expected {value, currency}")
    value = money(amount.get("value"), "amount.value")
    currency = text_or_none(amount.get("currency"))
    ids = _ids(result)
    line_item = text_or_none(result.get("line_item"))
    return UsageRecord(
        source=COSTS, where=at, start=start, end=end, model=model_of_line_item(line_item),
        cost_usd=value, currency=currency.upper() if currency else "USD",
        identity=(BUCKET, COSTS_FAMILY, ids["project_id"], ids["api_key_id"], line_item),
        **ids)


def read_usage(data: Any, where: str) -> Iterator[Item]:
    return walk(data, where, USAGE, ("start_time", "end_time"), unix, _usage)


def read_costs(data: Any, where: str) -> Iterator[Item]:
    return walk(data, where, COSTS, ("start_time", "end_time"), unix, _cost)
