"""Which format a file is in, from its content (``--format`` forces one), and its items."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError
from xlmargin.textfile import decode
from xlmargin.usage import anthropic_api, anthropic_csv, litellm, openai_api, openai_csv, plain
from xlmargin.usage.buckets import first_bucket, first_result
from xlmargin.usage.csvfile import header_of
from xlmargin.usage.record import Malformed, Note, Skipped, UsageRecord

Item = UsageRecord | Malformed | Skipped | Note

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
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    openai_csv.USAGE: openai_csv.USAGE_COLUMNS, openai_csv.COSTS: openai_csv.COSTS_COLUMNS,
    anthropic_csv.USAGE: anthropic_csv.USAGE_COLUMNS,
    anthropic_csv.COST: anthropic_csv.COST_COLUMNS,
    litellm.CSV: litellm.CSV_COLUMNS, plain.PLAIN: plain.COLUMNS,
}
"""The columns each CSV reader reads (to catch a misspelt one, see ``misspelt``)."""
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


class UnknownFormatError(InputError):
    """A file that is no export xlmargin knows (a folder's other files are passed over)."""


def _unknown(path: Path, why: str) -> InputError:
    return UnknownFormatError(str(path), f"not a usage export xlmargin knows ({why}). Known "
                                    f"formats: {known_formats()}")


def _json_format(data: Any) -> str | None:
    if litellm.rows_of(data) is not None:
        return litellm.JSON
    bucket, result = first_bucket(data), first_result(data)
    if bucket is None:
        # Pages without a bucket (a window with no days left): no usage, in any reader.
        return openai_api.USAGE if _empty_pages(data) else None
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


def _empty_pages(data: Any) -> bool:
    pages = data if isinstance(data, list) and data else [data]
    return all(isinstance(p, dict) and p.get("data") == [] and "has_more" in p for p in pages)


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
        head = decode_head(handle.read(4096)).lstrip("\ufeff \t\r\n")
    if not head:
        raise _unknown(path, "the file is empty")
    if head[:1] in ("{", "["):
        if forced is not None and forced not in JSON_FORMATS:
            raise InputError(str(path), f"--format {forced} is a CSV format; this is JSON")
        decoded = decode(path.read_bytes(), path.name)
        data = _json(decoded.text, path)
        name = forced or _json_format(data)
        if name is None:
            raise _unknown(path, "JSON without buckets or spend-log rows")
        items = JSON_FORMATS[name](data, path.name)
        note = decoded.note(path.name)
        return name, items if note is None else _then(items, Note(path.name, note))
    if forced is not None and forced not in CSV_FORMATS:
        raise InputError(str(path), f"--format {forced} is a JSON format; this is not JSON")
    header, _ = header_of(path)
    name = forced or _csv_format(set(header))
    if name is None:
        raise _unknown(path, f"CSV header {', '.join(header[:8])}")
    wrong = misspelt(header, CSV_COLUMNS[name])
    if wrong is not None:
        raise InputError(f"{path}: header", f"column {wrong[0]!r} is not one xlmargin reads; "
                         f"did you mean {wrong[1]}? As written, that column would be ignored "
                         "in every row")
    return name, CSV_FORMATS[name](path)


def misspelt(header: list[str], known: tuple[str, ...]) -> tuple[str, str] | None:
    """(a header name, the column it nearly is) when a column the reader reads is missing and
    a name in the header differs from it by little more than a typo or a stray character."""
    import difflib

    names = [n for n in header if n]
    missing = [k for k in known if k not in names]
    for name in names:
        if name in known:
            continue
        bare = re.sub(r"[^a-z0-9]", "", name)
        for column in missing:
            if bare == re.sub(r"[^a-z0-9]", "", column) or \
                    difflib.SequenceMatcher(None, name, column).ratio() >= 0.9:
                return name, column
    return None


def decode_head(data: bytes) -> str:
    """The first bytes of a file as text, enough to tell JSON from CSV (a multi-byte character
    cut at the end, or a bad byte, does not matter here)."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[2:].decode(encoding, errors="ignore")
    if len(data) >= 2 and data[1:2] == b"\x00" and data[:1] != b"\x00":
        return data.decode("utf-16-le", errors="ignore")
    return data.decode("utf-8", errors="ignore")


def _json(text: str, path: Path) -> Any:
    """The file's JSON value. Documents saved one after another (pages appended to one file)
    become a list of them, or one list when each is a list (of buckets or of rows)."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    at, end = 0, len(text)
    while True:
        while at < end and text[at] in " \t\r\n\ufeff":
            at += 1
        if at == end:
            break
        try:
            document, at = decoder.raw_decode(text, at)
        except ValueError as error:
            line = text.count("\n", 0, getattr(error, "pos", at)) + 1
            raise InputError(f"{path.name}:{line}", f"not valid JSON: {error}") from None
        except RecursionError:
            raise InputError(str(path), "not valid JSON: nested too deeply to be an "
                                        "export") from None
        documents.append(document)
    if not documents:
        raise InputError(str(path), "not valid JSON: no value")
    if len(documents) == 1:
        return documents[0]
    if all(isinstance(d, list) for d in documents):
        return [item for d in documents for item in d]
    return documents


def _then(items: Iterator[Item], last: Item) -> Iterator[Item]:
    yield from items
    yield last
