"""The calculator's math: pure functions over numbers, no I/O and no heavy imports.

Formulas (the article's, generalised; defaults reproduce its "realistic" example):

    k             = interactions_per_day * days * context_multiplier * (1 + retry_rate)
                    * power_user_multiplier
    input_tokens  = (input_tokens_per_interaction + system_prompt_tokens) * k
    output_tokens = output_tokens_per_interaction * k
    api_cost      = (input_tokens * blended_input_price + output_tokens * output_price) / 1e6
                    * (1 + embeddings_overhead)
    ft_cost(n)    = (base_monthly + per_client * n) * (1 + buffer)

With capacity planning the GPU line of the base is one server of many, and explicit retraining
is added per client outside the buffer:

    servers(load) = ceil((input_tokens / prefill_tps + output_tokens / decode_tps)
                         / (30 * 86400 * utilization))
    ft_cost(n)    = (base_monthly + server_usd * (servers - 1) + per_client * n) * (1 + buffer)
                    + retraining_usd * n

The ``_kernel`` functions use only arithmetic operators so that the same code computes one client
from floats and a whole column from numpy arrays (see ``columns.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlmargin.errors import InputError

if TYPE_CHECKING:  # imported where used: the Excel functions' first call never needs it
    from fractions import Fraction

MTOK = 1_000_000.0

# The article's defaults (section 1, "Let's recalculate with multipliers").
SYSTEM_PROMPT_TOKENS = 1000.0
CONTEXT_MULTIPLIER = 2.5
RETRY_RATE = 0.05
POWER_USER_MULTIPLIER = 1.15
DAYS_PER_MONTH = 30.0
CACHED_INPUT_SHARE = 0.0
EMBEDDINGS_OVERHEAD = 0.0

# The article's self-hosted side (section 2): 3 seats * $14.50 + $80 GPU VPS + $10 misc.
SEATS = 3
SEAT_USD = 14.50
GPU_SERVER_USD = 80.0
OTHER_FIXED_USD = 10.0
BASE_MONTHLY_USD = SEATS * SEAT_USD + GPU_SERVER_USD + OTHER_FIXED_USD  # 133.50
PER_CLIENT_USD = 5.0
BUFFER = 0.0

# Capacity: a planning month of GPU time and the headroom kept for peaks.
SECONDS_PER_MONTH = 30 * 86400
UTILIZATION = 0.5
# The staircase crossover walks from one server count to the next; a search this long means
# the API cost per client is a hair above the self-hosted cost at full load.
MAX_CROSSOVER_STEPS = 100_000


def number(where: str, value: Any, *, minimum: float = 0.0, above: bool = False,
           maximum: float | None = None, whole: bool = False, share: bool = False) -> float:
    """Check that ``value`` is a finite number in range and return it as a float.

    ``above`` makes the minimum exclusive. The message names ``where`` (an argument, field or cell).
    ``share``: a fraction of a whole (retries, buffer, margins, utilization): at most 1; a bare
    number above 1 is refused with the fix ('20 is 2000%; did you mean 0.2 (20%)?'), the same
    everywhere a share is typed (text like '20%' is read at each edge: ``percent_text``).
    """
    if type(value) not in (float, int):
        import numbers  # a Fraction or numpy number from Python; cells pass floats

        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shown = "blank" if value is None or value == "" else _shown(value)
            raise InputError(where, f"expected a number, got {shown}")
    try:
        x = float(value)
    except OverflowError:  # an int past 1.8e308
        raise InputError(where, "too large to compute with (more than 1.8e308)") from None
    if not math.isfinite(x):
        raise InputError(where, f"expected a finite number, got {value!r}")
    if above and x <= minimum:
        raise InputError(where, f"must be greater than {minimum:g}, got {x:g}")
    if not above and x < minimum:
        raise InputError(where, f"must be at least {minimum:g}, got {x:g}")
    if share and x > 1:
        raise InputError(where, f"{x:g} is {x * 100:g}%; did you mean {x / 100:g} ({x:g}%)?")
    if maximum is not None and x > maximum:
        raise InputError(where, f"must be at most {maximum:g}, got {x:g}")
    if whole and not x.is_integer():
        raise InputError(where, f"must be a whole number, got {x:g}")
    return x


def percent_text(value: Any) -> Any:
    """'20%' (a share typed as text, as a CSV or settings file may hold it) as 0.2; anything
    else unchanged."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1].replace(" ", "")) / 100
        except ValueError:
            return value
    return value


