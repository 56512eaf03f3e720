"""``--clients map.csv``: identifier (project id, API key id or alias, workspace, user, tag)
-> client name, and the rule that attributes a record to a client."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from xlmargin.errors import InputError
from xlmargin.usage.record import UsageRecord

UNATTRIBUTED = "unattributed"
BY = ("project", "api_key", "workspace", "user", "tag")
CLIENT_TAG = "client:"


def load_map(path: str | Path) -> dict[str, str]:
    """{identifier (case-folded): client}. Two columns, identifier then client; a header row
    naming them is optional."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file not found")
    found: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = max(("\t", ",", ";"), key=first.count)
        handle.seek(0)
        if handle.read(1) != "\ufeff":
            handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if len(cells) < 2 or not cells[0] or not cells[1]:
                raise InputError(f"{path.name}:{reader.line_num}",
                                 "expected two columns: identifier, client")
            if reader.line_num == 1 and cells[1].lower() in {"client", "client_name", "name"}:
                continue
            key = cells[0].casefold()
            if key in found and found[key] != cells[1]:
                raise InputError(f"{path.name}:{reader.line_num}",
                                 f"{cells[0]!r} is mapped to both {found[key]!r} and "
                                 f"{cells[1]!r}")
            found[key] = cells[1]
    if not found:
        raise InputError(str(path), "no identifier -> client rows")
    return found


def _candidates(record: UsageRecord, by: str) -> tuple[str | None, ...]:
    if by == "api_key":
        return (record.key_alias, record.api_key_id)
    if by == "project":
        return (record.project_id,)
    if by == "workspace":
        return (record.workspace,)
    if by == "user":
        return (record.user,)
    return record.tags


def attributor(by: str, mapping: dict[str, str] | None) -> Callable[[UsageRecord], str]:
    """record -> client name (or UNATTRIBUTED). Without a map an identifier names its client
    itself (tags only in the 'client:NAME' form); with one, only mapped identifiers count."""
    if by not in BY:
        raise InputError("--by", f"expected one of {', '.join(BY)}, got {by!r}")
    memo: dict[tuple[str | None, ...], str] = {}

    def resolve(candidates: tuple[str | None, ...]) -> str:
        for value in candidates:
            if not value:
                continue
            if mapping is not None:
                client = mapping.get(value.casefold())
                if client is not None:
                    return client
            elif by != "tag":
                return value
            elif value.lower().startswith(CLIENT_TAG) and value[len(CLIENT_TAG):].strip():
                return value[len(CLIENT_TAG):].strip()
        return UNATTRIBUTED

    def attribute(record: UsageRecord) -> str:
        if record.client is not None:
            if mapping is None:
                return record.client
            return mapping.get(record.client.casefold(), record.client)
        candidates = _candidates(record, by)
        client = memo.get(candidates)
        if client is None:
            client = memo[candidates] = resolve(candidates)
        return client

    return attribute
