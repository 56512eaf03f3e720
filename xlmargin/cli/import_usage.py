"""xlmargin import-usage: actual API cost per client from provider usage and cost exports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from xlmargin.cli import EXIT_BAD_INPUT, FORMATTER, example

FORMAT_NAMES = ("openai-usage", "openai-costs", "openai-usage-csv", "openai-costs-csv",
                "anthropic-usage", "anthropic-cost", "anthropic-usage-csv", "anthropic-cost-csv",
                "litellm", "litellm-csv", "plain")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "import-usage", help="actual API cost per client from usage exports",
        description="Read provider usage and cost exports (OpenAI, Anthropic, LiteLLM, or a "
                    "plain CSV), attribute tokens and dollars to clients, and print each "
                    "client's actual cost and monthly average. Billed amounts are used as "
                    "billed; token usage is priced at the catalog price of its day.\n\n"
                    "Months: monthly averages are per average calendar month (30.4375 days = "
                    "365.25 / 12),\nwhile the forecast's month is the workbook's days per "
                    "month (30 by default):\na client exactly on forecast day by day shows "
                    "about +1.5% (30.4375 / 30) against it.",
        epilog=example("xlmargin import-usage templates/usage/litellm_spend_logs.csv "
                       "--clients templates/usage/clients.csv --by api_key --workbook "
                       "out/acme-ai.xlsx"),
        formatter_class=FORMATTER)
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="usage or cost export files, folders of them (the files in a "
                             "folder that are exports xlmargin knows), or LiteLLM's database as "
                             "postgresql://USER@HOST:PORT/DB (password from PGPASSWORD or "
                             "~/.pgpass; needs pip install 'xlmargin[postgres]')")
    add_import_options(parser)
    parser.add_argument("--format", choices=FORMAT_NAMES, metavar="NAME",
                        help="force a format: " + ", ".join(FORMAT_NAMES))
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def add_import_options(parser: argparse.ArgumentParser) -> None:
    """How usage is attributed, and the workbook it goes to (``pull --import`` takes them
    too)."""
    parser.add_argument("--clients", metavar="MAP.CSV",
                        help="identifier,client rows (project id, API key id or alias, "
                             "workspace, user or tag -> client); unmapped usage is reported "
                             "as unattributed")
    parser.add_argument("--by", default="api_key",
                        choices=("project", "api_key", "workspace", "user", "tag"),
                        help="which identifier names the client (default: %(default)s)")
    parser.add_argument("--workbook", metavar="PATH",
                        help="write an Actuals sheet (actual vs forecast monthly API cost per "
                             "client, flagged when more than 15%% over) into this workbook made "
                             "by `xlmargin new` (.xlsx or .xlsm); a backup of the original is "
                             "kept beside it")
    parser.add_argument("--roster", metavar="ROSTER.CSV",
                        help="a roster (as `xlmargin new` reads it) whose monthly_revenue gives "
                             "each client's projection (the month its margin falls below the "
                             "target and below zero) and whose optional monthly_ai_budget "
                             "column flags a month projected past it; clients are matched by "
                             "name, any case. --workbook's Clients revenue is used too; the "
                             "roster's wins")
    parser.add_argument("--settings", metavar="AGENCY.TOML",
                        help="agency settings for the projections: the target margin and the "
                             "self-hosted cost (default: --workbook's, else the article's)")


def run(args: argparse.Namespace) -> int:
    from xlmargin.render import dump_json, table, tokens
    from xlmargin.usage.aggregate import NO_USAGE, import_usage
    from xlmargin.usage.clients import UNATTRIBUTED

    workbook = None
    if args.workbook:
        from xlmargin.sheets.actuals import check_path

        workbook = check_path(args.workbook)  # before an import that may take a while
    from xlmargin.cli.import_usage_months import context, print_months

    known = context(args.roster, workbook, args.settings)  # before the import, as the path
    actuals = import_usage(args.files, by=args.by, clients_file=args.clients,
                           forced=args.format)
    actuals.context = known
    data = actuals.as_json()
    if workbook is not None:
        from xlmargin.usage.litellm_postgres import is_url, shown

        sources = [shown(f) if is_url(f) else f for f in args.files]  # no password written
        _write_workbook(workbook, data, sources, sys.stderr if args.json else sys.stdout)
    for problem in known.problems:
        print(f"warning: {problem}", file=sys.stderr)
    # Nothing read: exit 0 when the files hold no rows, 2 when every row was malformed.
    code = EXIT_BAD_INPUT if actuals.start is None and actuals.malformed else 0
    if code:
        print(f"xlmargin import-usage: error: no usable row: {actuals.malformed} malformed "
              "row(s), listed in the warnings", file=sys.stderr)
    if args.json:
        print(dump_json(data))
        return code
    files = ", ".join(f"{path} [{counts.format}]" if counts.same_as is None
                      else f"{path} [{counts.format}, the same as {counts.same_as}]"
                      for path, counts in actuals.files.items())
    if actuals.start is None:
        print(f"No usage found in {files}")
        for warning in data["warnings"]:  # type: ignore[attr-defined]
            if warning != NO_USAGE:
                print(f"warning: {warning}")
        return code
    period = data["period"]
    print(f"Period {period['start']} to {period['end']} ({data['months']} months), "  # type: ignore[index]
          f"{len(actuals.files)} file(s): {files}")
    entries = list(data["clients"])  # type: ignore[call-overload]
    if data["unattributed"]:
        entries.append(data["unattributed"])
    rows = [[e["client"], f"{e['requests']:,}", tokens(e["input_tokens"]),
             tokens(e["cached_input_tokens"]), tokens(e["output_tokens"]),
             f"${e['cost_usd']:,.2f}",
             "" if e["monthly_cost_usd"] is None else f"${e['monthly_cost_usd']:,.2f}"]
            for e in entries]
    print(table(["Client", "Requests", "Input", "Cached", "Output", "Cost", "Per month"], rows,
                right=[False, True, True, True, True, True, True]))
    if not entries:
        print(f"(no usage; {UNATTRIBUTED} is empty)")
    print_months(data, planned=bool(args.roster or workbook))
    for unpriced in data["unpriced"]:  # type: ignore[attr-defined]
        print(f"Unpriced: {unpriced['model']}: {unpriced['input_tokens']:,} input, "
              f"{unpriced['output_tokens']:,} output tokens")
    for warning in data["warnings"]:  # type: ignore[attr-defined]
        print(f"warning: {warning}")
    return 0


def _write_workbook(path: Path, data: dict[str, Any], files: list[str], out: TextIO) -> None:
    """The Actuals sheet, then the over-forecast clients as Python computes them."""
    from xlmargin.render import usd
    from xlmargin.sheets.actuals import write_actuals
    from xlmargin.sheets.read import read_report

    written = write_actuals(path, data, sources=files)
    print(f"Wrote the Actuals sheet to {written.path} ({len(written.roster)} roster clients, "
          f"{len(written.off_roster)} not on the roster); the original is kept as "
          f"{written.backup.name}", file=out)
    forecast = {c.client.strip().casefold(): c.api_cost
                for c in read_report(written.path).clients}
    for client, actual in written.roster:
        expected = forecast.get(client.casefold())
        if expected is not None and actual > expected * (1 + written.tolerance):
            print(f"Over forecast: {client}: actual {usd(actual)} / month, forecast "
                  f"{usd(expected)}", file=out)
    for note in written.notes:
        print(f"note: {note}", file=out)
    for loss in written.losses:
        print(f"warning: {path.name}: not kept by the rewrite (the backup has it): {loss}",
              file=sys.stderr)
    for warning in written.warnings:
        print(f"warning: {path.name}: {warning}", file=sys.stderr)
