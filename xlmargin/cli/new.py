"""xlmargin new: generate an agency's workbook from a roster and settings."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from xlmargin.cli import FORMATTER, example


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "new", help="generate an agency's workbook (roster, pricing, crossover, summary)",
        description="Generate the agency workbook: Clients, Pricing, Assumptions, Crossover, "
                    "Summary and Guide sheets. The roster and settings are checked first; "
                    "nothing is written if any row has a problem.",
        epilog=example('xlmargin new "Acme AI" --roster roster.csv --settings agency.toml '
                       "-o acme-ai.xlsx"),
        formatter_class=FORMATTER)
    parser.add_argument("agency", metavar="AGENCY", help="the agency's name (workbook titles)")
    parser.add_argument("--roster", metavar="CSV",
                        help="roster CSV: client, model, interactions_per_day, monthly_revenue, "
                             "use_case (or input_tokens and output_tokens), client_type, notes "
                             "(default: the 12-client starter roster in templates/roster.csv, "
                             "sample rows to type over)")
    parser.add_argument("--settings", metavar="TOML",
                        help="agency settings: team, GPU server, per-client cost, buffer, "
                             "multipliers, target margin (default: the article's, as report "
                             "and sensitivity take a roster CSV; templates/agency.toml is a "
                             "starter to copy: 20%% buffer, 70%% target, a hosted open-weight "
                             "model)")
    parser.add_argument("--formulas", choices=("lite", "udf", "native"), default="lite",
                        help="lite: .xlsx with built-in functions that also carries the "
                             "xlmargin functions for the free xlwings Lite add-in (Excel on "
                             "Windows, Mac and the web); udf: .xlsm calling the xlmargin "
                             "functions through classic xlwings (Windows Excel with Python); "
                             "native: .xlsx with built-in functions only (LibreOffice, Google "
                             "Sheets, your accountant) (default: lite)")
    parser.add_argument("-o", "--output", metavar="PATH",
                        help="where to write (default: AGENCY as a file name, .xlsx or .xlsm)")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", type=date.fromisoformat,
                        help="price date (default: today)")
    parser.add_argument("--prices", metavar="FILE", help="price overrides (.toml or .csv)")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.render import count as plural
    from xlmargin.sheets.files import make_agency_workbook

    made = make_agency_workbook(
        args.agency, roster=args.roster, settings=args.settings, mode=args.formulas,
        output=args.output, force=args.force, as_of=args.as_of, price_file=args.prices)
    print(f"Wrote {made.path} ({plural(made.clients, 'client')}, {args.formulas} formulas)")
    for note in made.notes:
        print(f"note: {note}")
    for warning in made.warnings:
        print(f"xlmargin new: warning: {warning}", file=sys.stderr)
    return 0
