"""PATH as `report` and `sensitivity` take it: a workbook from `xlmargin new` or a roster CSV."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def add_path_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help=".xlsm/.xlsx from `xlmargin new`, or a "
                                                     "roster .csv")
    parser.add_argument("--settings", metavar="TOML",
                        help="for a roster CSV: agency settings (default: the article's)")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", type=date.fromisoformat,
                        help="for a roster CSV: price date (default: today)")


def is_roster_csv(args: argparse.Namespace) -> bool:
    """True for a roster CSV; for a workbook, refuses the options that only a CSV takes (a
    workbook has its own Assumptions and Pricing sheets)."""
    if Path(args.path).suffix.lower() == ".csv":
        return True
    from xlmargin.errors import InputError

    for option, value in (("--settings", args.settings), ("--as-of", args.as_of)):
        if value is not None:
            raise InputError(option, "applies to a roster CSV; a workbook uses its own "
                                     "Assumptions and Pricing sheets")
    return False