def _shown(value: Any) -> str:
    """A value for a message: its repr, cut short (a Python caller can pass anything)."""
    try:
        text = repr(value)
    except Exception:  # a repr that fails is the caller's object's problem, not a traceback
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def finite(value: float, where: str = "result") -> float:
    """``value`` if it is a finite number. Checked inputs can still overflow a float together
    (1e300 tokens at 1e300 interactions), and inf or NaN would show as a blank or a bogus
    number; say so instead."""
    if not math.isfinite(value):
        raise InputError(where, "too large to compute (the inputs overflow a float)")
    return value


# Bounds for each multiplier, shared by the scalar checks here and the column checks.
MULTIPLIER_BOUNDS: dict[str, dict[str, Any]] = {
    "system_prompt_tokens": {"minimum": 0.0},
    "context_multiplier": {"minimum": 1.0},
    "retry_rate": {"minimum": 0.0, "maximum": 1.0, "share": True},
    "power_user_multiplier": {"minimum": 1.0},
    "days": {"minimum": 0.0, "above": True, "maximum": 31.0},
    "cached_input_share": {"minimum": 0.0, "maximum": 1.0, "share": True},
    "embeddings_overhead": {"minimum": 0.0, "maximum": 1.0, "share": True},
}


def api_cost_kernel(input_tokens: Any, output_tokens: Any, interactions_per_day: Any,
                    input_usd_per_mtok: Any, output_usd_per_mtok: Any,
                    cache_read_usd_per_mtok: Any, system_prompt_tokens: Any,
                    context_multiplier: Any, retry_rate: Any, power_user_multiplier: Any,
                    days: Any, cached_input_share: Any,
                    embeddings_overhead: Any) -> tuple[Any, ...]:
    """The formula on validated inputs, on floats and numpy arrays alike.

    Returns (input_tokens_per_month, output_tokens_per_month, input_usd, output_usd,
    embeddings_usd, monthly_usd).
    """
    k = (interactions_per_day * days * context_multiplier * (1 + retry_rate)
         * power_user_multiplier)
    input_per_month = (input_tokens + system_prompt_tokens) * k
    output_per_month = output_tokens * k
    input_price = ((1 - cached_input_share) * input_usd_per_mtok
                   + cached_input_share * cache_read_usd_per_mtok)
    input_usd = input_per_month * input_price / MTOK
    output_usd = output_per_month * output_usd_per_mtok / MTOK
    embeddings_usd = (input_usd + output_usd) * embeddings_overhead
    return (input_per_month, output_per_month, input_usd, output_usd, embeddings_usd,
            input_usd + output_usd + embeddings_usd)


@dataclass(frozen=True, slots=True)
class ApiCost:
    """One client's month on a per-token API."""

    monthly_usd: float
    input_tokens_per_month: float
    output_tokens_per_month: float
    input_usd: float
    output_usd: float
    embeddings_usd: float


