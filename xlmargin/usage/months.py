"""Calendar months (UTC) of an import: which months the covered period spans, how many days of
each, and how a record's numbers are shared among the months it spans.

Rule for a record that spans a month boundary (a weekly bucket, a plain CSV row for 15 August
to 15 September): its numbers are split in proportion to the seconds it covers in each month.
Counts stay whole: month i gets floor(n * s_1..i / S) - floor(n * s_1..i-1 / S), so the parts add
up to n exactly; an amount is split the same way in Decimal, the last month taking what is
left, so the parts add up to the amount within Decimal's 28 significant digits. Requests and
day buckets (aligned to UTC midnight) never span a boundary, so almost every record falls in one
month whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

Month = str
"""'YYYY-MM'; such strings sort in calendar order."""

_TICK = timedelta(microseconds=1)


def month_of(when: datetime) -> Month:
    return f"{when.year:04d}-{when.month:02d}"


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def add_months(month: Month, n: int) -> Month:
    """The month ``n`` months after ``month`` ('2026-11' + 2 = '2027-01')."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class CoveredMonth:
    """One calendar month of the period an import covers."""

    month: Month
    days: int
    """Days of the month the covered period touches (a day covered in part counts)."""
    partial: bool
    """The covered period does not span the whole month."""
    covered_seconds: int
    month_seconds: int


def covered_months(start: datetime, end: datetime) -> list[CoveredMonth]:
    """Every month [start, end) touches, in order."""
    found: list[CoveredMonth] = []
    year, month = start.year, start.month
    while True:
        first = month_start(year, month)
        if first >= end:
            return found
        after = month_start(*next_month(year, month))
        lo, hi = max(start, first), min(end, after)
        days = ((hi - _TICK).date() - lo.date()).days + 1
        found.append(CoveredMonth(month_of(first), days, lo > first or hi < after,
                                  int((hi - lo).total_seconds()),
                                  int((after - first).total_seconds())))
        year, month = next_month(year, month)


@lru_cache(maxsize=4096)
def shares(start: datetime, end: datetime) -> tuple[tuple[Month, int], ...]:
    """((month, seconds of [start, end) in it), ...): one entry for a record within a month."""
    last = end - _TICK if end > start else start
    if (start.year, start.month) == (last.year, last.month):
        return ((month_of(start), 1),)
    return tuple((m.month, m.covered_seconds) for m in covered_months(start, end))


def split_count(n: int, weights: tuple[int, ...]) -> list[int]:
    """``n`` shared in proportion to ``weights``, whole numbers that add up to ``n``."""
    total, done, before, parts = sum(weights), 0, 0, []
    for weight in weights:
        done += weight
        upto = n * done // total
        parts.append(upto - before)
        before = upto
    return parts


def split_amount(amount: Decimal, weights: tuple[int, ...]) -> list[Decimal]:
    """``amount`` shared in proportion to ``weights``; the parts add up to it (within Decimal's
    28 significant digits: a third of a cent does not end)."""
    total = sum(weights)
    parts = [amount * weight / total for weight in weights[:-1]]
    parts.append(amount - sum(parts, Decimal(0)))
    return parts
