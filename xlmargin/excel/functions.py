"""The Excel functions with Excel's manners, in plain Python.

Each function takes what a worksheet passes (numbers, text, blanks as None, and ranges as lists of
rows) and answers the way a cell should: a number, or a short text starting with ``#`` that names
the argument and the problem. A range argument makes the function answer a range of the same
shape, one result per row, in one call. ``udfs.py`` registers these with xlwings; the argument
descriptions below (``Annotated`` docs) are what Excel's function wizard shows.

Blank optional arguments take their defaults. A row whose required inputs are all blank answers
``""`` (nothing typed yet), not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from xlmargin import calc
from xlmargin.catalog import default_catalog
from xlmargin.errors import InputError, XlmarginError
from xlmargin.excel.api_cost import api_cost_cells
from xlmargin.excel.cells import cell_error, elementwise, optional
from xlmargin.presets import use_case

# Every argument arrives as a 2-D list when it is a range (ndim=2 keeps rows and columns apart)
# and Excel error cells arrive as their text ('#N/A') so messages can name them.
CELL = {"ndim": 2, "err_to_str": True}

Model = Annotated[Any, {**CELL, "doc": "Model name, e.g. gpt-4o or Claude 3.5 Sonnet."}]
InputTokens = Annotated[Any, {**CELL, "doc": "Input tokens per interaction, before system prompt."}]
OutputTokens = Annotated[Any, {**CELL, "doc": "Output tokens per interaction."}]
Interactions = Annotated[Any, {**CELL, "doc": "Interactions per day for this client."}]
SystemPrompt = Annotated[Any, {**CELL, "doc": "System prompt tokens per interaction (1000)."}]
Context = Annotated[Any, {**CELL, "doc": "Multi-turn context multiplier, 1 or more (2.5)."}]
Retry = Annotated[Any, {**CELL, "doc": "Share of calls retried, 0 to 1 (0.05)."}]
PowerUser = Annotated[Any, {**CELL, "doc": "Power-user multiplier, 1 or more (1.15)."}]
Days = Annotated[Any, {**CELL, "doc": "Billing days per month (30)."}]
InputPrice = Annotated[Any, {**CELL, "doc": "USD per 1M input tokens; overrides the catalog."}]
OutputPrice = Annotated[Any, {**CELL, "doc": "USD per 1M output tokens; overrides the catalog."}]
CachedShare = Annotated[Any, {**CELL, "doc": "Share of input tokens read from cache, 0-1 (0)."}]
CachePrice = Annotated[Any, {**CELL, "doc": "USD per 1M cached input tokens (catalog's)."}]
Embeddings = Annotated[Any, {**CELL, "doc": "Embeddings cost as a share of chat cost (0)."}]
Clients = Annotated[Any, {**CELL, "doc": "Number of clients served (whole number)."}]
BaseMonthly = Annotated[Any, {**CELL, "doc": "Fixed monthly self-hosting cost in USD (133.50)."}]
PerClient = Annotated[Any, {**CELL, "doc": "Monthly USD per client when self-hosting (5)."}]
Buffer = Annotated[Any, {**CELL, "doc": "Share added to self-hosting cost, e.g. 0.2 (0)."}]
ApiPerClient = Annotated[Any, {**CELL, "doc": "Average monthly API cost of one client in USD."}]
Revenue = Annotated[Any, {**CELL, "doc": "Monthly revenue (retainer) in USD."}]
Cogs = Annotated[Any, {**CELL, "doc": "Monthly cost of goods sold in USD."}]
TargetMargin = Annotated[Any, {**CELL, "doc": "Gross margin wanted, as a fraction (0.6 = 60%)."}]
PriceKind = Annotated[Any, {**CELL, "doc": "input, output or cache_read (input)."}]
UseCase = Annotated[Any, {**CELL, "doc": "Use case, e.g. customer_support or Document Q&A / RAG."}]
TokenKind = Annotated[Any, {**CELL, "doc": "input or output (input)."}]
InputPerMonth = Annotated[Any, {**CELL, "doc": "Input (prompt) tokens per month, all clients."}]
OutputPerMonth = Annotated[Any, {**CELL, "doc": "Output tokens per month, all clients."}]
PrefillTps = Annotated[Any, {**CELL, "doc": "Input tokens/s one server sustains, batched."}]
DecodeTps = Annotated[Any, {**CELL, "doc": "Output tokens/s one server sustains, batched."}]
Utilization = Annotated[Any, {**CELL, "doc": "Planned average utilization, 0 to 1 (0.5)."}]

# --- API_COST -------------------------------------------------------------------------------


def API_COST(model: Model, input_tokens: InputTokens, output_tokens: OutputTokens,
             interactions_per_day: Interactions, system_prompt_tokens: SystemPrompt = None,
             context_multiplier: Context = None, retry_rate: Retry = None,
             power_user_multiplier: PowerUser = None, days: Days = None,
             input_price: InputPrice = None, output_price: OutputPrice = None,
             cached_input_share: CachedShare = None, cache_read_price: CachePrice = None,
             embeddings_overhead: Embeddings = None):
    """Monthly API cost in USD of a client, with the article's multipliers. Ranges give a column."""
    try:
        catalog = default_catalog()  # reads $XLMARGIN_PRICES' file, which may be bad
    except XlmarginError as error:
        return cell_error(error)
    return api_cost_cells({
        "model": model, "input_tokens": input_tokens, "output_tokens": output_tokens,
        "interactions_per_day": interactions_per_day, "input_price": input_price,
        "output_price": output_price, "cache_read_price": cache_read_price,
        "system_prompt_tokens": system_prompt_tokens, "context_multiplier": context_multiplier,
        "retry_rate": retry_rate, "power_user_multiplier": power_user_multiplier, "days": days,
        "cached_input_share": cached_input_share, "embeddings_overhead": embeddings_overhead,
    }, catalog)


