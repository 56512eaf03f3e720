"""Where each client's monthly AI cost is heading: a growth rate fitted over its full months,
the month that growth takes its margin below the target and below zero, the month's budget,
and the month self-hosting becomes cheaper for the whole portfolio. Pure arithmetic on the
months an import found (``actuals``); no I/O.

Growth: least squares of ln(cost) on the month's index over the client's full calendar months
(partial first and last months left out: their cost is for part of a month), from its first
full month with any cost (a client that started later is not shrinking from zero); the rate is
e^slope - 1 a month. Fewer than 3 such months give no rate; so does a full month with no cost
after the first one with cost (no logarithm of 0).

Projection: the last full month's actual cost, grown at that rate, month by month, for 24
months; the margin is the API margin of ``xlmargin report``, (revenue - AI cost) / revenue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from xlmargin import calc
from xlmargin.usage.months import Month, add_months

HORIZON = 24
"""Months ahead that projections look."""
METHOD = "log-linear least squares over full months"
MIN_FULL_MONTHS = 3


@dataclass(frozen=True, slots=True)
class Plan:
    """What a roster or a workbook says of one client."""

    revenue_usd: float | None = None
    """The monthly retainer."""
    monthly_ai_budget_usd: float | None = None


@dataclass
class Context:
    """What the projections need beyond the usage: each client's plan, the margin target and
    the self-hosted cost (``calc.ft_cost``'s settings, the article's by default)."""

    plans: dict[str, Plan] = field(default_factory=dict)
    """By client name, stripped and casefolded."""
    target_margin: float = 0.6
    base_monthly_usd: float = calc.BASE_MONTHLY_USD
    per_client_usd: float = calc.PER_CLIENT_USD
    buffer: float = calc.BUFFER
    retraining_usd: float = 0.0
    problems: list[str] = field(default_factory=list)
    """Why a source of revenue given could not be read (the import still runs)."""

    def plan(self, client: str) -> Plan | None:
        return self.plans.get(client.strip().casefold())


@dataclass(frozen=True, slots=True)
class MonthCost:
    month: Month
    cost_usd: float
    partial: bool
    covered_seconds: int
    month_seconds: int


@dataclass(frozen=True, slots=True)
class Trend:
    full_months: int
    monthly_growth: float | None
    note: str | None
    base: MonthCost | None
    """The last full month, which projections start from."""

    def as_json(self) -> dict[str, object]:
        return {"method": METHOD, "full_months": self.full_months,
                "monthly_growth": None if self.monthly_growth is None
                else round(self.monthly_growth, 6), "note": self.note}


def trend(months: Sequence[MonthCost]) -> Trend:
    full = [m for m in months if not m.partial]
    base = full[-1] if full else None
    first = next((i for i, m in enumerate(full) if m.cost_usd > 0), len(full))
    used = full[first:]
    started = f" from its first with cost, {used[0].month}" if used and first else ""
    if len(used) < MIN_FULL_MONTHS:
        return Trend(len(used), None, f"{_months(len(used), 'full month')}{started}: a growth "
                                      f"rate needs at least {MIN_FULL_MONTHS}", base)
    empty = next((m.month for m in used if m.cost_usd <= 0), None)
    if empty is not None:
        return Trend(len(used), None, f"no cost in {empty}, a full month: no log-linear fit",
                     base)
    # months by calendar index: full months are consecutive but for the partial ends
    xs = [float(i) for i in range(len(used))]
    ys = [math.log(m.cost_usd) for m in used]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) \
        / sum((x - mean_x) ** 2 for x in xs)
    return Trend(len(used), math.expm1(slope),
                 f"fitted over {used[0].month} to {used[-1].month}{started}", base)


def _months(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def first_month_over(base: MonthCost, growth: float | None, limit: float) -> Month | None:
    """The first month from ``base`` (itself included) whose cost, grown at ``growth`` a month,
    exceeds ``limit``; None within HORIZON months (or with no growth rate and base under it)."""
    if base.cost_usd > limit:
        return base.month
    if growth is None or growth <= 0 or base.cost_usd <= 0:
        return None
    # cost * (1 + g)^k > limit, the first whole k >= 1; checked by multiplying, month by month,
    # so the month found is the one the printed costs show
    cost = base.cost_usd
    for k in range(1, HORIZON + 1):
        cost *= 1 + growth
        if cost > limit:
            return add_months(base.month, k)
    return None


def projection(found: Trend, plan: Plan | None, target_margin: float
               ) -> dict[str, object] | None:
    if plan is None or plan.revenue_usd is None:
        return None
    revenue = plan.revenue_usd
    result: dict[str, object] = {"revenue_usd": revenue, "target_margin": target_margin,
                                 "below_target": None, "below_zero": None}
    base = found.base
    if base is None:
        result["note"] = "no full month to project from"
        return result
    # margin < target  <=>  cost > revenue * (1 - target)
    below_target = first_month_over(base, found.monthly_growth, revenue * (1 - target_margin))
    below_zero = first_month_over(base, found.monthly_growth, revenue)
    result["below_target"], result["below_zero"] = below_target, below_zero
    grown = ("flat (no growth rate)" if found.monthly_growth is None
             else f"{found.monthly_growth:+.1%} a month")
    start = f"from {base.month}'s ${base.cost_usd:,.2f}, {grown}"
    if below_zero == base.month:
        result["note"] = f"already underwater in {base.month}"
    elif below_target == base.month:
        result["note"] = f"already below target in {base.month}; " + (
            f"underwater in {below_zero} " if below_zero else
            f"not underwater within {HORIZON} months ") + start
    elif below_target is None:
        result["note"] = (f"not below target at a flat cost, {start}"
                          if found.monthly_growth is None
                          else f"not below target within {HORIZON} months, {start}")
    else:
        result["note"] = (f"below target in {below_target}, " + (
            f"underwater in {below_zero}" if below_zero else
            f"not underwater within {HORIZON} months") + f", {start}")
    return result


def budget(months: Sequence[MonthCost], plan: Plan | None) -> dict[str, object] | None:
    """The latest month against the client's budget: a partial month projected straight-line
    to the month's end (its cost so far over the share of the month covered)."""
    if plan is None or plan.monthly_ai_budget_usd is None or not months:
        return None
    latest = months[-1]
    to_date = latest.cost_usd
    projected = to_date * latest.month_seconds / latest.covered_seconds if latest.partial \
        else to_date
    return {"monthly_ai_budget_usd": plan.monthly_ai_budget_usd, "month": latest.month,
            "to_date_usd": round(to_date, 10), "projected_usd": round(projected, 10),
            "over": projected > plan.monthly_ai_budget_usd}


