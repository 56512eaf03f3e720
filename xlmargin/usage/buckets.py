"""Walking the time-bucket envelope the OpenAI and Anthropic admin APIs share: a page
``{"data": [bucket...], "has_more", "next_page"}``, a list of pages, or a bare list of buckets
(the concatenated ``data`` of every page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Bucket = tuple[str, dict[str, Any]]


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
