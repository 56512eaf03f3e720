"""The same usage counted once, however many exports hold it.

Every reader gives a record its natural identity (``UsageRecord.identity``), one of three kinds:

- ``request``: one request of a gateway log (LiteLLM's ``request_id``). The first copy read is
  counted; a later one with the same numbers is a duplicate, one with other numbers a
  conflict, reported, the first kept: a request does not change once logged, so one copy is
  damaged and nothing says which.
- ``row``: a plain CSV row, by its whole content. Identical rows are counted once.
- ``bucket``: an admin API's or a dashboard's time bucket, by source, grouping keys, model and
  line item, over its period. Buckets of one identity are merged at the end, when all are
  known: identical ones count once; a bucket inside a longer one of the same identity (the
  partial last day of one export, the full day of the next; hours against days) gives way to
  it; two with the same period and different numbers are a conflict, reported, and the larger
  kept, since usage reaches the provider's reports late and a later pull only adds to a bucket.

Duplicates are counted by the file they were dropped from; conflicts name both places.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from xlmargin.usage.merge import Held, merge
from xlmargin.usage.record import UsageRecord
from xlmargin.usage.request_ids import RequestIndex, fingerprint

REQUEST, ROW, BUCKET = "request", "row", "bucket"
LISTED = 20

_NUMBERS = ("requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
            "cache_write_1h_tokens", "output_tokens", "cost_usd")


def numbers(record: UsageRecord) -> tuple[Any, ...]:
    """What two copies of one record must agree on."""
    return (record.model, record.batch, record.currency, record.requests, record.input_tokens,
            record.cached_input_tokens, record.cache_write_tokens, record.cache_write_1h_tokens,
            record.output_tokens, record.cost_usd)


def content_of(record: UsageRecord) -> tuple[Any, ...]:
    """A request record's day and ``numbers``: what a copy of it must agree on."""
    return (record.start, *numbers(record))


def request_content(start: datetime, model: str | None, input_tokens: int, cached: int,
                    writes: int, output_tokens: int, cost: Decimal | None) -> tuple[Any, ...]:
    """What two copies of one logged request must agree on: its day and ``numbers`` (one
    request, no batch, 1-hour cache writes or other currency in a gateway log), built without
    a record for the rows the fast path reads again."""
    return (start, model, False, "USD", 1, input_tokens, cached, writes, 0, output_tokens, cost)


def differences(first: tuple[Any, ...], other: tuple[Any, ...]) -> str:
    names = ("model", "batch", "currency", *_NUMBERS)
    return ", ".join(f"{name} {show(a)} vs {show(b)}"
                     for name, a, b in zip(names, first, other, strict=True) if a != b)


