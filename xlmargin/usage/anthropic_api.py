"""Anthropic Admin API JSON: the messages usage report and the cost report. Times are RFC 3339
strings; the cost report's ``amount`` is a decimal string in cents. Usage input classes are
additive: uncached + cache reads + 5-minute and 1-hour cache writes. A result's identity is its
bucket's start with every grouping key the report has (key, workspace, model, tier...)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from xlmargin.usage.buckets import walk
from xlmargin.usage.dedup import BUCKET
from xlmargin.usage.record import (
    Malformed,
    RowError,
    UsageRecord,
    count,
    money,
    text_or_none,
    timestamp,
)

USAGE, COST = "anthropic-usage", "anthropic-cost"
CENTS = Decimal(100)
_USAGE_KEYS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window",
               "inference_geo", "account_id", "service_account_id", "speed")
_COST_KEYS = ("workspace_id", "model", "service_tier", "context_window", "token_type",
              "cost_type", "description", "inference_geo", "currency", "speed")


def _identity(family: str, result: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return (BUCKET, family, *(text_or_none(result.get(k)) for k in keys))


def _ids(result: dict[str, Any]) -> dict[str, str | None]:
    return {"api_key_id": text_or_none(result.get("api_key_id")),
            "workspace": text_or_none(result.get("workspace_id")),
            "user": text_or_none(result.get("account_id"))}


def _usage(result: dict[str, Any], at: str, start: Any, end: Any) -> UsageRecord:
    creation = result.get("cache_creation") or {}
    if not isinstance(creation, dict):
        raise RowError("cache_creation: expected an object")
    uncached = count(result.get("uncached_input_tokens"), "uncached_input_tokens")
    cached = count(result.get("cache_read_input_tokens"), "cache_read_input_tokens")
    write_5m = count(creation.get("ephemeral_5m_input_tokens"),
                     "cache_creation.ephemeral_5m_input_tokens")
    write_1h = count(creation.get("ephemeral_1h_input_tokens"),
                     "cache_creation.ephemeral_1h_input_tokens")
    return UsageRecord(
        source=USAGE, where=at, start=start, end=end, model=text_or_none(result.get("model")),
        input_tokens=uncached + cached + write_5m + write_1h, cached_input_tokens=cached,
        cache_write_tokens=write_5m, cache_write_1h_tokens=write_1h,
        output_tokens=count(result.get("output_tokens"), "output_tokens"),
        batch=result.get("service_tier") == "batch",
        identity=_identity("Anthropic usage", result, _USAGE_KEYS), **_ids(result))


def _cost(result: dict[str, Any], at: str, start: Any, end: Any) -> UsageRecord:
    cents = money(result.get("amount"), "amount")
    currency = text_or_none(result.get("currency"))
    return UsageRecord(
        source=COST, where=at, start=start, end=end, model=text_or_none(result.get("model")),
        cost_usd=None if cents is None else cents / CENTS,
        currency=currency.upper() if currency else "USD",
        batch=result.get("service_tier") == "batch",
        identity=_identity("Anthropic cost", result, _COST_KEYS), **_ids(result))


def read_usage(data: Any, where: str) -> Iterator[UsageRecord | Malformed]:
    return walk(data, where, USAGE, ("starting_at", "ending_at"), timestamp, _usage)


def read_cost(data: Any, where: str) -> Iterator[UsageRecord | Malformed]:
    return walk(data, where, COST, ("starting_at", "ending_at"), timestamp, _cost)