def api_cost_breakdown(input_tokens: float, output_tokens: float, interactions_per_day: float,
                       input_usd_per_mtok: float, output_usd_per_mtok: float, *,
                       cache_read_usd_per_mtok: float | None = None,
                       system_prompt_tokens: float = SYSTEM_PROMPT_TOKENS,
                       context_multiplier: float = CONTEXT_MULTIPLIER,
                       retry_rate: float = RETRY_RATE,
                       power_user_multiplier: float = POWER_USER_MULTIPLIER,
                       days: float = DAYS_PER_MONTH,
                       cached_input_share: float = CACHED_INPUT_SHARE,
                       embeddings_overhead: float = EMBEDDINGS_OVERHEAD) -> ApiCost:
    """Monthly API cost of one client with tokens and the input/output split."""
    number("input_tokens", input_tokens)
    number("output_tokens", output_tokens)
    number("interactions_per_day", interactions_per_day)
    number("input_usd_per_mtok", input_usd_per_mtok)
    number("output_usd_per_mtok", output_usd_per_mtok)
    if cache_read_usd_per_mtok is None:
        cache_read_usd_per_mtok = input_usd_per_mtok
    number("cache_read_usd_per_mtok", cache_read_usd_per_mtok)
    multipliers = {
        "system_prompt_tokens": system_prompt_tokens,
        "context_multiplier": context_multiplier,
        "retry_rate": retry_rate,
        "power_user_multiplier": power_user_multiplier,
        "days": days,
        "cached_input_share": cached_input_share,
        "embeddings_overhead": embeddings_overhead,
    }
    for name, value in multipliers.items():
        number(name, value, **MULTIPLIER_BOUNDS[name])
    parts = api_cost_kernel(input_tokens, output_tokens, interactions_per_day,
                            input_usd_per_mtok, output_usd_per_mtok, cache_read_usd_per_mtok,
                            system_prompt_tokens, context_multiplier, retry_rate,
                            power_user_multiplier, days, cached_input_share, embeddings_overhead)
    input_per_month, output_per_month, input_usd, output_usd, embeddings_usd, total = parts
    return ApiCost(
        monthly_usd=finite(total),
        input_tokens_per_month=input_per_month,
        output_tokens_per_month=output_per_month,
        input_usd=input_usd,
        output_usd=output_usd,
        embeddings_usd=embeddings_usd,
    )


def api_cost(input_tokens: float, output_tokens: float, interactions_per_day: float,
             input_usd_per_mtok: float, output_usd_per_mtok: float, **multipliers: float) -> float:
    """Monthly API cost in USD of one client (see the module docstring for the formula)."""
    return api_cost_breakdown(input_tokens, output_tokens, interactions_per_day,
                              input_usd_per_mtok, output_usd_per_mtok, **multipliers).monthly_usd


def base_monthly(seats: float = SEATS, seat_usd: float = SEAT_USD,
                 gpu_server_usd: float = GPU_SERVER_USD,
                 other_fixed_usd: float = OTHER_FIXED_USD) -> float:
    """Fixed monthly cost of self-hosting: platform seats, the GPU server and the rest."""
    number("seats", seats, whole=True)
    number("seat_usd", seat_usd)
    number("gpu_server_usd", gpu_server_usd)
    number("other_fixed_usd", other_fixed_usd)
    return finite(seats * seat_usd + gpu_server_usd + other_fixed_usd)


def _check_infra(base_monthly_usd: float, per_client_usd: float, buffer: float) -> None:
    number("base_monthly", base_monthly_usd)
    number("per_client", per_client_usd)
    number("buffer", buffer, share=True)


def ft_cost(clients: float, base_monthly_usd: float = BASE_MONTHLY_USD,
            per_client_usd: float = PER_CLIENT_USD, buffer: float = BUFFER, *,
            servers: int = 1, server_usd: float = 0.0, retraining_usd: float = 0.0) -> float:
    """Monthly cost of self-hosted fine-tuned models for ``clients`` clients.

    ``base_monthly_usd`` holds one GPU server; with capacity, ``servers`` of them at
    ``server_usd`` each. ``retraining_usd`` is each client's monthly retraining, added outside
    the buffer (the buffer is the article's rough allowance for the same work).
    """
    number("clients", clients, whole=True)
    _check_infra(base_monthly_usd, per_client_usd, buffer)
    number("servers", servers, minimum=1, whole=True)
    number("server_usd", server_usd)
    number("retraining_usd", retraining_usd)
    return finite((base_monthly_usd + server_usd * (servers - 1) + per_client_usd * clients)
                  * (1 + buffer) + retraining_usd * clients)


