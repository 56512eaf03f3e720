"""Which format a file is in, from its content (``--format`` forces one), and its items."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError
from xlmargin.usage import anthropic_api, anthropic_csv, litellm, openai_api, openai_csv, plain
from xlmargin.usage.buckets import first_bucket, first_result
from xlmargin.usage.csvfile import header_of
from xlmargin.usage.record import Malformed, Skipped, UsageRecord

Item = UsageRecord | Malformed | Skipped

JSON_FORMATS: dict[str, Callable[[Any, str], Iterator[Item]]] = {
    openai_api.USAGE: openai_api.read_usage,
    openai_api.COSTS: openai_api.read_costs,
    anthropic_api.USAGE: anthropic_api.read_usage,
    anthropic_api.COST: anthropic_api.read_cost,
    litellm.JSON: litellm.read_json,
}
CSV_FORMATS: dict[str, Callable[[Path], Iterator[Item]]] = {
    openai_csv.USAGE: openai_csv.read_usage,
    openai_csv.COSTS: openai_csv.read_costs,
    anthropic_csv.USAGE: anthropic_csv.read_usage,
    anthropic_csv.COST: anthropic_csv.read_cost,
    litellm.CSV: litellm.read_csv,
    plain.PLAIN: plain.read,
}
FORMATS: dict[str, str] = {
    openai_api.USAGE: "OpenAI Usage API JSON (completions, embeddings: a page, pages, buckets)",
    openai_api.COSTS: "OpenAI Costs API JSON",
    openai_csv.USAGE: "OpenAI dashboard completions usage CSV/TSV export",
    openai_csv.COSTS: "OpenAI dashboard cost CSV/TSV export",
    anthropic_api.USAGE: "Anthropic Admin API usage report JSON",
    anthropic_api.COST: "Anthropic Admin API cost report JSON",
    anthropic_csv.USAGE: "Anthropic Console usage CSV export",
    anthropic_csv.COST: "Anthropic Console cost CSV export",
    litellm.JSON: "LiteLLM /spend/logs JSON",
    litellm.CSV: "LiteLLM_SpendLogs table as CSV",
    plain.PLAIN: "plain CSV: date, client or key, model, input_tokens, output_tokens "
                 "[, cached_input_tokens, requests, cost_usd]",
}


def known_formats() -> str:
    return "; ".join(f"{name} ({text})" for name, text in FORMATS.items())


def _unknown(path: Path, why: str) -> InputError:
    return InputError(str(path), f"not a usage export xlmargin knows ({why}). Known formats: "
                                 f"{known_formats()}")


def _json_format(data: Any) -> str | None:
    if litellm.rows_of(data) is not None:
        return litellm.JSON
    bucket, result = first_bucket(data), first_result(data)
    if bucket is None:
        return None
    if "start_time" in bucket:
        if result is not None and ("amount" in result
                                   or str(result.get("object", "")).endswith("costs.result")):
            return openai_api.COSTS
        return openai_api.USAGE
    if "starting_at" in bucket:
        if result is not None and "amount" in result:
            return anthropic_api.COST
        return anthropic_api.USAGE
    return None


def _csv_format(columns: set[str]) -> str | None:
    if {"start_time", "end_time"} <= columns:
        return openai_csv.COSTS if "amount_value" in columns else openai_csv.USAGE
    if "usage_date_utc" in columns:
        if "cost_usd" in columns and "token_type" in columns:
            return anthropic_csv.COST
        if "model_version" in columns or "usage_output_tokens" in columns:
            return anthropic_csv.USAGE
    if {"request_id", "spend", "starttime"} <= columns:
        return litellm.CSV
    if set(plain.REQUIRED) <= columns and columns & {"client", "key"}:
        return plain.PLAIN
    return None


def read(path: str | Path, forced: str | None = None) -> tuple[str, Iterator[Item]]:
    """(format name, the file's items). Raises InputError for a missing or unknown file."""
    path = Path(path)
    if forced is not None and forced not in FORMATS:
        raise InputError("--format", f"unknown format {forced!r}; known: {', '.join(FORMATS)}")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise _unknown(path, "the file is empty")
    if head[:1] in (b"{", b"["):
        if forced is not None and forced not in JSON_FORMATS:
            raise InputError(str(path), f"--format {forced} is a CSV format; this is JSON")
        try:
            with open(path, encoding="utf-8-sig") as handle:
                data = json.load(handle)
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError(str(path), f"not valid JSON: {error}") from error
        name = forced or _json_format(data)
        if name is None:
            raise _unknown(path, "JSON without buckets or spend-log rows")
        return name, JSON_FORMATS[name](data, path.name)
    if forced is not None and forced not in CSV_FORMATS:
        raise InputError(str(path), f"--format {forced} is a JSON format; this is not JSON")
    try:
        header, _ = header_of(path)
    except UnicodeDecodeError as error:
        raise _unknown(path, f"not UTF-8 text: {error}") from error
    name = forced or _csv_format(set(header))
    if name is None:
        raise _unknown(path, f"CSV header {', '.join(header[:8])}")
    return name, CSV_FORMATS[name](path)
