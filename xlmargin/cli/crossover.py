"""xlmargin crossover: when self-hosted fine-tuned models beat the API."""

from __future__ import annotations

import argparse
from typing import Any

from xlmargin import article, calc
from xlmargin.cli import FORMATTER, example
from xlmargin.cli.inputs import share

ARTICLE_CLIENT_COUNTS = tuple(int(n) for n in article.MATH_AT_SCALE_CLIENTS.values)


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers like 1,5,10, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected client counts of 1 or more, got {text!r}")
    return counts


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "crossover", help="client count where self-hosting beats the API",
        description="The smallest number of clients at which self-hosted fine-tuned models "
                    "cost less than the API, with the article's COGS and margin table.",
        epilog=example("xlmargin crossover --api-cost 40 --buffer 0.2"),
        formatter_class=FORMATTER)
    parser.add_argument("--api-cost", type=float, required=True, metavar="USD",
                        help="average monthly API cost of one client")
    parser.add_argument("--base", type=float, default=calc.BASE_MONTHLY_USD, metavar="USD",
                        help="fixed monthly self-hosting cost (%(default)g, the article's "
                             f"{article.BASE_MONTHLY.help})")
    parser.add_argument("--per-client", type=float, default=calc.PER_CLIENT_USD, metavar="USD",
                        help="monthly self-hosting cost per client (%(default)g, the "
                             f"article's {article.PER_CLIENT_USD.text})")
    parser.add_argument("--buffer", type=share, default=calc.BUFFER, metavar="S",
                        help="share added to self-hosting for retraining and upkeep "
                             f"(%(default)g; the article's step 6: {article.BUFFER.help}"
                             f", --buffer {article.BUFFER.values[0]:g})")
    parser.add_argument("--revenue", type=float, metavar="USD",
                        help="monthly retainer per client: adds the margins to the table "
                             f"(the article's example: {article.RETAINER.text})")
    parser.add_argument("--clients", type=_counts, metavar="N,N,...",
                        help="client counts for the table (default: the article's "
                             f"{article.MATH_AT_SCALE_CLIENTS.text} and the crossover itself)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.render import count, dump_json, percent, table, usd

    n = calc.crossover(args.api_cost, args.base, args.per_client, args.buffer)
    counts = args.clients or sorted({*ARTICLE_CLIENT_COUNTS, *([n] if n else [])})
    # Margins need a revenue; without one typed, none is made up.
    revenue = args.revenue if args.revenue is not None else 1.0
    rows = calc.crossover_table(args.api_cost, counts, revenue_per_client=revenue,
                                base_monthly_usd=args.base, per_client_usd=args.per_client,
                                buffer=args.buffer)
    margins = args.revenue is not None
    if args.json:
        print(dump_json({
            "crossover": n,
            "api_cost_per_client": args.api_cost,
            "base_monthly": args.base, "per_client": args.per_client, "buffer": args.buffer,
            "revenue_per_client": args.revenue,
            "table": [{"clients": r.clients, "api_cogs": r.api_cogs, "ft_cogs": r.ft_cogs,
                       "api_margin": r.api_margin if margins else None,
                       "ft_margin": r.ft_margin if margins else None,
                       "cheaper": r.winner} for r in rows],
        }))
        return 0
    if n is None:
        marginal = args.per_client * (1 + args.buffer)
        print(f"Crossover: never. {usd(args.api_cost)} of API cost per client does not exceed "
              f"the {usd(marginal)} each client adds to self-hosting.")
    else:
        print(f"Crossover: {count(n, 'client')}. From {count(n, 'client')} on, self-hosting "
              f"costs less than {usd(args.api_cost)} per client on the API.")
    print(f"Self-hosted: {usd(args.base)} a month plus {usd(args.per_client)} per client"
          + (f", plus {percent(args.buffer)} buffer" if args.buffer else "")
          + (f"; margins at {usd(args.revenue)} revenue per client." if margins
             else "; give --revenue for margins."))
    headers = ["Clients", "API COGS", "Self-hosted COGS", "Cheaper"]
    if margins:
        headers[2:2] = ["API margin"]
        headers[4:4] = ["Self-hosted margin"]
    lines = [[r.clients, usd(r.api_cogs), *([percent(r.api_margin)] if margins else []),
              usd(r.ft_cogs), *([percent(r.ft_margin)] if margins else []), r.winner]
             for r in rows]
    print(table(headers, lines, right=[*([True] * (len(headers) - 1)), False]))
    return 0