def crossover(api_cost_per_client: float, base_monthly_usd: float = BASE_MONTHLY_USD,
              per_client_usd: float = PER_CLIENT_USD, buffer: float = BUFFER, *,
              retraining_usd: float = 0.0) -> int | None:
    """The smallest client count n >= 1 where ft_cost(n) < n * api_cost_per_client.

    None when it never happens: each client's API cost does not exceed the self-hosted marginal
    cost per_client * (1 + buffer) + retraining, so the API line never overtakes the other.
    """
    from fractions import Fraction

    number("api_cost_per_client", api_cost_per_client)
    _check_infra(base_monthly_usd, per_client_usd, buffer)
    number("retraining_usd", retraining_usd)
    # Exact rational arithmetic on the given floats: the first whole n above fixed / marginal,
    # with no float rounding to nudge around, however large n gets.
    api, base, per, extra, retrain = map(Fraction, (api_cost_per_client, base_monthly_usd,
                                                    per_client_usd, buffer, retraining_usd))
    marginal = api - per * (1 + extra) - retrain
    if marginal <= 0:
        return None
    return max(1, math.floor(base * (1 + extra) / marginal) + 1)


def server_share(input_tokens_per_month: float, output_tokens_per_month: float,
                 prefill_tps: float, decode_tps: float,
                 utilization: float = UTILIZATION) -> Fraction:
    """How many servers a month's load fills, unrounded and exact: GPU seconds over the
    seconds one server is planned to work (30 days at ``utilization``)."""
    from fractions import Fraction

    number("input_tokens_per_month", input_tokens_per_month)
    number("output_tokens_per_month", output_tokens_per_month)
    number("prefill_tps", prefill_tps, above=True)
    number("decode_tps", decode_tps, above=True)
    number("utilization", utilization, above=True, share=True)
    seconds = (Fraction(input_tokens_per_month) / Fraction(prefill_tps)
               + Fraction(output_tokens_per_month) / Fraction(decode_tps))
    return seconds / (SECONDS_PER_MONTH * Fraction(utilization))


def servers_needed(input_tokens_per_month: float, output_tokens_per_month: float,
                   prefill_tps: float, decode_tps: float,
                   utilization: float = UTILIZATION) -> int:
    """GPU servers for a month's load: ceil((in / prefill + out / decode) / (30 * 86400 *
    utilization)). Zero load needs zero; a self-hosted setup still runs one (see ft_cost)."""
    return math.ceil(server_share(input_tokens_per_month, output_tokens_per_month,
                                  prefill_tps, decode_tps, utilization))


@dataclass(frozen=True, slots=True)
class Crossover:
    """Where self-hosting on a staircase of servers beats the API.

    ``first``: the smallest client count where self-hosting is cheaper. Each new server makes
    the self-hosted line jump, so it can be dearer again for a few counts after that;
    ``stays_from``: the smallest count from which it is cheaper at every larger count. Both are
    None together: if self-hosting is ever cheaper it is cheaper for good eventually (see
    ``crossover_at_capacity``).
    """

    first: int | None
    stays_from: int | None

    @property
    def stays_cheaper(self) -> bool:
        """Whether self-hosting stays cheaper from the first cheaper count on."""
        return self.first is not None and self.first == self.stays_from


