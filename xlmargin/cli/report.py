"""xlmargin report: recompute a filled workbook (or a roster CSV) in Python."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlmargin.cli import FORMATTER, example
from xlmargin.cli.inputs import add_path_arguments, is_roster_csv


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report", help="per-client costs, margins, totals and crossover of a workbook or roster",
        description="Recompute every client's API cost, self-hosted share and margins, the "
                    "totals and the crossover, in Python: from a workbook made by `xlmargin new` "
                    "(its own Assumptions and Pricing values, as edited), or from a roster CSV "
                    "(catalog prices, --settings or the defaults). Cells that cannot be read "
                    "are listed by address on stderr; the other rows are still reported, "
                    "under a first line saying the totals are incomplete (exit code 1).",
        epilog=example("xlmargin report Acme-AI.xlsx --json"),
        formatter_class=FORMATTER)
    add_path_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.errors import InputError
    from xlmargin.render import dump_json

    portfolio = _portfolio(args)
    if not portfolio.clients:
        reasons = "; ".join(f"{r.cell}: {r.message}" for r in portfolio.excluded[:3])
        raise InputError(str(args.path), "no client could be reported"
                         + (f" ({reasons})" if reasons else ": the roster is empty"))
    if args.json:
        print(dump_json(portfolio.as_json()))
    else:
        print(_text(portfolio))
    for warning in portfolio.warnings:
        print(f"xlmargin report: warning: {warning}", file=sys.stderr)
    return 0 if portfolio.complete else INCOMPLETE


INCOMPLETE = 1  # exit code: reported, but rows are left out of the totals (0 complete, 2 none)


def incomplete_notice(excluded: Any) -> str:
    """The line a report opens with when rows are left out of its totals."""
    from xlmargin.render import count

    rows = sorted({r.row for r in excluded if r.row is not None})
    which = (f" (row {', '.join(map(str, rows))})" if len(rows) == 1
             else f" (rows {', '.join(map(str, rows))})" if rows else "")
    return (f"INCOMPLETE: {count(len(rows) or len(excluded), 'row')}{which} left out of every "
            "total below; fix the cells named under the warnings and run again.")


def _text(portfolio: Any) -> str:
    """The report as tables; the open-weight column and the capacity and hidden-cost lines
    appear only when the settings turn them on."""
    from xlmargin.render import count, percent, table, usd

    p = portfolio
    top = [] if p.complete else [incomplete_notice(p.excluded), ""]
    open_weight = p.open_weight_model is not None
    headers = ["Client", "Model", "API cost", *(["Open-weight"] if open_weight else []),
               "Self-hosted", "Revenue", "API margin", "SH margin", "Status"]
    rows = [[c.client, c.model, usd(c.api_cost),
             *([usd(c.open_weight_cost)] if open_weight else []), usd(c.ft_cost),
             usd(c.revenue), percent(c.api_margin), percent(c.ft_margin), c.status]
            for c in p.clients]
    right = [False, False, True, *([True] if open_weight else []), True, True, True, True,
             False]
    lines = [*top, table(headers, rows, right=right), ""]
    options = ["API", *(["Open-weight"] if open_weight else []), "Self-hosted"]
    lines.append(table(["Totals / month", *options], [
        ["Revenue", *[usd(p.revenue)] * len(options)],
        ["COGS", usd(p.api_cogs), *([usd(p.open_weight_cogs)] if open_weight else []),
         usd(p.ft_cogs)],
        ["Gross margin", percent(p.api_margin),
         *([percent(p.open_weight_margin)] if open_weight else []), percent(p.ft_margin)],
    ], right=[False, *[True] * len(options)]))
    crossover = "never" if p.crossover is None else count(p.crossover, "client")
    lines.append(f"\n{count(len(p.clients), 'client')}; average API cost "
                 f"{usd(p.average_api_cost)} per client; crossover: {crossover}")
    if open_weight:
        lines.append(f"Hosted open-weight model: {p.open_weight_model}")
    if p.servers is not None:
        stays = p.crossover_stays_from
        lines.append(f"GPU servers: {p.servers} x {p.gpu}; self-hosting cheaper for good from: "
                     + ("never" if stays is None else count(stays, "client")))
    if p.retraining_usd is not None:
        lines.append(f"Retraining (in self-hosted COGS): {usd(p.retraining_usd)} a month")
    if p.setup:
        months = p.setup_payback_months
        lines.append("Setup payback, average client: "
                     + ("never" if months is None else count(round(months, 1), "month")))
    return "\n".join(lines)


def _portfolio(args: argparse.Namespace) -> Any:
    if is_roster_csv(args):
        from xlmargin.portfolio import compute
        from xlmargin.roster import read_roster_inputs

        clients, settings, open_weight = read_roster_inputs(args.path, args.settings, args.as_of)
        return compute(clients, settings, open_weight=open_weight)
    from xlmargin.sheets.read import read_report

    return read_report(args.path)
