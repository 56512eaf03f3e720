"""xlmargin report: recompute a filled workbook (or a roster CSV) in Python."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from xlmargin.cli import FORMATTER, example


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report", help="per-client costs, margins, totals and crossover of a workbook or roster",
        description="Recompute every client's API cost, self-hosted share and margins, the "
                    "totals and the crossover, in Python: from a workbook made by `xlmargin new` "
                    "(its own Assumptions and Pricing values, as edited), or from a roster CSV "
                    "(catalog prices, --settings or the defaults). Cells that cannot be read "
                    "are listed by address on stderr; the other rows are still reported.",
        epilog=example("xlmargin report Acme-AI.xlsm --json"),
        formatter_class=FORMATTER)
    parser.add_argument("path", metavar="PATH", help=".xlsm/.xlsx from `xlmargin new`, or a "
                                                     "roster .csv")
    parser.add_argument("--settings", metavar="TOML",
                        help="for a roster CSV: agency settings (default: the article's)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", type=date.fromisoformat,
                        help="for a roster CSV: price date (default: today)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.render import dump_json, percent, table, usd

    portfolio = _portfolio(args)
    if args.json:
        print(dump_json(portfolio.as_json()))
    else:
        rows = [[c.client, c.model, usd(c.api_cost), usd(c.ft_cost), usd(c.revenue),
                 percent(c.api_margin), percent(c.ft_margin), c.status]
                for c in portfolio.clients]
        print(table(["Client", "Model", "API cost", "Self-hosted", "Revenue", "API margin",
                     "SH margin", "Status"], rows,
                    right=[False, False, True, True, True, True, True, False]))
        print()
        crossover = ("never" if portfolio.crossover is None
                     else f"{portfolio.crossover} clients")
        print(table(["Totals / month", "API", "Self-hosted"], [
            ["Revenue", usd(portfolio.revenue), usd(portfolio.revenue)],
            ["COGS", usd(portfolio.api_cogs), usd(portfolio.ft_cogs)],
            ["Gross margin", percent(portfolio.api_margin), percent(portfolio.ft_margin)],
        ], right=[False, True, True]))
        print(f"\n{len(portfolio.clients)} clients; average API cost "
              f"{usd(portfolio.average_api_cost)} per client; crossover: {crossover}")
    for warning in portfolio.warnings:
        print(f"xlmargin report: warning: {warning}", file=sys.stderr)
    return 0


def _portfolio(args: argparse.Namespace) -> Any:
    from pathlib import Path

    if Path(args.path).suffix.lower() == ".csv":
        from xlmargin.catalog import Catalog
        from xlmargin.models import AgencySettings
        from xlmargin.portfolio import compute
        from xlmargin.roster import preset_use_cases, price_roster, read_roster, read_settings

        catalog = Catalog(as_of=args.as_of)
        clients = read_roster(args.path, catalog)
        settings = read_settings(args.settings) if args.settings else AgencySettings()
        prices = {c.model.lower(): catalog.lookup(c.model) for c in clients}
        return compute(price_roster(clients, prices, preset_use_cases(),
                                    where=args.path), settings)
    from xlmargin.sheets.read import read_report

    return read_report(args.path)
