"""The plan: which clients to move to self-hosted models, which stay on the API or go to the
hosted open-weight model, in what order, and what each should pay. Pure arithmetic; no I/O.

Every client goes where the roster pins it (``PricedClient.hosting``) or, unpinned, wherever
the month's total COGS is lowest. Off self-hosting a client costs ``alt``: its API cost, or the
open-weight cost when that model is set and cheaper (or pinned). Self-hosting the set S costs
what ``portfolio.compute`` charges for |S| clients:

    F = base_monthly * (1 + buffer)                      the fixed base, one GPU server in it
    m = per_client * (1 + buffer) + retraining           each self-hosted client
    G = server_usd * (1 + buffer)                        each server beyond the first
    self(S) = F + m * |S| + G * (servers(S) - 1)         (nothing when S is empty)

Moving client i saves ``s_i = alt_i - m`` before the shared costs; total COGS is
``sum(alt) - (sum of s_i over S - F - G * (servers(S) - 1))``.

- Capacity off (one server, G unused), a closed form: every unpinned client with s_i > 0
  moves, and the fixed base is paid, when a client is pinned to self or those savings add up
  to more than F; otherwise nobody moves.
- Capacity on: servers(S) = max(1, ceil(load(S) / one server's month)), load being GPU
  seconds (input / prefill_tps + output / decode_tps). For k servers the best S is a 0/1
  knapsack (the most savings whose load fits k servers beside the pinned clients'), so the
  plan is the best over k of knapsack(k) - F - G * (k - 1). Its LP bound is concave in k:
  the search starts at the k with the highest bound, walks outward in order of the bounds,
  and stops when no bound beats the best plan found; each knapsack is solved exactly
  (``knapsack``). If the state budget runs out, the plan found is reported with ``gap_usd``,
  the proven distance to the optimum, and ``exact`` false.

A client whose saving is not positive never moves unless pinned to self. Loads are exact
integers (token counts as the floats they are, over the GPU's throughputs), so a set that
exactly fills its servers fits.

Each self-hosted client's plan cost is m plus a share of the shared costs (F and the extra
servers) in proportion to its monthly tokens, as ``portfolio`` shares the self-hosted cost
(equally when none uses tokens); the costs add up to the plan's COGS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from xlmargin import calc, portfolio
from xlmargin.errors import InputError
from xlmargin.knapsack import Knapsack
from xlmargin.models import AgencySettings, GpuPreset, Hosting
from xlmargin.portfolio import ExcludedRow, OpenWeightPrices, Portfolio, PricedClient

API, SELF, OPEN_WEIGHT = "api", "self", "open_weight"
# Why a client is where the plan puts it.
MOVES, PINNED, NO_SAVING, FIXED_COST, CAPACITY = (
    "moves", "pinned", "no saving", "fixed cost", "capacity")
STATE_BUDGET = 1_000_000
"""Knapsack states the capacity-on search may create before it settles for a proven gap."""


@dataclass(frozen=True, slots=True)
class PlanClient:
    client: str
    hosting: Hosting
    """Where the plan puts it."""
    pinned: bool
    api_cost: float
    open_weight_cost: float | None
    plan_cost: float
    """Its cost where the plan puts it (self-hosted: m plus its token share of F and servers)."""
    saving_if_moved: float
    """Monthly saving of self-hosting it, before the shared costs: alt - m."""
    revenue: float
    plan_margin: float | None
    price_for_target: float | None
    """The retainer that reaches the target margin at ``plan_cost``."""
    reason: str
    """moves, pinned, no saving, fixed cost (the savings do not pay for self-hosting) or
    capacity (it would need a server that costs more than it saves)."""
    where: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    clients: list[PlanClient]
    order: list[PlanClient]
    """The clients that self-host, largest saving first: the order to move them in."""
    revenue: float
    plan_cogs: float
    all_api_cogs: float
    all_self_cogs: float
    """Everyone self-hosted: ``portfolio.compute``'s ft_cogs."""
    all_open_weight_cogs: float | None
    plan_margin: float | None
    servers: int
    """GPU servers the plan runs (0 when nobody self-hosts)."""
    capacity: bool
    exact: bool
    """Proven optimal; else ``plan_cogs`` is within ``gap_usd`` of the optimum."""
    gap_usd: float
    target_margin: float
    portfolio: Portfolio
    warnings: list[str] = field(default_factory=list)

    @property
    def saving(self) -> float:
        return self.all_api_cogs - self.plan_cogs

    def as_json(self) -> dict[str, object]:
        def row(c: PlanClient) -> dict[str, object]:
            return {"client": c.client, "hosting": c.hosting, "pinned": c.pinned,
                    "api_cost": c.api_cost, "plan_cost": c.plan_cost,
                    "saving_if_moved": c.saving_if_moved, "revenue": c.revenue,
                    "plan_margin": c.plan_margin, "price_for_target": c.price_for_target}

        totals: dict[str, object] = {
            "plan_cogs": self.plan_cogs, "all_api_cogs": self.all_api_cogs,
            "all_self_cogs": self.all_self_cogs, "plan_margin": self.plan_margin,
            "servers": self.servers, "saving": self.saving, "revenue": self.revenue}
        if self.all_open_weight_cogs is not None:
            totals["all_open_weight_cogs"] = self.all_open_weight_cogs
        p = self.portfolio
        return {
            "clients": [row(c) for c in self.clients],
            "order": [{"step": i, "client": c.client, "saving_if_moved": c.saving_if_moved,
                       "pinned": c.pinned} for i, c in enumerate(self.order, start=1)],
            "stays": [{"client": c.client, "hosting": c.hosting, "reason": c.reason,
                       "saving_if_moved": c.saving_if_moved}
                      for c in self.clients if c.hosting != SELF],
            "totals": totals, "exact": self.exact, "gap_usd": self.gap_usd,
            "target_margin": self.target_margin, "complete": p.complete,
            "skipped": [r.as_json() for r in p.excluded], "warnings": self.warnings}


