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


def share(text: str) -> float:
    """An option that is a share of a whole (--buffer, --retry-rate, ...): 0.2 or 20%; a bare
    number above 1 is refused with the fix, as everywhere else a share is typed."""
    from xlmargin import calc
    from xlmargin.errors import InputError

    value = calc.percent_text(text)
    try:
        value = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share like 0.2 or 20%, got {text!r}"
                                         ) from None
    try:
        return calc.number("share", value, share=True)
    except InputError as error:
        raise argparse.ArgumentTypeError(error.problem) from None
