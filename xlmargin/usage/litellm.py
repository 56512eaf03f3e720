"""LiteLLM proxy spend logs: the ``/spend/logs`` JSON (a list of rows, or the UI's paginated
``{"data": [...]}``) and a CSV dump of the ``LiteLLM_SpendLogs`` table. One row per request;
``spend`` is LiteLLM's own USD estimate, used as the row's cost. ``api_key`` is a hash; the
human alias is ``metadata.user_api_key_alias``. In a CSV dump ``metadata`` and
``request_tags`` are JSON text: the few keys needed are pulled out with patterns rather than a
full JSON parse per row (the import must keep pace with a million-row file). A row's identity is
its ``request_id``: the same request in two exports (or twice in one) is counted once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from xlmargin.usage.csvfile import Row, Table
from xlmargin.usage.dedup import REQUEST
from xlmargin.usage.record import (
    SHORT_COUNT_DIGITS,
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

JSON, CSV = "litellm", "litellm-csv"
FAMILY = "LiteLLM"
# The columns read from a CSV dump: a line break in any of them is a quote gone astray (the
# database writes none there; messages and responses, not read, may hold them).
CSV_COLUMNS = ("request_id", "starttime", "model", "prompt_tokens", "completion_tokens",
               "spend", "api_key", "metadata", "request_tags", "team_id", "end_user", "user")
NUMBER_COLUMNS = ("spend", "prompt_tokens", "completion_tokens")


def identity_of(request_id: object) -> tuple[str, str, str] | None:
    text = text_or_none(request_id)
    return None if text is None else (REQUEST, FAMILY, text)


def _string_key(name: str) -> re.Pattern[str]:
    return re.compile(rf'"{name}"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _int_key(name: str) -> re.Pattern[str]:
    return re.compile(rf'"{name}"\s*:\s*(\d+)')


_ALIAS = _string_key("user_api_key_alias")
_TEAM_ALIAS = _string_key("user_api_key_team_alias")
_PROJECT = _string_key("user_api_key_project_alias")
_PROJECT_ID = _string_key("user_api_key_project_id")
_CACHED = (_int_key("cached_tokens"), _int_key("cache_read_input_tokens"))
_WRITES = _int_key("cache_creation_input_tokens")


def _found(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    value = match.group(1)
    return json.loads(f'"{value}"') if "\\" in value else (value or None)


def _found_int(patterns: tuple[re.Pattern[str], ...], text: str) -> int:
    for pattern in patterns:
        match = pattern.search(text)
        if match is not None:
            key = pattern.pattern.split('"')[1]  # the pattern's quoted key name
            found = count(match.group(1), f"metadata.{key}")
            if found:
                return found
    return 0


def tags_of(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        text = value.strip()
        if not text or text in ("[]", "{}"):
            return ()
        try:
            value = json.loads(text)
        except ValueError:
            # Postgres array text: {a,b}
            return tuple(t.strip('" ') for t in text.strip("{}").split(",") if t.strip('" '))
    if isinstance(value, list):
        return tuple(str(t) for t in value if t is not None and str(t).strip())
    return ()


def _record(source: str, at: str, fields: Mapping[str, Any], meta: Mapping[str, Any] | str,
            tags: tuple[str, ...]) -> UsageRecord:
    start, end = day_span(day(fields.get("startTime") or fields.get("starttime"), "startTime"))
    if isinstance(meta, str):
        alias, team = _found(_ALIAS, meta), _found(_TEAM_ALIAS, meta)
        project = _found(_PROJECT, meta) or _found(_PROJECT_ID, meta)
        cached, writes = _found_int(_CACHED, meta), _found_int((_WRITES,), meta)
    else:
        alias = text_or_none(meta.get("user_api_key_alias"))
        team = text_or_none(meta.get("user_api_key_team_alias"))
        project = text_or_none(meta.get("user_api_key_project_alias")
                               or meta.get("user_api_key_project_id"))
        usage = meta.get("usage_object") or {}
        details = usage.get("prompt_tokens_details") or {} if isinstance(usage, dict) else {}
        cached = count((details.get("cached_tokens") if isinstance(details, dict) else None)
                       or (usage.get("cache_read_input_tokens") if isinstance(usage, dict)
                           else None), "usage_object.cached_tokens")
        writes = count(usage.get("cache_creation_input_tokens") if isinstance(usage, dict)
                       else None, "usage_object.cache_creation_input_tokens")
    prompt = count(fields.get("prompt_tokens"), "prompt_tokens")
    if cached + writes > prompt:  # this provider/version reports them apart from prompt_tokens
        prompt += cached + writes
    spend = money(fields.get("spend"), "spend")
    return UsageRecord(
        source=source, where=at, start=start, end=end, model=text_or_none(fields.get("model")),
        requests=1, input_tokens=prompt, cached_input_tokens=cached, cache_write_tokens=writes,
        output_tokens=count(fields.get("completion_tokens"), "completion_tokens"),
        cost_usd=spend, currency="USD", api_key_id=text_or_none(fields.get("api_key")),
        key_alias=alias, project_id=project,
        workspace=team or text_or_none(fields.get("team_id")),
        user=text_or_none(fields.get("end_user")) or text_or_none(fields.get("user")),
        tags=tags, identity=identity_of(fields.get("request_id")))


def _is_row(item: Any) -> bool:
    return isinstance(item, dict) and "request_id" in item and "spend" in item


def _pages(data: Any) -> list[tuple[str, list[Any]]] | None:
    """(JSON path, rows) of each page: a list of rows, the UI's {"data": [...]}, or a list of
    such pages (pages saved one after another)."""
    if isinstance(data, dict):
        found = data.get("data")
        return [("$.data", found)] if isinstance(found, list) and found \
            and _is_row(found[0]) else None
    if not isinstance(data, list) or not data:
        return None
    if _is_row(data[0]):
        return [("$", data)]
    pages = []
    for i, page in enumerate(data):
        found = page.get("data") if isinstance(page, dict) else None
        if not isinstance(found, list):
            return None
        pages.append((f"$[{i}].data", found))
    return pages if any(found and _is_row(found[0]) for _, found in pages) else None


def rows_of(data: Any) -> list[Any] | None:
    """The request rows of a /spend/logs answer, or None if it is not one."""
    pages = _pages(data)
    return None if pages is None else [row for _, rows in pages for row in rows]


def read_json(data: Any, where: str) -> Iterator[UsageRecord | Malformed]:
    for prefix, found in _pages(data) or []:
        yield from _read_page(found, f"{where}:{prefix}")


def _read_page(found: list[Any], prefix: str) -> Iterator[UsageRecord | Malformed]:
    for i, row in enumerate(found):
        at = f"{prefix}[{i}]"
        if not isinstance(row, dict):
            yield Malformed(at, "not an object")
            continue
        meta = row.get("metadata") or {}
        if isinstance(meta, str):
            try:
                meta = json.loads(meta) if meta.strip() else {}
            except ValueError:
                yield Malformed(at, "metadata: not JSON")
                continue
        try:
            yield _record(JSON, at, row, meta if isinstance(meta, dict) else {},
                          tags_of(row.get("request_tags")))
        except RowError as error:
            yield Malformed(at, str(error))


def read_csv(path: Path) -> Iterator[UsageRecord | Malformed | Note]:
    """The CSV dump, in a loop specialised for speed: column indices resolved once, cheap
    checks before each pattern search, tags and days memoised (they repeat)."""
    table = Table.of_file(path, single_line=CSV_COLUMNS, numbers=NUMBER_COLUMNS)
    numbers, columns = table.numbers, table.columns
    tags_seen: dict[str, tuple[str, ...]] = {}
    index = {key: columns.get(name) for key, name in (
        ("id", "request_id"), ("start", "starttime"), ("model", "model"),
        ("prompt", "prompt_tokens"), ("completion", "completion_tokens"), ("spend", "spend"),
        ("api_key", "api_key"), ("meta", "metadata"), ("tags", "request_tags"),
        ("team", "team_id"), ("end_user", "end_user"), ("user", "user"))}
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        cells = row.cells
        width = len(cells)

        def cell(key: str, cells: list[str] = cells, width: int = width) -> str:
            i = index[key]
            return cells[i].strip() if i is not None and i < width else ""

        at = f"{path.name}:{row.line}"
        try:
            start, end = day_span(day(cell("start"), "startTime"))
            meta = cell("meta")
            alias = _found(_ALIAS, meta) if "user_api_key_alias" in meta else None
            team = _found(_TEAM_ALIAS, meta) if "team_alias" in meta else None
            project = (_found(_PROJECT, meta) or _found(_PROJECT_ID, meta)) \
                if "project" in meta else None
            cached = _found_int(_CACHED, meta) if "cache" in meta else 0
            writes = _found_int((_WRITES,), meta) if "cache_creation" in meta else 0
            text = cell("prompt")
            prompt = int(text) if text.isdigit() and text.isascii() \
                and len(text) <= SHORT_COUNT_DIGITS else count(text, "prompt_tokens", numbers)
            text = cell("completion")
            completion = int(text) if text.isdigit() and text.isascii() \
                and len(text) <= SHORT_COUNT_DIGITS \
                else count(text, "completion_tokens", numbers)
            if cached + writes > prompt:
                prompt += cached + writes
            spend = money(cell("spend"), "spend", numbers)
            raw_tags = cell("tags")
            tags = tags_seen.get(raw_tags)
            if tags is None:
                tags = tags_seen[raw_tags] = tags_of(raw_tags)
            request = cell("id")
            yield UsageRecord(
                source=CSV, where=at, start=start, end=end,
                model=cell("model") or None, requests=1, input_tokens=prompt,
                cached_input_tokens=cached, cache_write_tokens=writes,
                output_tokens=completion, cost_usd=spend, currency="USD",
                api_key_id=cell("api_key") or None, key_alias=alias, project_id=project,
                workspace=team or cell("team") or None,
                user=cell("end_user") or cell("user") or None, tags=tags,
                identity=(REQUEST, FAMILY, request) if request else None)
        except RowError as error:
            yield Malformed(at, str(error) + row.hint)

