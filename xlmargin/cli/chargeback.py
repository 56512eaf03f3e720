"""xlmargin chargeback: what to bill each client for AI in one month, from usage exports."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlmargin.cli import FORMATTER, example
from xlmargin.cli.import_usage import FORMAT_NAMES


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "chargeback", help="what to bill each client for AI in a month",
        description="Import usage exports as import-usage does, take one month, and bill each "
                    "roster client its AI cost plus its markup (the roster's markup column, "
                    "a share: 25%% or 0.25) or its fixed_ai_fee (USD), or the cost as it is "
                    "when it has neither. One line per client, a total, and unattributed "
                    "usage listed but never billed to anyone. Amounts are rounded to the cent "
                    "line by line; the total adds the lines.",
        epilog=example("xlmargin chargeback templates/usage/litellm_spend_logs.csv --clients "
                       "templates/usage/clients.csv --roster templates/roster.csv --month "
                       "2026-10 -o chargeback.csv"),
        formatter_class=FORMATTER)
    parser.add_argument("files", nargs="+", metavar="USAGE", help="usage or cost export files")
    parser.add_argument("--clients", metavar="MAP.CSV",
                        help="identifier,client rows, as for import-usage; unmapped usage is "
                             "listed as unattributed and not billed")
    parser.add_argument("--by", default="api_key",
                        choices=("project", "api_key", "workspace", "user", "tag"),
                        help="which identifier names the client (default: %(default)s)")
    parser.add_argument("--format", choices=FORMAT_NAMES, metavar="NAME",
                        help="force a format, as for import-usage")
    parser.add_argument("--roster", required=True, metavar="ROSTER.CSV",
                        help="the roster CSV: its clients, and their markup or fixed_ai_fee")
    parser.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="the calendar month (UTC) to bill")
    parser.add_argument("-o", "--output", metavar="CSV",
                        help="write the lines to this CSV (refused if it exists, unless --force)")
    parser.add_argument("--force", action="store_true", help="replace an existing -o file")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.catalog import Catalog
    from xlmargin.chargeback import Terms, chargeback, check_month
    from xlmargin.chargeback_csv import check_output, write_csv
    from xlmargin.render import dump_json
    from xlmargin.roster import read_roster
    from xlmargin.usage.aggregate import import_usage

    # The quick checks first: a bad month, roster or -o fails before a long import.
    month = check_month(args.month)
    output = check_output(args.output, args.force) if args.output else None
    clients = read_roster(args.roster, Catalog())
    terms = [(c.client, Terms(c.markup, c.fixed_ai_fee)) for c in clients]
    actuals = import_usage(args.files, by=args.by, clients_file=args.clients,
                           forced=args.format)
    result = chargeback(actuals.as_json(), month, terms)
    if output is not None:
        write_csv(result, output, args.force)
    out = sys.stderr if args.json else sys.stdout
    if args.json:
        data = result.as_json()
        data["output"] = str(output) if output else None
        print(dump_json(data))
    else:
        _print(result)
    if output is not None:
        print(f"Wrote {len(result.lines)} client line(s) and the total for {month} to "
              f"{output}", file=out)
    if not args.json:
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return 0


def _print(result: Any) -> None:
    from xlmargin.chargeback_csv import description
    from xlmargin.render import table, tokens, usd

    def money(value: Any) -> str:
        return "" if value is None else usd(float(value))

    def row(line: Any) -> list[str]:
        return [line.client, description(line, result.month, ""), money(line.cost_usd),
                money(line.markup_usd), money(line.billable_usd), f"{line.counts['requests']:,}",
                tokens(line.counts["input_tokens"] + line.counts["output_tokens"])]

    total = result.total
    rows = [row(line) for line in result.lines]
    rows.append(["TOTAL", "", money(total["cost_usd"]), money(total["markup_usd"]),
                 money(total["billable_usd"]), f"{total['requests']:,}",
                 tokens(total["input_tokens"] + total["output_tokens"])])
    if result.unattributed:
        rows.append(row(result.unattributed))
    days = f", partial: {result.days} days" if result.partial else ""
    print(f"Chargeback for {result.month} (USD{days})")
    # Input tokens include the cached ones (the imports' convention): tokens are input + output.
    print(table(["Client", "Line", "AI cost", "Markup", "Billable", "Requests", "Tokens"], rows,
                right=[False, False, True, True, True, True, True]))
