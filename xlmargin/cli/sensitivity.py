"""xlmargin sensitivity: the month's API COGS at the low and high ends of the article's ranges,
and which assumption moves it most."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlmargin import article
from xlmargin.cli import FORMATTER, example
from xlmargin.cli.inputs import add_path_arguments, is_roster_csv


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "sensitivity", help="API COGS at the low and high ends of the article's ranges, and "
                            "which assumption moves it most",
        description="Total API COGS (and the crossover at each case's average API cost) with "
                    "every hidden multiplier at the low end of the article's range, as the "
                    "inputs have it (expected), and at the high end, each widened to take in "
                    f"expected: retries {article.RETRY_RANGE.text}, context "
                    f"{article.CONTEXT_RANGE.text}, system prompt "
                    f"{article.SYSTEM_PROMPT_RANGE.text}, power users x1.10-1.15 (the "
                    f"article: {article.POWER_USER_SHARE.text} generate 50%+ of the volume), "
                    f"embeddings {article.EMBEDDINGS_RANGE.text} on retrieval (document Q&A / "
                    "RAG) clients only. Then each "
                    "assumption alone at its low and high end, the others as expected, largest "
                    "swing first. PATH is a workbook from `xlmargin new` (its own Assumptions, "
                    "Pricing and Sensitivity values, as edited) or a roster CSV (catalog prices, "
                    "--settings or the defaults).",
        epilog=example("xlmargin sensitivity Acme-AI.xlsx --json"),
        formatter_class=FORMATTER)
    add_path_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.cli.report import INCOMPLETE, incomplete_notice
    from xlmargin.render import count, dump_json, table, usd

    result = analyse(args)
    if args.json:
        print(dump_json(result.as_json()))
    else:
        if not result.complete:
            print(incomplete_notice(result.excluded) + "\n")
        expected = result.expected.api_cogs
        rows = [[case.name.capitalize(), usd(case.api_cogs), _signed(case.api_cogs - expected),
                 usd(case.average_api_cost), _crossover(case.crossover)]
                for case in result.cases]
        print(table(["Case", "API COGS / month", "vs expected", "Average / client",
                     "Crossover"], rows, right=[False, True, True, True, True]))
        print()
        rows = [[d.label, f"{_value(d.assumption, d.low)} to {_value(d.assumption, d.high)}",
                 usd(d.low_api_cogs), usd(d.high_api_cogs), usd(d.swing)]
                for d in result.drivers]
        print(table(["Driver (alone)", "Low to high end", "API COGS at low",
                     "API COGS at high", "Swing"], rows,
                    right=[False, False, True, True, True]))
        print()
        print(_per_client(result))
        print(f"\n{count(result.clients, 'client')}. Low / high: every assumption at the low / "
              "high end of the article's range, widened\nto take in expected (embeddings on "
              "retrieval clients only). Drivers: one assumption at a time, the others as "
              "expected.")
    for warning in result.warnings:
        print(f"xlmargin sensitivity: warning: {warning}", file=sys.stderr)
    return 0 if result.complete else INCOMPLETE


def analyse(args: argparse.Namespace) -> Any:
    """Read PATH as ``report`` does and compute the cases."""
    from xlmargin.sensitivity import RETRIEVAL_USE_CASES, analyse, is_retrieval

    if is_roster_csv(args):
        from xlmargin.roster import read_roster_inputs

        clients, settings, _open_weight = read_roster_inputs(args.path, args.settings,
                                                              args.as_of)
        return analyse(clients, [is_retrieval(c.use_case, RETRIEVAL_USE_CASES)
                                 for c in clients], settings)
    from xlmargin.sheets.sensitivity import read_inputs

    clients, retrieval, settings, ranges, warnings, excluded = read_inputs(args.path)
    return analyse(clients, retrieval, settings, ranges, warnings, excluded)


def _per_client(result: Any) -> str:
    """Client by client, API cost and status in each case; then who goes underwater when
    usage runs hot."""
    from xlmargin.render import count, table, usd

    rows = [[c.client, *(usd(cost) for cost in c.api_cost), *c.status]
            for c in result.per_client]
    lines = [table(["Client", "API cost: low", "expected", "high", "Status: low", "expected",
                    "high"], rows, right=[False, True, True, True, False, False, False])]
    hot = [c.client for c in result.per_client
           if c.status[2] == "Underwater" and c.status[1] != "Underwater"]
    if hot:
        shown = ", ".join(hot[:5]) + (f" and {len(hot) - 5:,} more" if len(hot) > 5 else "")
        lines.append(f"\nUnderwater at the high end ({count(len(hot), 'client')} not "
                     f"underwater as expected): {shown}.")
    else:
        lines.append("\nNo client goes underwater at the high end that is not already.")
    return "\n".join(lines)


def _signed(value: float) -> str:
    from xlmargin.render import usd

    return ("+" if value > 0 else "-" if value < 0 else "") + usd(abs(value))


def _crossover(clients: int | None) -> str:
    from xlmargin.render import count

    return "never" if clients is None else count(clients, "client")


def _value(assumption: str, value: float) -> str:
    if assumption in ("retry_rate", "embeddings_overhead"):
        return f"{value * 100:g}%"
    if assumption == "system_prompt_tokens":
        return f"{value:,.0f}"
    return f"{value:g}x"