def self_hosting(clients: int, months: Sequence[MonthCost], context: Context
                 ) -> dict[str, object] | None:
    """When the named clients' API cost, summed month by month and grown at its own fitted
    rate, passes ``calc.ft_cost`` for that many clients (one GPU server)."""
    if not clients:
        return None
    found = trend(months)
    base = found.base
    if base is None:
        return None
    ft = calc.ft_cost(clients, context.base_monthly_usd, context.per_client_usd,
                      context.buffer, retraining_usd=context.retraining_usd)
    month = first_month_over(base, found.monthly_growth, ft)
    shown = (f"self-hosting {_months(clients, 'client')} costs ${ft:,.2f} a month (one GPU "
             f"server); their API cost was ${base.cost_usd:,.2f} in {base.month}")
    if month == base.month:
        return {"month": month, "already_cheaper": True, "note": shown + ": self-hosting is "
                                                                  "already cheaper"}
    if found.monthly_growth is None:
        why = found.note or "no growth rate"
        return {"month": None, "already_cheaper": False,
                "note": f"{shown}; no growth rate ({why}): not projected"}
    growth = f"{found.monthly_growth:+.1%} a month"
    if month is None:
        return {"month": None, "already_cheaper": False,
                "note": f"{shown}, {growth}: not cheaper within {HORIZON} months"}
    return {"month": month, "already_cheaper": False,
            "note": f"{shown}, {growth}: self-hosting is cheaper from {month}"}
