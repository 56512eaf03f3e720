"""xlmargin cost: one client's monthly API cost."""

from __future__ import annotations

import argparse
from typing import Any

from xlmargin import article, calc
from xlmargin.cli import FORMATTER, example
from xlmargin.cli.inputs import share


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "cost", help="monthly API cost of one client",
        description="Monthly API cost of one client, with the article's hidden multipliers "
                    "(system prompt, multi-turn context, retries, power users).",
        epilog=example("xlmargin cost --model gpt-4o --use-case customer_support "
                       "--interactions 100"),
        formatter_class=FORMATTER)
    parser.add_argument("--model", required=True, help="model name, e.g. gpt-4o or "
                        "'Claude 3.5 Sonnet' (see `xlmargin prices`)")
    parser.add_argument("--interactions", type=float, required=True, metavar="N",
                        help="interactions per day")
    parser.add_argument("--input-tokens", type=float, metavar="N",
                        help="input tokens per interaction (default: from --use-case)")
    parser.add_argument("--output-tokens", type=float, metavar="N",
                        help="output tokens per interaction (default: from --use-case)")
    parser.add_argument("--use-case", metavar="NAME",
                        help="customer_support, document_qa, lead_qualification, "
                             "content_generation or data_extraction (the article's table)")
    group = parser.add_argument_group("multipliers (the article's defaults)")
    group.add_argument("--system-prompt-tokens", type=float, default=calc.SYSTEM_PROMPT_TOKENS,
                       metavar="N", help="system prompt tokens per interaction (%(default)g; "
                                         "the article: "
                                         f"{article.SYSTEM_PROMPT_RANGE.help})")
    group.add_argument("--context-multiplier", type=float, default=calc.CONTEXT_MULTIPLIER,
                       metavar="X", help="multi-turn context growth (%(default)g; the article: "
                                         f"{article.CONTEXT_RANGE.help})")
    group.add_argument("--retry-rate", type=share, default=calc.RETRY_RATE, metavar="R",
                       help="share of calls retried (%(default)g; the article: "
                            f"{article.RETRY_RANGE.help})")
    group.add_argument("--power-user-multiplier", type=float,
                       default=calc.POWER_USER_MULTIPLIER, metavar="X",
                       help="power-user skew (%(default)g)")
    group.add_argument("--days", type=float, default=calc.DAYS_PER_MONTH, metavar="N",
                       help="billing days per month (%(default)g)")
    extras = parser.add_argument_group("extras (off by default)")
    extras.add_argument("--cached-input-share", type=share, default=calc.CACHED_INPUT_SHARE,
                        metavar="S", help="share of input billed at the cache-read price "
                                          "(%(default)g)")
    extras.add_argument("--embeddings-overhead", type=share, default=calc.EMBEDDINGS_OVERHEAD,
                        metavar="S", help="embeddings cost as a share of chat cost "
                                          "(%(default)g; the article: "
                                          f"{article.EMBEDDINGS_RANGE.help} for RAG)")
    prices = parser.add_argument_group("prices (default: the catalog)")
    prices.add_argument("--input-price", type=float, metavar="USD",
                        help="USD per 1M input tokens")
    prices.add_argument("--output-price", type=float, metavar="USD",
                        help="USD per 1M output tokens")
    prices.add_argument("--cache-read-price", type=float, metavar="USD",
                        help="USD per 1M cached input tokens")
    prices.add_argument("--prices", metavar="FILE", help="price overrides (.toml or .csv)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    from xlmargin.catalog import catalog_with
    from xlmargin.errors import InputError
    from xlmargin.excel.api_cost import resolve_prices
    from xlmargin.presets import use_case
    from xlmargin.render import dump_json, per_mtok, table, tokens, usd

    input_tokens, output_tokens = args.input_tokens, args.output_tokens
    if args.use_case:
        case = use_case(args.use_case, where="--use-case")
        input_tokens = case.input_tokens if input_tokens is None else input_tokens
        output_tokens = case.output_tokens if output_tokens is None else output_tokens
    if input_tokens is None or output_tokens is None:
        raise InputError("--input-tokens/--output-tokens", "give both, or a --use-case")
    catalog = catalog_with(args.prices)
    in_usd, out_usd, cache_usd = resolve_prices(args.model, args.input_price, args.output_price,
                                                args.cache_read_price, catalog)
    cost = calc.api_cost_breakdown(
        input_tokens, output_tokens, args.interactions, in_usd, out_usd,
        cache_read_usd_per_mtok=cache_usd, system_prompt_tokens=args.system_prompt_tokens,
        context_multiplier=args.context_multiplier, retry_rate=args.retry_rate,
        power_user_multiplier=args.power_user_multiplier, days=args.days,
        cached_input_share=args.cached_input_share,
        embeddings_overhead=args.embeddings_overhead)
    if args.json:
        print(dump_json({
            "model": args.model,
            "monthly_cost": cost.monthly_usd,
            "input_tokens_per_month": cost.input_tokens_per_month,
            "output_tokens_per_month": cost.output_tokens_per_month,
            "input_cost": cost.input_usd,
            "output_cost": cost.output_usd,
            "embeddings_cost": cost.embeddings_usd,
            "prices_usd_per_mtok": {"input": in_usd, "output": out_usd, "cache_read": cache_usd},
        }))
        return 0
    rows = [
        ["Input", tokens(cost.input_tokens_per_month), per_mtok(in_usd), usd(cost.input_usd)],
        ["Output", tokens(cost.output_tokens_per_month), per_mtok(out_usd),
         usd(cost.output_usd)],
    ]
    if cost.embeddings_usd:
        rows.append(["Embeddings", "", f"+{args.embeddings_overhead:.0%}",
                     usd(cost.embeddings_usd)])
    rows.append(["Monthly API cost", "", "", usd(cost.monthly_usd)])
    print(f"{args.model}: {input_tokens:g} in / {output_tokens:g} out tokens per interaction, "
          f"{args.interactions:g} interactions/day")
    print(table(["", "Tokens/month", "Price", "Cost"], rows, right=[False, True, True, True]))
    return 0
