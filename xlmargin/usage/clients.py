"""``--clients map.csv``: identifier (project id, API key id or alias, workspace, user, tag)
-> client name, and the rule that attributes a record to a client."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from xlmargin.errors import InputError
from xlmargin.textfile import Notify, read_text, split_lines
from xlmargin.usage.csvfile import delimiter_of
from xlmargin.usage.record import UsageRecord

UNATTRIBUTED = "unattributed"
BY = ("project", "api_key", "workspace", "user", "tag")
CLIENT_TAG = "client:"


def load_map(path: str | Path, notify: Notify | None = None) -> dict[str, str]:
    """{identifier (case-folded): client}. Two columns, identifier then client; a header row
    naming them is optional. Read in any encoding ``textfile`` reads (said to ``notify``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "file not found")
    lines = list(split_lines(read_text(path, notify)))
    first = next((line for line in lines if line.strip()), "")
    found: dict[str, str] = {}
    reader = csv.reader(lines, delimiter=delimiter_of(first))
    ended = 0
    for row in reader:
        line, ended = ended + 1, reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if any("\n" in c or "\r" in c for c in cells):
            raise InputError(f"{path.name}:{line}", "a quote opened on this line runs over "
                             "several lines: an unbalanced quote?")
        if len(cells) < 2 or not cells[0] or not cells[1] or any(cells[2:]):
            raise InputError(f"{path.name}:{line}", "expected two columns: identifier, "
                             "client (quote a name that holds the delimiter)")
        if not found and cells[1].lower() in {"client", "client_name", "name"}:
            continue  # the header
        key = cells[0].casefold()
        if key in found and found[key] != cells[1]:
            raise InputError(f"{path.name}:{line}",
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