def show(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "none" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Conflict:
    identity: str
    kept: str
    dropped: str
    differences: str

    def as_json(self) -> dict[str, str]:
        return {"record": self.identity, "kept": self.kept, "dropped": self.dropped,
                "differences": self.differences}

    def text(self) -> str:
        return (f"{self.identity}: {self.kept} and {self.dropped} disagree ({self.differences});"
                f" {self.kept} is counted")


def describe(identity: tuple[Any, ...], start: datetime | None = None) -> str:
    """An identity as a reader can recognise it in the files."""
    kind, family, *keys = identity
    if kind == REQUEST:
        return f"request_id {keys[0]!r}"
    shown = ", ".join(str(k) for k in keys if k not in (None, ""))
    when = f" {start:%Y-%m-%d %H:%M}" if start is not None else ""
    return f"{family} bucket{when} ({shown or 'ungrouped'})"


class Ledger:
    """The identities seen so far in one import, and what was dropped."""

    def __init__(self) -> None:
        self.requests: dict[str, tuple[tuple[Any, ...], str]] = {}
        """request id -> (numbers with the day, the file it was first read from)."""
        self.index = RequestIndex(self.requests, register=self.register, drop=self.drop)
        """The request ids of files the fast path summed (see ``request_ids``)."""
        self.pending: list[tuple[UsageRecord, str]] = []
        """Requests that a summed file may also hold: settled once every file is read."""
        self.rows: set[bytes] = set()
        self.buckets: dict[tuple[Any, ...], list[Held]] = {}
        self.dropped: dict[str, int] = {}
        self.superseded: dict[str, int] = {}
        self.conflicts: list[Conflict] = []
        self.overlaps: list[str] = []
        self._order = 0

    def drop(self, file: str) -> None:
        self.dropped[file] = self.dropped.get(file, 0) + 1

    def admit(self, record: UsageRecord, file: str) -> bool:
        """Whether to count ``record`` now. A bucket is held (False) until ``held()``."""
        identity = record.identity
        assert identity is not None
        kind = identity[0]
        if kind == REQUEST:
            return self._request(record, file, check_summed=True)
        if kind == ROW:
            digest = hashlib.blake2b(repr(identity).encode(), digest_size=16).digest()
            if digest in self.rows:
                self.drop(file)
                return False
            self.rows.add(digest)
            return True
        self._order += 1
        self.buckets.setdefault(identity, []).append(Held(record, file, self._order))
        return False

    def register(self, key: str, content: tuple[Any, ...], file: str) -> None:
        """A request counted elsewhere (summed by the fast path), now known by its id."""
        self.requests.setdefault(key, (content, file))

    def _request(self, record: UsageRecord, file: str, check_summed: bool) -> bool:
        identity = record.identity
        assert identity is not None
        key, content = identity[2], content_of(record)
        seen = self.requests.get(key)
        if seen is None:
            if check_summed and self.index.may_be_summed(key):
                self.pending.append((record, file))
                return False
            self.requests[key] = (content, file)
            return True
        self.drop(file)
        if seen[0] != content:
            self.conflicts.append(Conflict(describe(identity), seen[1], file,
                                           differences(seen[0][1:], content[1:])
                                           or f"day {seen[0][0]:%Y-%m-%d} vs "
                                              f"{content[0]:%Y-%m-%d}"))
        return False

    def settled(self) -> Iterator[tuple[UsageRecord, str]]:
        """(record, file) of what was held back, to count now that every file is read:
        requests a summed file might have held (read again from it to be sure), then the
        merged buckets."""
        if self.pending:
            import numpy as np

            wanted = np.unique(np.array([fingerprint(r.identity[2])  # type: ignore[index]
                                         for r, _ in self.pending], dtype=np.uint64))
            for key, content, path in self.index.summed_rows(wanted):
                self.register(key, content, str(path))
            pending, self.pending = self.pending, []
            for record, file in pending:
                if self._request(record, file, check_summed=False):
                    yield record, file
        yield from self.held()

    def held(self) -> Iterator[tuple[UsageRecord, str]]:
        """The buckets to count, merged (see ``merge``)."""
        for identity, held in self.buckets.items():
            if len(held) == 1:
                yield held[0].record, held[0].file
                continue
            for entry in merge(identity, held, self):
                yield entry.record, entry.file

    def warnings(self, files: list[str]) -> list[str]:
        """What was dropped, by file in ``files``' order, and the conflicts."""
        found = []
        total = sum(self.dropped.values())
        if total:
            found.append(f"{total} duplicate record(s) dropped, counted once: "
                         + ", ".join(f"{file}: {self.dropped[file]}" for file in files
                                     if self.dropped.get(file)))
        replaced = sum(self.superseded.values())
        if replaced:
            found.append(f"{replaced} partial or shorter bucket(s) replaced by the longer "
                         "bucket of the same usage: "
                         + ", ".join(f"{file}: {self.superseded[file]}" for file in files
                                     if self.superseded.get(file)))
        if self.conflicts:
            found.append(f"{len(self.conflicts)} record(s) found twice with different numbers"
                         + (f" (first {LISTED} listed)" if len(self.conflicts) > LISTED else ""))
            found.extend(c.text() for c in self.conflicts[:LISTED])
        found.extend(self.overlaps[:LISTED])
        return found

