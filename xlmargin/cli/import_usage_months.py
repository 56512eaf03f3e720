"""import-usage's month by month output: what a roster or workbook says of each client (the
projections' context), and the months table, trends, projections, budgets and drift lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlmargin.usage.outlook import Context, Plan


def context(roster: str | None, workbook: Path | None, settings: str | None) -> Context:
    """Revenue and settings from the workbook's Clients and Assumptions sheets, revenue and
    ``monthly_ai_budget`` from the roster (which wins for a client both name), the margin
    target and self-hosted cost from ``settings`` when given."""
    from xlmargin.errors import InputError
    from xlmargin.models import AgencySettings

    plans: dict[str, Plan] = {}
    found = AgencySettings()
    problems: list[str] = []
    if workbook is not None:
        from xlmargin.sheets.read import read_workbook

        try:
            inputs = read_workbook(workbook)
        except InputError as error:
            # The Actuals sheet's writer says what is wrong with the workbook, in its own
            # words, before anything is written; this only says the revenue is missing.
            problems.append(f"{workbook}: no revenue read for the projections: {error.problem}")
        else:
            found = inputs.settings
            for client in inputs.clients:
                plans[client.client.strip().casefold()] = Plan(client.monthly_revenue)
    if roster is not None:
        from xlmargin.catalog import Catalog
        from xlmargin.roster import read_roster

        for client in read_roster(roster, Catalog()):
            plans[client.client.strip().casefold()] = Plan(client.monthly_revenue,
                                                           client.monthly_ai_budget)
    if settings is not None:
        from xlmargin.roster import read_settings

        found = read_settings(settings)
    infra = found.infra
    return Context(plans, found.target_margin, infra.base_monthly_usd, infra.per_client_usd,
                   infra.buffer, found.hidden_costs.retraining_usd_per_client, problems)


def print_months(data: dict[str, Any], planned: bool) -> None:
    """The months table and the lines below it; ``planned``: a roster or workbook was given,
    so a client without a projection is named as not on it."""
    from xlmargin.render import count, table, usd

    months = data["month_list"]
    entries = [*data["clients"], *([data["unattributed"]] if data["unattributed"] else [])]
    if not months or not entries:
        return
    first = entries[0]["months"]
    headers = ["Client", *(f"{m['month']} ({m['days']} d)" if m["partial"] else m["month"]
                           for m in first)]
    rows = [[e["client"], *(usd(m["cost_usd"]) for m in e["months"])] for e in entries]
    print()
    print(f"Cost by month (UTC; a partial month shows its days; {count(len(months), 'month')}):")
    print(table(headers, rows, right=[False, *([True] * len(months))]))
    for e in entries:
        trend = e["trend"]
        if trend["monthly_growth"] is None:
            print(f"Trend: {e['client']}: no growth rate ({trend['note']})")
        else:
            print(f"Trend: {e['client']}: {trend['monthly_growth']:+.1%} a month "
                  f"({trend['method']}, {count(trend['full_months'], 'full month')}; "
                  f"{trend['note']})")
    for e in entries:
        projection = e["projection"]
        if projection is not None:
            print(f"Projection: {e['client']} ({usd(projection['revenue_usd'])} a month, "
                  f"target margin {projection['target_margin']:.0%}): {projection['note']}")
    missing = [e["client"] for e in data["clients"] if e["projection"] is None]
    if planned and missing:
        print(f"No revenue for {', '.join(missing)} (not on the roster or workbook by that "
              "name): no projection")
    for e in entries:
        budget = e["budget"]
        if budget is None:
            continue
        verdict = "over budget" if budget["over"] else "within budget"
        print(f"Budget: {e['client']}: {budget['month']} {verdict}: "
              f"{usd(budget['projected_usd'])} projected ({usd(budget['to_date_usd'])} so far) "
              f"against {usd(budget['monthly_ai_budget_usd'])}")
    if data["self_hosting"] is not None:
        print(f"Self-hosting: {data['self_hosting']['note']}")
    for row in data["drift"]:
        shown = "nothing billed" if row["drift"] is None else f"{row['drift']:+.1%}"
        flag = " FLAGGED: over 2%" if row["flagged"] else ""
        print(f"Drift: {row['month']} {row['group_by']} {row['group']}: priced "
              f"{usd(row['computed_usd'])}, billed {usd(row['billed_usd'])} ({shown}){flag}")
