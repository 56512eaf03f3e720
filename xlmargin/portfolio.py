"""The whole roster at once: each client's API cost, its share of the self-hosted cost, both
margins, the totals and the crossover. Pure arithmetic over ``calc``; no I/O.

This is what ``xlmargin report`` prints and what the workbook's formulas compute, so the tests
hold the two against each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xlmargin import calc
from xlmargin.models import AgencySettings

UNDERWATER = "Underwater"
BELOW_TARGET = "Below target"
OK = "OK"


@dataclass(frozen=True, slots=True)
class PricedClient:
    """A roster row with its tokens and prices resolved (from a use-case table and price list)."""

    client: str
    model: str
    input_tokens: float
    output_tokens: float
    interactions_per_day: float
    monthly_revenue: float
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_read_usd_per_mtok: float
    where: str = ""
    """The row's position, e.g. 'Clients!A7' or 'roster.csv: row 7'."""


@dataclass(frozen=True, slots=True)
class ClientResult:
    client: str
    model: str
    tokens_per_month: float
    api_cost: float
    ft_cost: float
    revenue: float
    api_margin: float
    ft_margin: float
    status: str
    where: str = ""


@dataclass(frozen=True, slots=True)
class Portfolio:
    clients: list[ClientResult]
    revenue: float
    api_cogs: float
    ft_cogs: float
    api_margin: float | None
    ft_margin: float | None
    average_api_cost: float | None
    crossover: int | None
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The shape `xlmargin report --json` prints (issue 3)."""
        return {
            "clients": [{"client": c.client, "api_cost": c.api_cost, "ft_cost": c.ft_cost,
                         "revenue": c.revenue, "api_margin": c.api_margin,
                         "ft_margin": c.ft_margin} for c in self.clients],
            "totals": {"revenue": self.revenue, "api_cogs": self.api_cogs,
                       "ft_cogs": self.ft_cogs, "api_margin": self.api_margin,
                       "ft_margin": self.ft_margin},
            "crossover": self.crossover,
            "warnings": self.warnings,
        }


def status(api_margin: float, target_margin: float) -> str:
    """The Clients sheet's Status column: negative margin, below the target, or fine."""
    if api_margin < 0:
        return UNDERWATER
    if api_margin < target_margin:
        return BELOW_TARGET
    return OK


def compute(clients: Sequence[PricedClient], settings: AgencySettings,
            warnings: Sequence[str] = ()) -> Portfolio:
    """Every client's costs and margins, the totals and the crossover.

    The self-hosted cost is ft_cost(number of clients), shared out in proportion to each
    client's monthly token volume (equally when no client uses any tokens), so the shares add up
    to the total.
    """
    m, infra = settings.multipliers, settings.infra
    costs = [calc.api_cost_breakdown(
        c.input_tokens, c.output_tokens, c.interactions_per_day, c.input_usd_per_mtok,
        c.output_usd_per_mtok, cache_read_usd_per_mtok=c.cache_read_usd_per_mtok,
        **m.model_dump()) for c in clients]
    volumes = [cost.input_tokens_per_month + cost.output_tokens_per_month for cost in costs]
    ft_cogs = infra.ft_cost(len(clients))
    total_volume = sum(volumes)
    results = []
    for c, cost, volume in zip(clients, costs, volumes, strict=True):
        share = ft_cogs * volume / total_volume if total_volume else ft_cogs / len(clients)
        api_margin = calc.margin(c.monthly_revenue, cost.monthly_usd)
        results.append(ClientResult(
            client=c.client, model=c.model, tokens_per_month=volume,
            api_cost=cost.monthly_usd, ft_cost=share, revenue=c.monthly_revenue,
            api_margin=api_margin, ft_margin=calc.margin(c.monthly_revenue, share),
            status=status(api_margin, settings.target_margin), where=c.where))
    revenue = sum(r.revenue for r in results)
    api_cogs = sum(r.api_cost for r in results)
    average = api_cogs / len(results) if results else None
    return Portfolio(
        clients=results, revenue=revenue, api_cogs=api_cogs, ft_cogs=ft_cogs,
        api_margin=calc.margin(revenue, api_cogs) if revenue else None,
        ft_margin=calc.margin(revenue, ft_cogs) if revenue else None,
        average_api_cost=average,
        crossover=None if average is None else infra.crossover(average),
        warnings=list(warnings))
