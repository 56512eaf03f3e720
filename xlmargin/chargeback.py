"""What to bill each client for AI in one month: the month's cost from an import, plus the
client's markup, or its fixed AI fee (``xlmargin chargeback``).

Amounts are in cents, rounded half up, line by line: a line's billable amount is its rounded
cost plus its rounded markup, and the total is the sum of the lines as written, so the
invoice adds up to the cent. Usage no client map names (unattributed) is listed beside the
lines, never billed to anyone. Pure: the import's JSON in (``import-usage --json``'s shape,
with ``months`` per client), lines out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xlmargin.errors import InputError

CURRENCY = "USD"
CENT = Decimal("0.01")
COUNTS = ("requests", "input_tokens", "cached_input_tokens", "output_tokens")
MARKUP, FIXED, AT_COST, NOT_BILLED = "markup", "fixed fee", "at cost", "not billed"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class Terms:
    """How one client is billed for AI: a markup (a share over cost) or a fixed monthly fee;
    neither bills the cost as it is."""

    markup: float | None = None
    fixed_ai_fee: float | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One client's invoice line for the month."""

    client: str
    basis: str
    """MARKUP, FIXED, AT_COST, or NOT_BILLED (unattributed usage)."""
    cost_usd: Decimal
    markup: float | None
    """The share over cost, for a MARKUP line."""
    markup_usd: Decimal | None
    """Billable less cost (negative where a fixed fee is below the cost); None when not billed."""
    billable_usd: Decimal | None
    counts: dict[str, int]
    on_roster: bool = True
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {"client": self.client, "basis": self.basis, "cost_usd": _money(self.cost_usd),
                "markup": self.markup, "markup_usd": _money(self.markup_usd),
                "billable_usd": _money(self.billable_usd), **self.counts,
                "on_roster": self.on_roster, "note": self.note}


@dataclass
class Chargeback:
    """The month's lines: roster clients in roster order, then usage clients not on it."""

    month: str
    partial: bool
    days: int
    lines: list[Line]
    unattributed: Line | None
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> dict[str, Any]:
        """The lines' sums (unattributed usage is not in them)."""
        sums: dict[str, Any] = {
            "cost_usd": sum((line.cost_usd for line in self.lines), Decimal(0)),
            "markup_usd": sum((line.markup_usd or Decimal(0) for line in self.lines),
                              Decimal(0)),
            "billable_usd": sum((line.billable_usd or Decimal(0) for line in self.lines),
                                Decimal(0))}
        for key in COUNTS:
            sums[key] = sum(line.counts[key] for line in self.lines)
        return sums

    @property
    def all_usage_usd(self) -> Decimal:
        """Every dollar the import found this month: the lines' cost plus unattributed."""
        rest = self.unattributed.cost_usd if self.unattributed else Decimal(0)
        return self.total["cost_usd"] + rest

    def as_json(self) -> dict[str, object]:
        total = self.total
        return {"month": self.month, "currency": CURRENCY, "partial": self.partial,
                "days": self.days,
                "clients": [line.as_json() for line in self.lines],
                "total": {k: _money(v) if k.endswith("_usd") else v for k, v in total.items()},
                "unattributed": self.unattributed.as_json() if self.unattributed else None,
                "all_usage_cost_usd": _money(self.all_usage_usd),
                "warnings": self.warnings}


