"""Walking the time-bucket envelope the OpenAI and Anthropic admin APIs share: a page
``{"data": [bucket...], "has_more", "next_page"}``, a list of pages, or a bare list of buckets
(the concatenated ``data`` of every page)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from xlmargin.usage.record import Malformed, RowError, UsageRecord

Bucket = tuple[str, dict[str, Any]]
ResultReader = Callable[[dict[str, Any], str, datetime, datetime], Any]


def buckets(data: Any, path: str = "$") -> Iterator[Bucket]:
    """(JSON path, bucket) for every bucket; anything else yields (path, non-dict)."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        for i, bucket in enumerate(data["data"]):
            yield f"{path}.data[{i}]", bucket
    elif isinstance(data, dict) and "results" in data:
        yield path, data
    elif isinstance(data, dict) and data and all(isinstance(v, dict) and "data" in v
                                                 for v in data.values()):
        for key, page in data.items():  # {"completions": page, "embeddings": page}
            yield from buckets(page, f"{path}.{key}")
    elif isinstance(data, list):
        for i, item in enumerate(data):
            if isinstance(item, dict) and isinstance(item.get("data"), list):
                yield from buckets(item, f"{path}[{i}]")
            else:
                yield f"{path}[{i}]", item
    else:
        yield path, data


def first_result(data: Any) -> dict[str, Any] | None:
    """The first result of the first non-empty bucket (for format detection)."""
    for _, bucket in buckets(data):
        if isinstance(bucket, dict):
            for result in bucket.get("results") or ():
                if isinstance(result, dict):
                    return result
    return None


def first_bucket(data: Any) -> dict[str, Any] | None:
    for _, bucket in buckets(data):
        if isinstance(bucket, dict):
            return bucket
    return None


def walk(data: Any, where: str, source: str, bounds: tuple[str, str],
         parse_time: Callable[[Any, str], datetime], result_of: ResultReader) -> Iterator[Any]:
    """Every result of every bucket read by ``result_of(result, json_path, start, end)``.

    ``bounds`` names the bucket's start and end fields (OpenAI: unix seconds, Anthropic: RFC 3339
    strings, read by ``parse_time``). An empty bucket still yields a record without usage, so
    the period covered counts it; anything malformed yields ``Malformed`` with its JSON path.
    """
    start_key, end_key = bounds
    for path, bucket in buckets(data):
        if not isinstance(bucket, dict) or start_key not in bucket:
            yield Malformed(f"{where}:{path}", f"not a bucket with {start_key}/{end_key}")
            continue
        try:
            start = parse_time(bucket.get(start_key), start_key)
            end = parse_time(bucket.get(end_key), end_key)
            if end <= start:
                raise RowError(f"{end_key} is not after {start_key}")
        except RowError as error:
            yield Malformed(f"{where}:{path}", str(error))
            continue
        results = bucket.get("results") or []
        if not results:
            yield UsageRecord(source=source, where=f"{where}:{path}", start=start, end=end)
        for j, result in enumerate(results):
            at = f"{where}:{path}.results[{j}]"
            if not isinstance(result, dict):
                yield Malformed(at, "result is not an object")
                continue
            try:
                yield result_of(result, at, start, end)
            except RowError as error:
                yield Malformed(at, str(error))
