"""What an import found: each client's sums, whole and by calendar month (with the trend,
projection and budget ``outlook`` derives from them), the period covered, and how every file's
records were accounted for (``Actuals``, what ``import-usage`` prints and ``--json`` gives)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

from xlmargin.usage.clients import UNATTRIBUTED
from xlmargin.usage.dedup import Conflict
from xlmargin.usage.months import (
    CoveredMonth,
    Month,
    covered_months,
    shares,
    split_amount,
    split_count,
)
from xlmargin.usage.outlook import Context, MonthCost, budget, projection, self_hosting, trend
from xlmargin.usage.record import UsageRecord

DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86400


@dataclass(slots=True)
class Sums:
    """Requests, tokens and cost. ``cost_usd`` holds billed amounts plus priced token usage."""

    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)

    def add(self, requests: int, input_tokens: int, cached: int, output_tokens: int,
            cost: Decimal | None) -> None:
        self.requests += requests
        self.input_tokens += input_tokens
        self.cached_input_tokens += cached
        self.output_tokens += output_tokens
        if cost is not None:
            self.cost_usd += cost


@dataclass(slots=True)
class Totals(Sums):
    """One client's sums, and the same by calendar month (UTC)."""

    by_month: dict[Month, Sums] = field(default_factory=dict)

    def add_record(self, record: UsageRecord, cost: Decimal | None) -> None:
        """The record's requests, tokens and ``cost`` (its billed or priced amount, None for
        none), to the whole and to its month, or shared among its months (``months``)."""
        counts = (record.requests, record.input_tokens, record.cached_input_tokens,
                  record.output_tokens)
        self.add(*counts, cost)
        spans = shares(record.start, record.end)
        if len(spans) == 1:
            self._month(spans[0][0]).add(*counts, cost)
            return
        weights = tuple(seconds for _month, seconds in spans)
        parts = [split_count(n, weights) for n in counts]
        costs = split_amount(cost, weights) if cost is not None else [None] * len(spans)
        for i, (month, _seconds) in enumerate(spans):
            self._month(month).add(*(part[i] for part in parts), costs[i])

    def _month(self, month: Month) -> Sums:
        sums = self.by_month.get(month)
        if sums is None:
            sums = self.by_month[month] = Sums()
        return sums

    def as_json(self, client: str, months: Decimal | None,
                covered: Sequence[CoveredMonth] = ()) -> dict[str, object]:
        monthly = self.cost_usd / months if months else None
        empty = Sums()
        return {"client": client, "requests": self.requests, "input_tokens": self.input_tokens,
                "cached_input_tokens": self.cached_input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": _usd(self.cost_usd),
                "monthly_cost_usd": None if monthly is None else _usd(monthly),
                "months": [_month_json(m, self.by_month.get(m.month, empty)) for m in covered]}


def _month_json(month: CoveredMonth, sums: Sums) -> dict[str, object]:
    return {"month": month.month, "cost_usd": _usd(sums.cost_usd),
            "input_tokens": sums.input_tokens, "cached_input_tokens": sums.cached_input_tokens,
            "output_tokens": sums.output_tokens, "requests": sums.requests,
            "partial": month.partial, "days": month.days}


@dataclass(slots=True)
class Unpriced:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(slots=True)
class FileCounts:
    """How one file's records were accounted for: each is counted, or malformed, or a
    duplicate of one counted, or skipped (not per-token usage)."""

    format: str
    records: int = 0
    """Rows (requests, buckets) counted, empty buckets included."""
    malformed: int = 0
    duplicates: int = 0
    replaced: int = 0
    """Partial or shorter buckets that a longer bucket of the same usage replaced."""
    skipped: int = 0
    same_as: str | None = None
    """The file given earlier that this one repeats byte for byte (it was not read again)."""

    def as_json(self, file: str) -> dict[str, object]:
        return {"file": file, "format": self.format, "records": self.records,
                "malformed": self.malformed, "duplicates": self.duplicates,
                "replaced": self.replaced, "skipped": self.skipped, "same_as": self.same_as}