def crossover_at_capacity(api_cost_per_client: float, base_monthly_usd: float,
                          per_client_usd: float, buffer: float, *, server_usd: float,
                          servers_per_client: float | Fraction,
                          retraining_usd: float = 0.0) -> Crossover:
    """The crossover when n clients need servers(n) = max(1, ceil(n * servers_per_client))
    servers, ``base_monthly_usd`` holding the first of them (``ft_cost`` with that count).

    Why the answer exists and the search ends: with k = 1 + buffer and
    m = api - per_client * k - retraining, self-hosting is cheaper at n when
    n * m > (base - server + server * servers(n)) * k. As servers(n) >= n * share, that needs
    m > server * share * k (the API beats the fully loaded self-hosted cost per client); else
    never. When it holds, servers(n) <= n * share + 1 makes every n above
    (base * k) / (m - server * share * k) cheaper. ``first`` is the least fixed point of
    n -> h(n) = floor((base + server * (servers(n) - 1)) * k / m) + 1 (the count that would be
    cheaper were the server count frozen at servers(n)), reached by iterating from 1;
    ``stays_from`` comes from iterating n -> h(n) - 1 down from that bound. Exact rationals.
    """
    from fractions import Fraction

    number("api_cost_per_client", api_cost_per_client)
    _check_infra(base_monthly_usd, per_client_usd, buffer)
    number("server_usd", server_usd, maximum=base_monthly_usd)
    number("retraining_usd", retraining_usd)
    share = Fraction(servers_per_client)
    if share < 0:
        raise InputError("servers_per_client", f"must be at least 0, got {float(share):g}")
    api, base, per, k, server, retrain = map(Fraction, (
        api_cost_per_client, base_monthly_usd, per_client_usd, 1 + Fraction(buffer),
        server_usd, retraining_usd))
    m = api - per * k - retrain
    loaded = m - server * share * k
    if m <= 0 or loaded <= 0:
        return Crossover(None, None)

    def h(n: int) -> int:
        servers = servers_for(n, share)
        return math.floor((base + server * (servers - 1)) * k / m) + 1

    def too_long() -> InputError:
        return InputError("api_cost_per_client", "the crossover search took over "
                          f"{MAX_CROSSOVER_STEPS:,} server steps: the API cost per client is "
                          "too close to the self-hosted cost per client at full load")

    n, steps = 1, 0
    while n < h(n):
        n, steps = h(n), steps + 1
        if steps > MAX_CROSSOVER_STEPS:
            raise too_long()
    first = n
    n, steps = math.floor(base * k / loaded), 0  # every count above this one is cheaper
    while n >= 1 and n >= h(n):
        n, steps = h(n) - 1, steps + 1
        if steps > MAX_CROSSOVER_STEPS:
            raise too_long()
    return Crossover(first, max(first, n + 1))


def margin(revenue: float, cogs: float) -> float:
    """Gross margin as a fraction: (revenue - cogs) / revenue."""
    number("revenue", revenue, above=True)
    number("cogs", cogs)
    return finite((revenue - cogs) / revenue)


def price_for_margin(cogs: float, target_margin: float) -> float:
    """The monthly revenue (retainer) at which ``cogs`` leaves ``target_margin``."""
    number("cogs", cogs)
    wanted = number("target_margin", target_margin, minimum=-math.inf, share=True)
    if wanted >= 1:
        raise InputError("target_margin", f"must be below 1 (100%), got {wanted:g}")
    return finite(cogs / (1 - target_margin))


@dataclass(frozen=True, slots=True)
class CrossoverRow:
    """One line of the article's "The Math at Scale" table."""

    clients: int
    api_cogs: float
    ft_cogs: float
    api_margin: float | None
    ft_margin: float | None
    servers: int = 1

    @property
    def winner(self) -> str:
        return "self-hosted" if self.ft_cogs < self.api_cogs else "API"


def servers_for(clients: int, servers_per_client: float | Fraction) -> int:
    """Servers ``clients`` average clients need: never fewer than the one self-hosting runs."""
    from fractions import Fraction

    return max(1, math.ceil(clients * Fraction(servers_per_client)))


def crossover_table(api_cost_per_client: float, client_counts: Iterable[int], *,
                    revenue_per_client: float | None = None,
                    base_monthly_usd: float = BASE_MONTHLY_USD,
                    per_client_usd: float = PER_CLIENT_USD,
                    buffer: float = BUFFER, server_usd: float = 0.0,
                    servers_per_client: float | Fraction = 0,
                    retraining_usd: float = 0.0) -> list[CrossoverRow]:
    """COGS (and margins, given a retainer) of both options for each client count; with
    capacity, the self-hosted side runs servers_for(n, servers_per_client) servers."""
    number("api_cost_per_client", api_cost_per_client)
    rows = []
    for n in client_counts:
        api = finite(n * api_cost_per_client)
        servers = servers_for(n, servers_per_client)
        ft = ft_cost(n, base_monthly_usd, per_client_usd, buffer, servers=servers,
                     server_usd=server_usd, retraining_usd=retraining_usd)
        revenue = None if revenue_per_client is None else n * revenue_per_client
        rows.append(CrossoverRow(
            clients=n,
            api_cogs=api,
            ft_cogs=ft,
            api_margin=margin(revenue, api) if revenue else None,
            ft_margin=margin(revenue, ft) if revenue else None,
            servers=servers,
        ))
    return rows
