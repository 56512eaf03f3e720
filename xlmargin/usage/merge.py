"""Time buckets of one identity merged once every file is read (the ``bucket`` rule of
``dedup``).

Per period, each file's rows: a row repeated within a file counts once; rows that differ are
all counted, since a dashboard export can hold two rows of one bucket that differ only by a
grouping it does not show (a real OpenAI export has two gpt-5 rows for one key and day). Two
files with the same period hold the same usage: one file's rows are kept, the largest (usage
reaches the provider's reports late, and a later pull only adds to a bucket), and when the files
disagree that is a conflict, said. Then a period inside a longer one of the same identity (the
partial last day of one export, the full day of the next; hours against days) gives way to it;
its rows should not add up to more than the longer one's, and a conflict is said if they do.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xlmargin.usage.record import UsageRecord

if TYPE_CHECKING:
    from xlmargin.usage.dedup import Ledger

COUNTED = ("requests", "input_tokens", "cached_input_tokens", "cache_write_tokens",
           "cache_write_1h_tokens", "output_tokens", "cost_usd")


@dataclass(slots=True)
class Held:
    record: UsageRecord
    file: str
    order: int


def sums(records: list[UsageRecord]) -> tuple[Any, ...]:
    """The counted numbers of several records, added up (cost None when none has one)."""
    found: list[Any] = []
    for name in COUNTED:
        values = [getattr(r, name) for r in records]
        if name == "cost_usd":
            present = [v for v in values if v is not None]
            found.append(sum(present, Decimal(0)) if present else None)
        else:
            found.append(sum(values))
    return tuple(found)


def _size(total: tuple[Any, ...]) -> tuple[Decimal, int, int]:
    return (total[6] or Decimal(0), total[1] + total[5], total[0])


def totals_differ(first: tuple[Any, ...], other: tuple[Any, ...]) -> str:
    from xlmargin.usage.dedup import show

    return ", ".join(f"{name} {show(a)} vs {show(b)}"
                     for name, a, b in zip(COUNTED, first, other, strict=True) if a != b)


@dataclass(slots=True)
class _Period:
    start: datetime
    end: datetime
    kept: list[Held]
    total: tuple[Any, ...]
    parts: list[tuple[Any, ...]] = field(default_factory=list)


def merge(identity: tuple[Any, ...], held: list[Held], ledger: Ledger) -> Iterator[Held]:
    """The rows of one identity to count; what is dropped is told to ``ledger``."""
    from xlmargin.usage.dedup import Conflict, describe, numbers

    by_period: dict[tuple[datetime, datetime], dict[str, list[Held]]] = {}
    for entry in sorted(held, key=lambda h: h.order):
        files = by_period.setdefault((entry.record.start, entry.record.end), {})
        rows = files.setdefault(entry.file, [])
        if any(numbers(r.record) == numbers(entry.record) for r in rows):
            ledger.drop(entry.file)  # the same row twice in one file
        else:
            rows.append(entry)
    periods: list[_Period] = []
    for (start, end), files in by_period.items():
        choices = [(file, rows, sums([r.record for r in rows])) for file, rows in files.items()]
        _file, rows, total = max(choices, key=lambda c: _size(c[2]))  # the first of the largest
        kept = Counter(numbers(r.record) for r in rows)
        for other, other_rows, other_total in choices:
            if other_rows is rows:
                continue
            for _entry in other_rows:
                ledger.drop(other)
            if Counter(numbers(r.record) for r in other_rows) != kept:
                ledger.conflicts.append(Conflict(
                    describe(identity, start), rows[0].record.where,
                    other_rows[0].record.where,
                    totals_differ(total, other_total) or "the same totals in other rows"))
        periods.append(_Period(start, end, rows, total))
    # longest first: a period inside one already kept gives way to it
    periods.sort(key=lambda p: p.start - p.end)
    starts: list[datetime] = []
    kept_periods: list[_Period] = []
    for period in periods:
        at = bisect_right(starts, period.start) - 1
        container = kept_periods[at] if at >= 0 and kept_periods[at].end >= period.end else None
        if container is not None:
            for entry in period.kept:
                ledger.superseded[entry.file] = ledger.superseded.get(entry.file, 0) + 1
            container.parts.append(period.total)
            continue
        before = kept_periods[at] if at >= 0 else None
        after = kept_periods[at + 1] if at + 1 < len(kept_periods) else None
        if (before is not None and before.end > period.start) or \
                (after is not None and after.start < period.end):
            ledger.overlaps.append(f"{describe(identity, period.start)}: "
                                   f"{period.kept[0].record.where} overlaps a bucket of "
                                   "another period; both are counted")
        position = bisect_right(starts, period.start)
        starts.insert(position, period.start)
        kept_periods.insert(position, period)
    for period in sorted(kept_periods, key=lambda p: min(h.order for h in p.kept)):
        _check_parts(identity, period, ledger)
        yield from period.kept


def _check_parts(identity: tuple[Any, ...], period: _Period, ledger: Ledger) -> None:
    """Shorter buckets inside a longer one should not add up to more than it."""
    from xlmargin.usage.dedup import Conflict, describe, show

    if not period.parts:
        return
    for i, name in enumerate(COUNTED):
        inside = [p[i] for p in period.parts if p[i] is not None]
        total = sum(inside, Decimal(0) if name == "cost_usd" else 0)
        if (period.total[i] or 0) < total:
            ledger.conflicts.append(Conflict(
                describe(identity, period.start), period.kept[0].record.where,
                "the shorter buckets inside it",
                f"{name} {show(period.total[i])} vs {show(total)} in all"))
            return