@dataclass(frozen=True, slots=True)
class _Costs:
    """The self-hosted side's unit costs (see the module docstring)."""

    fixed: float
    marginal: float
    server: float
    base_monthly: float
    per_client: float
    buffer: float
    server_usd: float
    retraining: float

    def total(self, clients: int, servers: int) -> float:
        """``portfolio``'s ft_cost of ``clients`` clients on ``servers`` servers."""
        if clients == 0:
            return 0.0
        return calc.ft_cost(clients, self.base_monthly, self.per_client, self.buffer,
                            servers=servers, server_usd=self.server_usd,
                            retraining_usd=self.retraining)


def _costs(settings: AgencySettings) -> _Costs:
    infra, gpu = settings.infra, settings.gpu
    if gpu is not None:  # the GPU's price is the base's server, as portfolio prices it
        infra = infra.model_copy(update={"gpu_server_usd": gpu.monthly_usd})
    k = 1 + infra.buffer
    retraining = settings.hidden_costs.retraining_usd_per_client
    return _Costs(fixed=infra.base_monthly_usd * k, marginal=infra.per_client_usd * k + retraining,
                  server=infra.gpu_server_usd * k if gpu is not None else 0.0,
                  base_monthly=infra.base_monthly_usd, per_client=infra.per_client_usd,
                  buffer=infra.buffer, server_usd=infra.gpu_server_usd, retraining=retraining)