# --- The self-hosted side and margins --------------------------------------------------------


def FT_COST(clients: Clients, base_monthly: BaseMonthly = None, per_client: PerClient = None,
            buffer: Buffer = None):
    """Monthly USD of self-hosted fine-tuned models for a number of clients."""

    def one(clients: Any, base_monthly: Any, per_client: Any, buffer: Any) -> float:
        return calc.ft_cost(clients, optional(base_monthly, calc.BASE_MONTHLY_USD),
                            optional(per_client, calc.PER_CLIENT_USD),
                            calc.percent_text(optional(buffer, calc.BUFFER)))

    return elementwise(one, {"clients": clients, "base_monthly": base_monthly,
                             "per_client": per_client, "buffer": buffer})


def CROSSOVER(api_cost_per_client: ApiPerClient, base_monthly: BaseMonthly = None,
              per_client: PerClient = None, buffer: Buffer = None):
    """Smallest client count at which self-hosting costs less than the API."""

    def one(api_cost_per_client: Any, base_monthly: Any, per_client: Any, buffer: Any) -> Any:
        base = optional(base_monthly, calc.BASE_MONTHLY_USD)
        per = optional(per_client, calc.PER_CLIENT_USD)
        extra = calc.percent_text(optional(buffer, calc.BUFFER))
        n = calc.crossover(api_cost_per_client, base, per, extra)
        if n is None:
            raise InputError("api_cost_per_client", "never: API cost per client is not above "
                             f"the self-hosted {per * (1 + extra):g} per client")
        return n

    return elementwise(one, {"api_cost_per_client": api_cost_per_client,
                             "base_monthly": base_monthly, "per_client": per_client,
                             "buffer": buffer})


def MARGIN(revenue: Revenue, cogs: Cogs):
    """Gross margin as a fraction: (revenue - cogs) / revenue."""
    return elementwise(calc.margin, {"revenue": revenue, "cogs": cogs})


def PRICE_FOR_MARGIN(cogs: Cogs, target_margin: TargetMargin):
    """Monthly retainer in USD that leaves the target gross margin over cogs."""

    def one(cogs: Any, target_margin: Any) -> float:
        return calc.price_for_margin(cogs, calc.percent_text(target_margin))

    return elementwise(one, {"cogs": cogs, "target_margin": target_margin})


def MODEL_PRICE(model: Model, kind: PriceKind = None):
    """Catalog price of a model in USD per 1M tokens: input, output or cache_read."""

    def one(model: Any, kind: Any) -> float:
        price = default_catalog().listed(model)
        wanted = str(optional(kind, "input")).strip().lower().replace("-", "_")
        if wanted == "input":
            return price.input_usd_per_mtok
        if wanted == "output":
            return price.output_usd_per_mtok
        if wanted == "cache_read":
            if price.cache_read_usd_per_mtok is None:
                raise InputError("kind", f"no cache-read price listed for {price.model}")
            return price.cache_read_usd_per_mtok
        raise InputError("kind", f"expected input, output or cache_read, got {kind!r}")

    return elementwise(one, {"model": model, "kind": kind})


def USE_CASE_TOKENS(use_case_name: UseCase, kind: TokenKind = None):
    """Tokens per interaction for a use case from the article's table: input or output."""

    def one(use_case_name: Any, kind: Any) -> float:
        case = use_case(use_case_name, where="use_case_name")
        wanted = str(optional(kind, "input")).strip().lower()
        if wanted not in ("input", "output"):
            raise InputError("kind", f"expected input or output, got {kind!r}")
        return float(case.input_tokens if wanted == "input" else case.output_tokens)

    return elementwise(one, {"use_case_name": use_case_name, "kind": kind})


def GPU_SERVERS(input_tokens_per_month: InputPerMonth, output_tokens_per_month: OutputPerMonth,
                prefill_tps: PrefillTps, decode_tps: DecodeTps, utilization: Utilization = None):
    """GPU servers a month's load needs: prefill and decode time over planned server time."""

    def one(input_tokens_per_month: Any, output_tokens_per_month: Any, prefill_tps: Any,
            decode_tps: Any, utilization: Any) -> int:
        return calc.servers_needed(input_tokens_per_month, output_tokens_per_month,
                                   prefill_tps, decode_tps,
                                   calc.percent_text(optional(utilization, calc.UTILIZATION)))

    return elementwise(one, {"input_tokens_per_month": input_tokens_per_month,
                             "output_tokens_per_month": output_tokens_per_month,
                             "prefill_tps": prefill_tps, "decode_tps": decode_tps,
                             "utilization": utilization})


EXCEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (API_COST, FT_COST, CROSSOVER, MARGIN, PRICE_FOR_MARGIN, MODEL_PRICE,
              USE_CASE_TOKENS, GPU_SERVERS)
}

__all__ = [*EXCEL_FUNCTIONS]
