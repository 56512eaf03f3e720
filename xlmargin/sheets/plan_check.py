"""Whether the Plan sheet's stored plan still holds. With GPU capacity on, the sheet takes who
self-hosts from the plan xlmargin stored when it wrote the workbook (pins win over it); after
edits a cheaper plan may exist, which no formula can see. ``report`` recomputes the plan and
says so."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from xlmargin.errors import InputError
from xlmargin.portfolio import Portfolio
from xlmargin.sheets import layout

if TYPE_CHECKING:
    from xlmargin.sheets.read import WorkbookInputs

SHOWN = 3  # names listed in the warning, at most


def sheet_self_hosted(found: WorkbookInputs) -> Counter[str]:
    """The clients the Plan sheet self-hosts: pinned to self, or unpinned and stored so."""
    return Counter(c.client for c, stored in zip(found.clients, found.stored_plan, strict=True)
                   if c.hosting == "self" or (c.hosting is None and stored == "self"))


def stale_plan(found: WorkbookInputs, report: Portfolio) -> str | None:
    """A warning when the cheapest plan now self-hosts other clients than the sheet does."""
    from xlmargin.plan import compute

    try:
        plan = compute(found.clients, found.settings, open_weight=found.open_weight,
                       computed=report)
    except InputError as error:  # a pin the plan cannot keep: the plan command says so too
        return f"Plan sheet: the plan cannot be computed ({error})"
    kept = {c.client for c in report.clients}
    sheet = Counter({name: n for name, n in sheet_self_hosted(found).items() if name in kept})
    now = Counter(c.client for c in plan.clients if c.hosting == "self")
    if sheet == now:
        return None
    moving = sorted((now - sheet).elements())
    staying = sorted((sheet - now).elements())
    parts = []
    if moving:
        parts.append("should self-host too: " + _names(moving))
    if staying:
        parts.append("should leave self-hosting: " + _names(staying))
    return (f"{layout.PLAN} sheet: the plan stored when the workbook was written is stale (GPU "
            f"capacity is on, so the sheet cannot recompute it): "
            + "; ".join(parts) + f". The cheapest plan now costs ${plan.plan_cogs:,.2f} a month; "
            "run `xlmargin plan` on this file for it.")


def _names(names: list[str]) -> str:
    more = len(names) - SHOWN
    return ", ".join(names[:SHOWN]) + (f" and {more:,} more" if more > 0 else "")
