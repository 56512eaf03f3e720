"""The estimate against the invoice: token usage priced from the catalog beside what the same
provider billed, per calendar month and project (OpenAI) or workspace (Anthropic).

A month is compared only when both the usage and the cost exports cover the same period of it
(the same first and last instant) and, per group, when both name the same groups; when they
group differently (usage by project, costs not), the month's totals are compared as one group,
"(all)". Drift is (computed - billed) / billed, flagged over 2% either way: a price the catalog
has wrong, a batch or cache discount not applied, a model renamed, usage left unpriced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from xlmargin.usage.months import Month, month_start, next_month, shares, split_amount
from xlmargin.usage.record import UsageRecord

THRESHOLD = 0.02
ALL = "(all)"
NO_GROUP = "(none)"
COMPUTED, BILLED = "computed", "billed"
# source: (provider, side, what groups it)
SOURCES = {
    "openai-usage": ("openai", COMPUTED, "project"),
    "openai-usage-csv": ("openai", COMPUTED, "project"),
    "openai-costs": ("openai", BILLED, "project"),
    "openai-costs-csv": ("openai", BILLED, "project"),
    "anthropic-usage": ("anthropic", COMPUTED, "workspace"),
    "anthropic-usage-csv": ("anthropic", COMPUTED, "workspace"),
    "anthropic-cost": ("anthropic", BILLED, "workspace"),
    "anthropic-cost-csv": ("anthropic", BILLED, "workspace"),
}


@dataclass
class DriftSums:
    """{(provider, month, side): {group: amount}} and {(provider, month, side): covered span}."""

    amounts: dict[tuple[str, Month, str], dict[str, Decimal]] = field(default_factory=dict)
    spans: dict[tuple[str, Month, str], tuple[datetime, datetime]] = field(default_factory=dict)

    def add(self, record: UsageRecord, cost: Decimal | None) -> None:
        """A record of a compared source (any other is ignored); ``cost``: its billed or
        priced amount, None for none (an empty bucket still says its period is covered)."""
        found = SOURCES.get(record.source)
        if found is None:
            return
        provider, side, group_by = found
        group = (record.project_id if group_by == "project" else record.workspace) or NO_GROUP
        spans = shares(record.start, record.end)
        amounts = [None] * len(spans) if cost is None else \
            split_amount(cost, tuple(s for _m, s in spans)) if len(spans) > 1 else [cost]
        for (month, _seconds), amount in zip(spans, amounts, strict=True):
            key = (provider, month, side)
            first = month_start(int(month[:4]), int(month[5:]))
            lo = max(record.start, first)
            hi = min(record.end, month_start(*next_month(first.year, first.month)))
            span = self.spans.get(key)
            self.spans[key] = (lo, hi) if span is None else (min(span[0], lo), max(span[1], hi))
            if amount is not None or not record.empty:
                groups = self.amounts.setdefault(key, {})
                groups[group] = groups.get(group, Decimal(0)) + (amount or Decimal(0))

    def rows(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = []
        for (provider, month, side), computed in sorted(self.amounts.items()):
            if side != COMPUTED:
                continue
            billed = self.amounts.get((provider, month, BILLED))
            if billed is None or self.spans[(provider, month, COMPUTED)] \
                    != self.spans[(provider, month, BILLED)]:
                continue
            group_by = next(g for p, _s, g in SOURCES.values() if p == provider)
            if set(computed) != set(billed):
                computed = {ALL: sum(computed.values(), Decimal(0))}
                billed = {ALL: sum(billed.values(), Decimal(0))}
            for group in sorted(computed):
                found.append(_row(month, group_by, group, computed[group], billed[group]))
        return found


def _row(month: Month, group_by: str, group: str, computed: Decimal, billed: Decimal
         ) -> dict[str, object]:
    if billed:
        drift: float | None = float((computed - billed) / billed)
        flagged = abs(drift) > THRESHOLD
    else:  # nothing billed: no share to take; flagged unless nothing was computed either
        drift, flagged = (0.0 if not computed else None), bool(computed)
    return {"month": month, "group_by": group_by, "group": group,
            "computed_usd": float(round(computed, 10)), "billed_usd": float(round(billed, 10)),
            "drift": None if drift is None else round(drift, 6), "flagged": flagged}