@dataclass
class Actuals:
    """What the exports say each client cost."""

    start: datetime | None
    end: datetime | None
    clients: dict[str, Totals]
    unpriced: dict[str, Unpriced]
    warnings: list[str]
    formats: dict[str, str]
    """{file: format name}."""
    malformed: int = 0
    files: dict[str, FileCounts] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    """Records found twice with different numbers (one was counted)."""
    drift: list[dict[str, object]] = field(default_factory=list)
    """Usage priced from the catalog against the same provider's bill (``drift``)."""
    context: Context = field(default_factory=Context)
    """Revenue, budgets and settings for the projections (none by default)."""

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files.values())

    @property
    def months(self) -> Decimal | None:
        """Covered time in months of 30.4375 days, partial first and last buckets counted by
        the seconds they cover."""
        if self.start is None or self.end is None:
            return None
        return Decimal(int((self.end - self.start).total_seconds())) / SECONDS_PER_MONTH

    @property
    def period(self) -> tuple[date, date] | None:
        if self.start is None or self.end is None:
            return None
        return self.start.date(), (self.end - timedelta(microseconds=1)).date()

    @property
    def covered_months(self) -> list[CoveredMonth]:
        """The calendar months (UTC) the covered period spans, partial ones marked."""
        if self.start is None or self.end is None:
            return []
        return covered_months(self.start, self.end)

    def monthly_cost(self, client: str) -> Decimal | None:
        totals, months = self.clients.get(client), self.months
        if totals is None or not months:
            return None
        return totals.cost_usd / months

    def as_json(self) -> dict[str, object]:
        months = self.months
        period = self.period
        covered = self.covered_months
        named = [self._client_json(c, t, months, covered) for c, t in sorted(self.clients.items())
                 if c != UNATTRIBUTED]
        rest = self.clients.get(UNATTRIBUTED)
        return {
            "period": {"start": period[0].isoformat() if period else None,
                       "end": period[1].isoformat() if period else None},
            "months": None if months is None else round(float(months), 4),
            "clients": named,
            "unattributed": None if rest is None else self._client_json(UNATTRIBUTED, rest,
                                                                        months, covered),
            "month_list": [m.month for m in covered],
            "self_hosting": self._self_hosting(covered),
            "drift": self.drift,
            "unpriced": [{"model": m, "input_tokens": u.input_tokens,
                          "output_tokens": u.output_tokens}
                         for m, u in sorted(self.unpriced.items())],
            "files": [counts.as_json(file) for file, counts in self.files.items()],
            "duplicates": {"dropped": self.duplicates,
                           "conflicts": [c.as_json() for c in self.conflicts]},
            "warnings": self.warnings,
        }

    def _client_json(self, client: str, totals: Totals, months: Decimal | None,
                     covered: Sequence[CoveredMonth]) -> dict[str, object]:
        entry = totals.as_json(client, months, covered)
        costs = _costs(covered, [totals])
        found = trend(costs)
        plan = None if client == UNATTRIBUTED else self.context.plan(client)
        entry["trend"] = found.as_json()
        entry["projection"] = projection(found, plan, self.context.target_margin)
        entry["budget"] = budget(costs, plan)
        return entry

    def _self_hosting(self, covered: Sequence[CoveredMonth]) -> dict[str, object] | None:
        named = [t for c, t in self.clients.items() if c != UNATTRIBUTED]
        return self_hosting(len(named), _costs(covered, named), self.context)


def _costs(covered: Sequence[CoveredMonth], clients: Sequence[Totals]) -> list[MonthCost]:
    """The clients' summed cost in each covered month."""
    found = []
    for m in covered:
        total = sum((c.by_month[m.month].cost_usd for c in clients if m.month in c.by_month),
                    Decimal(0))
        found.append(MonthCost(m.month, float(total), m.partial, m.covered_seconds,
                               m.month_seconds))
    return found


def _usd(value: Decimal) -> float:
    # Rounded to 10 places with as many digits as that takes: a sum past 10**18 needs more than
    # the default context's 28 (round() would raise InvalidOperation).
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + 12)
        return float(round(value, 10))
