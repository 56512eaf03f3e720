"""xlmargin prices: look up model prices in the catalog."""

from __future__ import annotations

import argparse
from typing import Any

from xlmargin.cli import FORMATTER, example


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "prices", help="look up model prices",
        description="Model prices in USD per 1M tokens from the bundled genai-prices catalog "
                    "(offline) and your overrides. Without QUERY: the popular models.",
        epilog=example("xlmargin prices claude sonnet"), formatter_class=FORMATTER)
    parser.add_argument("query", nargs="*", metavar="QUERY",
                        help="words to find in provider, model id or name")
    parser.add_argument("--all", action="store_true", help="every model in the catalog")
    parser.add_argument("--prices", metavar="FILE", help="price overrides (.toml or .csv)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.catalog import catalog_with
    from xlmargin.errors import InputError
    from xlmargin.render import count, dump_json, per_mtok, table

    catalog = catalog_with(args.prices)
    query = " ".join(args.query)
    if query:
        found = catalog.search(query)
        if not found:
            catalog.lookup(query, where="QUERY")  # raises with "did you mean"
            found = [catalog.lookup(query)]
    else:
        found = catalog.all_prices() if args.all else catalog.popular()
    if not found:
        raise InputError("QUERY", "no models")
    if args.json:
        print(dump_json([{
            "provider": p.provider, "model": p.model, "name": p.name,
            "input_per_mtok": p.input_usd_per_mtok, "output_per_mtok": p.output_usd_per_mtok,
            "cache_read_per_mtok": p.cache_read_usd_per_mtok,
            "as_of": p.as_of.isoformat() if p.as_of else None, "source": p.source,
        } for p in found]))
        return 0

    print(table(["Provider", "Model", "Input", "Output", "Cached input"],
                [[p.provider, p.model, per_mtok(p.input_usd_per_mtok),
                  per_mtok(p.output_usd_per_mtok), per_mtok(p.cache_read_usd_per_mtok)]
                 for p in found],
                right=[False, False, True, True, True]))
    as_of = found[0].as_of
    print(f"\n{count(len(found), 'model')}; prices as of {as_of or 'your price file'} "
          "(genai-prices bundled snapshot). `--all` lists every model.")
    return 0