def exact_loads(inputs: Sequence[float], outputs: Sequence[float], gpu: GpuPreset,
                utilization: float) -> tuple[list[int], int]:
    """Each client's GPU seconds a month and one server's planned seconds, as integers on one
    scale: (in / prefill + out / decode) and 30 * 86400 * utilization, times a common
    denominator. Exact, so ``ceil(sum / server)`` is ``calc.servers_needed`` of the exact sums."""
    prefill, decode, util = map(Fraction, (gpu.prefill_tps, gpu.decode_tps, utilization))
    pairs = [(x.as_integer_ratio(), y.as_integer_ratio()) for x, y in zip(inputs, outputs,
                                                                          strict=True)]
    # Token counts' denominators are powers of two: scale by the largest.
    shift = max((d.bit_length() - 1 for pair in pairs for _, d in pair), default=0)
    in_scale = prefill.denominator * decode.numerator * util.denominator
    out_scale = decode.denominator * prefill.numerator * util.denominator
    loads = [(a << (shift - da.bit_length() + 1)) * in_scale
             + (c << (shift - dc.bit_length() + 1)) * out_scale
             for (a, da), (c, dc) in pairs]
    server = (calc.SECONDS_PER_MONTH * util.numerator * prefill.numerator * decode.numerator
              << shift)
    return loads, server


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _choose_with_capacity(pinned_saving: float, pinned_load: int, any_pinned: bool,
                          savings: Sequence[float], loads: Sequence[int], server_load: int,
                          costs: _Costs, budget: int
                          ) -> tuple[tuple[int, ...] | None, float]:
    """Which candidates to move (indices into ``savings``; None: nobody self-hosts, only
    possible with no client pinned to self) and the proven gap to the optimum in dollars."""
    sack = Knapsack(savings, loads, server_load)
    k_min = max(1, _ceil_div(pinned_load, server_load))
    k_max = max(k_min, _ceil_div(pinned_load + sack.total_weight, server_load))

    def offset(k: int) -> float:  # the plan's saving at k servers, less the knapsack's
        return pinned_saving - costs.fixed - costs.server * (k - 1)

    def upper(k: int) -> float:
        if not k_min <= k <= k_max:
            return -math.inf
        return offset(k) + sack.lp_bound(k * server_load - pinned_load)

    best, chosen = offset(k_max) + sack.total_profit, tuple(range(len(savings)))
    moved: tuple[int, ...] | None = chosen
    if not any_pinned and best <= 0:
        best, moved = 0.0, None
    lo, hi = k_min, k_max  # the bound is concave in k: find its peak
    while lo < hi:
        mid = (lo + hi) // 2
        if upper(mid + 1) > upper(mid):
            lo = mid + 1
        else:
            hi = mid
    left, right, unproven = lo, lo + 1, -math.inf
    while True:
        bound_left, bound_right = upper(left), upper(right)
        if max(bound_left, bound_right) <= best:
            break
        if budget <= 0:
            unproven = max(unproven, bound_left, bound_right)
            break
        if bound_left >= bound_right:
            k, left = left, left - 1
        else:
            k, right = right, right + 1
        result = sack.solve(k * server_load - pinned_load, floor=best - offset(k),
                            budget=budget)
        budget -= max(1, result.states)
        if result.chosen is not None and offset(k) + result.profit > best:
            best, moved = offset(k) + result.profit, result.chosen
        if not result.exact:
            unproven = max(unproven, offset(k) + result.bound)
    return moved, max(0.0, unproven - best)


