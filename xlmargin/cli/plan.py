"""xlmargin plan: which clients to move to self-hosting, which stay, what each should pay."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlmargin.cli import FORMATTER, example
from xlmargin.cli.inputs import add_path_arguments, is_roster_csv


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "plan", help="the lowest-COGS assignment of each client to API, self-hosted or "
                     "open-weight, the order to move them and the price for the target margin",
        description="Put every client on the API, self-hosted fine-tuned models or (when the "
                    "settings name one) the hosted open-weight model, wherever the month's "
                    "total COGS is lowest, keeping every client the roster's hosting column "
                    "pins (api, self, open_weight). The self-hosted side is priced as `report` "
                    "prices it (fixed base, per-client cost, buffer, retraining; with capacity "
                    "on, as many GPU servers as the moved clients' load needs). Per client: "
                    "where it goes, its cost there, the saving of moving it, its margin and "
                    "the retainer that reaches the target margin; then the order to move "
                    "clients in (largest saving first) and why the others stay. PATH is a "
                    "workbook from `xlmargin new` or a roster CSV, as for `report`.",
        epilog=example("xlmargin plan Acme-AI.xlsx --json"),
        formatter_class=FORMATTER)
    add_path_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.cli.report import INCOMPLETE
    from xlmargin.errors import InputError
    from xlmargin.render import dump_json

    plan = _plan(args)
    if not plan.clients:
        excluded = plan.portfolio.excluded
        reasons = "; ".join(f"{r.cell}: {r.message}" for r in excluded[:3])
        raise InputError(str(args.path), "no client could be planned"
                         + (f" ({reasons})" if reasons else ": the roster is empty"))
    print(dump_json(plan.as_json()) if args.json else text(plan))
    for warning in plan.warnings:
        print(f"xlmargin plan: warning: {warning}", file=sys.stderr)
    return 0 if plan.portfolio.complete else INCOMPLETE


HOSTING_NAMES = {"api": "API", "self": "Self-hosted", "open_weight": "Open-weight"}


def text(plan: Any) -> str:
    """The plan as tables: clients, totals, the order to move and why the others stay."""
    from xlmargin.cli.report import incomplete_notice
    from xlmargin.render import count, percent, table, usd

    p = plan
    lines = [] if p.portfolio.complete else [incomplete_notice(p.portfolio.excluded), ""]
    moving = len(p.order)
    servers = (f" on {count(p.servers, 'GPU server')} ({p.portfolio.gpu})"
               if p.capacity and moving else "")
    versus = (f"{usd(p.saving)} a month less than all-API" if p.saving >= 0 else
              f"{usd(-p.saving)} a month more than all-API (the pins' cost)")
    lines.append(f"Plan: {count(moving, 'client')} to self-host{servers}, "
                 f"{len(p.clients) - moving} elsewhere; {versus}.")
    if not p.exact:
        lines.append(f"Within {usd(p.gap_usd)} of the optimum: the search stopped at its "
                     "budget before proving this plan the cheapest.")
    target = f"Price for {percent(p.target_margin)}"
    rows = [[c.client, HOSTING_NAMES[c.hosting] + (" (pinned)" if c.pinned else ""),
             usd(c.api_cost), usd(c.plan_cost), money(c.saving_if_moved), usd(c.revenue),
             percent(c.plan_margin), usd(c.price_for_target)] for c in p.clients]
    lines += ["", table(["Client", "Plan", "API cost", "Plan cost", "Saving if moved",
                         "Revenue", "Plan margin", target], rows,
                        right=[False, False, *[True] * 6]), ""]
    options = [("Plan", p.plan_cogs), ("All API", p.all_api_cogs),
               *([("All open-weight", p.all_open_weight_cogs)]
                 if p.all_open_weight_cogs is not None else []),
               ("All self-hosted", p.all_self_cogs)]
    lines.append(table(["Totals / month", *(name for name, _ in options)], [
        ["COGS", *(usd(cogs) for _, cogs in options)],
        ["Gross margin", *(percent((p.revenue - cogs) / p.revenue) if p.revenue else "-"
                           for _, cogs in options)],
    ], right=[False, *[True] * len(options)]))
    if p.order:
        lines += ["", "Move in this order (largest saving first):"]
        lines += [f"  {i}. {c.client}: saves {money(c.saving_if_moved)} a month"
                  + (" (pinned to self)" if c.pinned else "")
                  for i, c in enumerate(p.order, start=1)]
    staying = [c for c in p.clients if c.hosting != "self"]
    if staying:
        lines += ["", "Staying off self-hosting:"]
        lines += [f"  {c.client}: {HOSTING_NAMES[c.hosting]}, {_why(c)}" for c in staying]
    return "\n".join(lines)


def money(value: float) -> str:
    """Dollars with the sign in front: -$5.68."""
    from xlmargin.render import usd

    return f"-{usd(-value)}" if value < 0 else usd(value)


def _why(c: Any) -> str:
    return {
        "pinned": "pinned by the roster",
        "no saving": f"self-hosting would not save (saving {money(c.saving_if_moved)})",
        "fixed cost": "the savings do not pay for the self-hosted base",
        "capacity": "it would need a GPU server that costs more than it saves",
    }[c.reason]


def _plan(args: argparse.Namespace) -> Any:
    from xlmargin.plan import compute

    if is_roster_csv(args):
        from xlmargin.roster import read_roster_inputs

        clients, settings, open_weight = read_roster_inputs(args.path, args.settings, args.as_of)
        return compute(clients, settings, open_weight=open_weight)
    from xlmargin.sheets.read import read_workbook

    found = read_workbook(args.path)
    return compute(found.clients, found.settings, found.book.warnings,
                   open_weight=found.open_weight, excluded=found.excluded)