def cents(value: float | Decimal | str) -> Decimal:
    """Dollars rounded to the cent, half up (as an invoice rounds)."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def check_month(text: str) -> str:
    if not _MONTH.fullmatch(text.strip()):
        raise InputError("--month", f"expected a month like 2026-10 (YYYY-MM), got {text!r}")
    return text.strip()


def chargeback(data: Mapping[str, Any], month: str, roster: Sequence[tuple[str, Terms]]
               ) -> Chargeback:
    """The lines of ``month`` from ``data`` (the import's JSON) for ``roster`` ((client name,
    terms) in roster order). Raises InputError when the import does not cover the month."""
    month = check_month(month)
    covered = list(data.get("month_list") or [])
    if not covered:
        raise InputError("usage", "no usage in the files: nothing to bill")
    if month not in covered:
        span = covered[0] if len(covered) == 1 else f"{covered[0]} to {covered[-1]}"
        raise InputError("--month", f"{month} is not in the usage, which covers {span}")
    usage = _month_usage(data["clients"], month)
    result = Chargeback(month, False, 0, [], None)
    seen: set[str] = set()
    at_cost: list[str] = []
    for name, terms in roster:
        key = name.strip().casefold()
        if key in seen:
            result.warnings.append(f"{name!r} is on the roster twice: billed once, on the "
                                   "first row's terms")
            continue
        seen.add(key)
        line = _line(name, terms, usage.get(key), result)
        if not line.cost_usd and not any(line.counts.values()):
            line = replace(line, note="; ".join(filter(None, (f"no usage in {month}",
                                                              line.note))))
        if line.basis == AT_COST:
            at_cost.append(name)
        result.lines.append(line)
    others = [entry for key, entry in usage.items() if key not in seen]
    for entry in others:
        result.lines.append(_line(entry["client"], Terms(), entry, result, on_roster=False))
    if others:
        result.warnings.append(
            f"{len(others)} client(s) with usage are not on the roster, billed at cost: "
            + ", ".join(e["client"] for e in others))
    if at_cost:
        shown = ", ".join(at_cost[:5]) + (f" and {len(at_cost) - 5} more" if len(at_cost) > 5
                                          else "")
        result.warnings.append(f"no markup or fixed_ai_fee on the roster for {len(at_cost)} "
                               f"client(s), billed at cost: {shown}")
    rest = data.get("unattributed")
    if rest:
        entry = _month_of(rest, month)
        result.unattributed = Line(
            "(unattributed)", NOT_BILLED, cents(entry["cost_usd"]), None, None, None,
            _counts(entry), on_roster=False,
            note="usage no client map names: not billed to anyone")
        if result.unattributed.cost_usd or any(result.unattributed.counts.values()):
            result.warnings.append(
                f"{_money_text(result.unattributed.cost_usd)} of usage in {month} is "
                "unattributed: listed, not billed (map its identifiers with --clients)")
    if result.partial:
        result.warnings.insert(0, f"{month} is a partial month: the usage covers {result.days} "
                                  "of its days; amounts are for those days (a fixed fee is "
                                  "the whole month's)")
    return result


def _month_usage(clients: Sequence[Mapping[str, Any]], month: str
                 ) -> dict[str, dict[str, Any]]:
    """{client name as MATCH sees it: the month's figures}; clients whose names differ only
    in case are added together, as the Actuals sheet adds them."""
    found: dict[str, dict[str, Any]] = {}
    for entry in clients:
        figures = dict(_month_of(entry, month))
        figures["client"] = entry["client"]
        key = entry["client"].strip().casefold()
        if key in found:
            total = found[key]
            for name in ("cost_usd", *COUNTS):
                total[name] = (total.get(name) or 0) + (figures.get(name) or 0)
        else:
            found[key] = figures
    return found


def _month_of(entry: Mapping[str, Any], month: str) -> Mapping[str, Any]:
    months = entry.get("months")
    if months is None:
        raise InputError("usage", "the import has no figures per month")
    for item in months:
        if item["month"] == month:
            return item
    return {"month": month, "cost_usd": 0.0, "partial": False, "days": 0}


def _counts(entry: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(entry.get(key) or 0) for key in COUNTS}


def _line(name: str, terms: Terms, entry: Mapping[str, Any] | None, result: Chargeback,
          on_roster: bool = True) -> Line:
    entry = entry or {}
    if entry.get("partial"):
        result.partial = True
    result.days = max(result.days, int(entry.get("days") or 0))
    cost = cents(entry.get("cost_usd") or 0)
    counts = _counts(entry)
    if terms.fixed_ai_fee is not None:
        fee = cents(terms.fixed_ai_fee)
        note = ""
        if fee < cost:
            note = f"the fixed fee is {_money_text(cost - fee)} below the month's AI cost"
            result.warnings.append(f"{name}: fixed AI fee {_money_text(fee)} is below the "
                                   f"month's AI cost {_money_text(cost)}")
        return Line(name, FIXED, cost, None, fee - cost, fee, counts, on_roster, note)
    if terms.markup is not None:
        markup = cents(cost * Decimal(str(terms.markup)))
        return Line(name, MARKUP, cost, terms.markup, markup, cost + markup, counts, on_roster)
    note = "not on the roster: billed at cost" if not on_roster else (
        "no markup or fixed_ai_fee on the roster: billed at cost")
    return Line(name, AT_COST, cost, None, Decimal("0.00"), cost, counts, on_roster, note)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _money_text(value: Decimal) -> str:
    return f"${value:,.2f}"
