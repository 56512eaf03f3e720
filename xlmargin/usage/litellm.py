"""LiteLLM proxy spend logs: the ``/spend/logs`` JSON (a list of rows, or the UI's paginated
``{"data": [...]}``) and a CSV dump of the ``LiteLLM_SpendLogs`` table. One row per request;
``spend`` is LiteLLM's own USD estimate, used as the row's cost. ``api_key`` is a hash; the
human alias is ``metadata.user_api_key_alias``. In a CSV dump ``metadata`` and
``request_tags`` are JSON text: the few keys needed are pulled out with patterns rather than a
full JSON parse per row (the import must keep pace with a million-row file)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from xlmargin.usage.csvfile import rows
from xlmargin.usage.record import (
    SHORT_COUNT_DIGITS,
    Malformed,
    RowError,
    UsageRecord,
    checked_amount,
    count,
    day,
    day_span,
    money,
    text_or_none,
)

JSON, CSV = "litellm", "litellm-csv"


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
        tags=tags)


def rows_of(data: Any) -> list[Any] | None:
    """The request rows of a /spend/logs answer, or None if it is not one."""
    found = data.get("data") if isinstance(data, dict) else data
    if isinstance(found, list) and found and isinstance(found[0], dict) \
            and "request_id" in found[0] and "spend" in found[0]:
        return found
    return None


def read_json(data: Any, where: str) -> Iterator[UsageRecord | Malformed]:
    found = rows_of(data) or []
    prefix = "$.data" if isinstance(data, dict) else "$"
    for i, row in enumerate(found):
        at = f"{where}:{prefix}[{i}]"
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


def _column(columns: dict[str, int], *names: str) -> int | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def read_csv(path: Path) -> Iterator[UsageRecord | Malformed]:
    """The CSV dump, in a loop specialised for speed: column indices resolved once, cheap
    checks before each pattern search, tags and days memoised (they repeat)."""
    tags_seen: dict[str, tuple[str, ...]] = {}
    index: dict[str, int | None] = {}
    source = CSV
    for columns, line, row in rows(path):
        if not index:
            index = {key: _column(columns, *names) for key, names in (
                ("start", ("starttime",)), ("model", ("model",)),
                ("prompt", ("prompt_tokens",)), ("completion", ("completion_tokens",)),
                ("spend", ("spend",)), ("api_key", ("api_key",)), ("meta", ("metadata",)),
                ("tags", ("request_tags",)), ("team", ("team_id",)),
                ("end_user", ("end_user",)), ("user", ("user",)))}
        width = len(row)

        def cell(key: str, row: list[str] = row, width: int = width,
                 index: dict[str, int | None] = index) -> str:
            i = index[key]
            return row[i].strip() if i is not None and i < width else ""

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
            prompt = int(text) if text.isdigit() and len(text) <= SHORT_COUNT_DIGITS \
                else count(text, "prompt_tokens")
            text = cell("completion")
            completion = int(text) if text.isdigit() and len(text) <= SHORT_COUNT_DIGITS \
                else count(text, "completion_tokens")
            if cached + writes > prompt:
                prompt += cached + writes
            text = cell("spend")
            try:
                spend: Decimal | None = \
                    checked_amount(Decimal(text), "spend", text) if text else None
            except InvalidOperation:
                spend = money(text, "spend")
            raw_tags = cell("tags")
            tags = tags_seen.get(raw_tags)
            if tags is None:
                tags = tags_seen[raw_tags] = tags_of(raw_tags)
            yield UsageRecord(
                source=source, where=f"{path.name}:{line}", start=start, end=end,
                model=cell("model") or None, requests=1, input_tokens=prompt,
                cached_input_tokens=cached, cache_write_tokens=writes,
                output_tokens=completion, cost_usd=spend, currency="USD",
                api_key_id=cell("api_key") or None, key_alias=alias, project_id=project,
                workspace=team or cell("team") or None,
                user=cell("end_user") or cell("user") or None, tags=tags)
        except RowError as error:
            yield Malformed(f"{path.name}:{line}", str(error))