def compute(clients: Sequence[PricedClient], settings: AgencySettings,
            warnings: Sequence[str] = (), open_weight: OpenWeightPrices | None = None,
            excluded: Sequence[ExcludedRow] = (), budget: int = STATE_BUDGET,
            computed: Portfolio | None = None) -> Plan:
    """The lowest-COGS plan for the roster, respecting every pin (see the module docstring).
    Clients whose numbers do not compute are left out as ``portfolio.compute`` leaves them;
    ``computed`` is that portfolio when the caller has it already (``report`` does)."""
    report = computed or portfolio.compute(clients, settings, warnings, open_weight, excluded)
    gone = {id(s.client) for s in report.skipped}
    kept = [c for c in clients if id(c) not in gone]
    if open_weight is None:
        bad = [c for c in kept if c.hosting == OPEN_WEIGHT]
        if bad:
            raise InputError(bad[0].where or "roster", f"client {bad[0].client!r} is pinned to "
                             "open_weight, but no open-weight model is set (open_weight_model)")
    costs = _costs(settings)
    results = report.clients
    alts: list[tuple[Hosting, float]] = []
    for c, r in zip(kept, results, strict=True):
        cheaper_open = r.open_weight_cost is not None and r.open_weight_cost < r.api_cost
        if c.hosting == OPEN_WEIGHT or (c.hosting != API and cheaper_open):
            alts.append((OPEN_WEIGHT, r.open_weight_cost or 0.0))
        else:
            alts.append((API, r.api_cost))
    savings = [alt - costs.marginal for _, alt in alts]
    pinned_self = [i for i, c in enumerate(kept) if c.hosting == SELF]
    candidates = [i for i, c in enumerate(kept) if c.hosting is None and savings[i] > 0]
    gpu, gap = settings.gpu, 0.0
    loads: list[int] = []
    server_load = 1
    if gpu is None:
        gain = math.fsum(savings[i] for i in candidates)
        moving = candidates if pinned_self or gain > costs.fixed else []
    else:
        loads, server_load = exact_loads([r.input_tokens_per_month for r in results],
                                         [r.output_tokens_per_month for r in results], gpu,
                                         settings.capacity.utilization)
        picked, gap = _choose_with_capacity(
            math.fsum(savings[i] for i in pinned_self), sum(loads[i] for i in pinned_self),
            bool(pinned_self), [savings[i] for i in candidates], [loads[i] for i in candidates],
            server_load, costs, budget)
        moving = [] if picked is None else [candidates[j] for j in picked]
    on_self = set(pinned_self) | set(moving)
    servers = 0
    if on_self:
        servers = 1 if gpu is None else max(1, _ceil_div(sum(loads[i] for i in on_self),
                                                         server_load))
    self_total = costs.total(len(on_self), servers)
    shared = self_total - costs.marginal * len(on_self)
    volume = math.fsum(results[i].tokens_per_month for i in on_self)
    plan_warnings = list(report.warnings)
    planned: list[PlanClient] = []
    for i, (c, r) in enumerate(zip(kept, results, strict=True)):
        if i in on_self:
            share = (shared * (r.tokens_per_month / volume) if volume
                     else shared / len(on_self))
            hosting, cost = SELF, costs.marginal + share
            reason = PINNED if c.hosting == SELF else MOVES
        else:
            hosting, cost = alts[i]
            reason = (PINNED if c.hosting is not None else NO_SAVING if savings[i] <= 0
                      else FIXED_COST if not on_self else CAPACITY)
        planned.append(PlanClient(
            client=c.client, hosting=hosting, pinned=c.hosting is not None,
            api_cost=r.api_cost, open_weight_cost=r.open_weight_cost, plan_cost=cost,
            saving_if_moved=savings[i], revenue=r.revenue,
            plan_margin=_or_none(calc.margin, r.revenue, cost, c, plan_warnings),
            price_for_target=_or_none(calc.price_for_margin, cost, settings.target_margin, c,
                                      plan_warnings),
            reason=reason, where=c.where))
    plan_cogs = calc.finite(self_total + math.fsum(
        alts[i][1] for i in range(len(kept)) if i not in on_self), "plan COGS")
    order = sorted((planned[i] for i in on_self), key=lambda p: -p.saving_if_moved)
    return Plan(
        clients=planned, order=order, revenue=report.revenue, plan_cogs=plan_cogs,
        all_api_cogs=report.api_cogs, all_self_cogs=report.ft_cogs,
        all_open_weight_cogs=report.open_weight_cogs,
        plan_margin=calc.margin(report.revenue, plan_cogs) if report.revenue else None,
        servers=servers, capacity=gpu is not None, exact=gap == 0, gap_usd=gap,
        target_margin=settings.target_margin, portfolio=report, warnings=plan_warnings)


def _or_none(function: Callable[[float, float], float], first: float, second: float,
             client: PricedClient, warnings: list[str]) -> float | None:
    """A margin or price that may not compute (a few cents of revenue against a huge cost):
    None, with a warning naming the client, rather than no plan at all."""
    try:
        return function(first, second)
    except InputError as error:
        warnings.append(f"{client.where or 'roster'}: client {client.client!r}: {error}")
        return None
