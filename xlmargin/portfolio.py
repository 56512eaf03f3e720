"""The whole roster at once: each client's API cost, its share of the self-hosted cost, both
margins, the totals and the crossover. Pure arithmetic over ``calc``; no I/O.

Each only when the settings ask for it: GPU servers as the load needs them (and the staircase
crossover), the hosted open-weight model as a third option, retraining per client and the
setup-labor payback. Without them every number is the article's.

Totals never leave a client out silently: every row that could not be read or computed is in
``excluded`` (row, cell, message), and the commands say at the top that the totals are
incomplete.

This is what ``xlmargin report`` prints and what the workbook's formulas compute, so the tests
hold the two against each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from xlmargin import calc
from xlmargin.errors import InputError
from xlmargin.models import AgencySettings, Hosting, Infra

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
    use_case: str | None = None
    """The use case as typed (sensitivity applies embeddings to retrieval use cases only)."""
    hosting: Hosting | None = None
    """Where the roster pins the client ('api', 'self', 'open_weight'); None: the plan decides."""


@dataclass(frozen=True, slots=True)
class OpenWeightPrices:
    """The hosted open-weight model's prices, USD per 1M tokens (the third option)."""

    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_read_usd_per_mtok: float


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
    open_weight_cost: float | None = None
    input_tokens_per_month: float = 0.0
    output_tokens_per_month: float = 0.0


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
    servers: int | None = None
    """GPU servers the month's load needs; None when capacity is off (one fixed server)."""
    gpu: str | None = None
    crossover_stays_from: int | None = None
    """With capacity: the client count from which self-hosting stays cheaper (see calc)."""
    open_weight_model: str | None = None
    open_weight_cogs: float | None = None
    open_weight_margin: float | None = None
    retraining_usd: float | None = None
    """Monthly retraining of all clients, in ft_cogs; None when off."""
    setup_payback_months: float | None = None
    setup: bool = False
    """Whether setup labor or fees are set (then setup_payback_months None means never)."""
    skipped: list[Skipped] = field(default_factory=list)
    """Clients left out because their numbers do not compute (also in ``warnings``)."""
    excluded: list[ExcludedRow] = field(default_factory=list)
    """Every row left out of the totals: unreadable ones (given to ``compute``) and the
    ``skipped`` ones."""

    @property
    def complete(self) -> bool:
        return not self.excluded

    def as_json(self) -> dict[str, object]:
        """The shape `xlmargin report --json` prints, plus the keys of options that are on:
        totals.servers and crossover_stays_cheaper_from with capacity, open_weight_cost per
        client and open_weight_cogs/margin with an open-weight model, totals.retraining_usd and
        totals.setup_payback_months with hidden costs. ``complete`` is false when ``skipped``
        lists rows left out of every total."""
        clients = []
        for c in self.clients:
            row: dict[str, object] = {
                "client": c.client, "model": c.model, "api_cost": c.api_cost,
                "ft_cost": c.ft_cost, "revenue": c.revenue, "api_margin": c.api_margin,
                "ft_margin": c.ft_margin, "status": c.status}
            if self.open_weight_model is not None:
                row["open_weight_cost"] = c.open_weight_cost
            clients.append(row)
        totals: dict[str, object] = {
            "revenue": self.revenue, "api_cogs": self.api_cogs, "ft_cogs": self.ft_cogs,
            "api_margin": self.api_margin, "ft_margin": self.ft_margin}
        data: dict[str, object] = {"clients": clients, "totals": totals,
                                   "crossover": self.crossover}
        if self.servers is not None:
            totals["servers"] = self.servers
            data["gpu"] = self.gpu
            data["crossover_stays_cheaper_from"] = self.crossover_stays_from
        if self.open_weight_model is not None:
            totals["open_weight_cogs"] = self.open_weight_cogs
            totals["open_weight_margin"] = self.open_weight_margin
            data["open_weight_model"] = self.open_weight_model
        if self.retraining_usd is not None:
            totals["retraining_usd"] = self.retraining_usd
        if self.setup:
            totals["setup_payback_months"] = self.setup_payback_months
        data["complete"] = self.complete
        data["skipped"] = [row.as_json() for row in self.excluded]
        data["warnings"] = self.warnings
        return data


def status(api_margin: float, target_margin: float) -> str:
    """The Clients sheet's Status column: negative margin, below the target, or fine."""
    if api_margin < 0:
        return UNDERWATER
    if api_margin < target_margin:
        return BELOW_TARGET
    return OK


@dataclass(frozen=True, slots=True)
class ExcludedRow:
    """A roster or workbook row left out of every total, and why."""

    row: int | None
    """The row number on the Clients sheet or in the roster file (None when unknown)."""
    cell: str
    """Where the problem is, e.g. 'Clients!D7' or 'roster.csv: row 7'."""
    message: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "cell": self.cell, "message": self.message}


def row_of(where: str) -> int | None:
    """7 for 'Clients!D7' or 'roster.csv: row 7'; None when ``where`` names no row."""
    match = re.search(r"(?:!\$?[A-Z]{1,3}\$?|\brow )(\d+)\b", where)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A client left out of the portfolio because its numbers do not compute."""

    client: PricedClient
    error: InputError
    """``where`` says what failed: 'API cost', 'open-weight cost', 'API margin', 'tokens per
    month' or 'self-hosted margin'."""


def _self_hosted(costs: Sequence[calc.ApiCost], settings: AgencySettings
                 ) -> tuple[float, Infra, int | None, Fraction]:
    """ft_cogs for these clients, the infra it used (the GPU's price with capacity on), the
    servers their load needs (None with capacity off) and the average client's server share."""
    infra, gpu, count = settings.infra, settings.gpu, len(costs)
    servers, share = None, Fraction(0)
    if gpu is not None:
        infra = infra.model_copy(update={"gpu_server_usd": gpu.monthly_usd})
        total_in = calc.finite(sum(cost.input_tokens_per_month for cost in costs),
                               "total input tokens per month")
        total_out = calc.finite(sum(cost.output_tokens_per_month for cost in costs),
                                "total output tokens per month")
        servers = max(1, calc.servers_needed(total_in, total_out, gpu.prefill_tps,
                                             gpu.decode_tps, settings.capacity.utilization))
        if count:
            # The average client's load, as the workbook's crossover takes it (total / count).
            share = calc.server_share(total_in / count, total_out / count, gpu.prefill_tps,
                                      gpu.decode_tps, settings.capacity.utilization)
    ft_cogs = calc.ft_cost(count, infra.base_monthly_usd, infra.per_client_usd, infra.buffer,
                           servers=servers or 1, server_usd=infra.gpu_server_usd,
                           retraining_usd=settings.hidden_costs.retraining_usd_per_client)
    return ft_cogs, infra, servers, share


def compute(clients: Sequence[PricedClient], settings: AgencySettings,
            warnings: Sequence[str] = (), open_weight: OpenWeightPrices | None = None,
            excluded: Sequence[ExcludedRow] = ()) -> Portfolio:
    """Every client's costs and margins, the totals and the crossover.

    The self-hosted cost is ft_cost(number of clients), shared out in proportion to each
    client's monthly token volume (equally when no client uses any tokens), so the shares add up
    to the total. With capacity on, it runs as many servers of the chosen GPU as the whole
    month's load needs (at least one); ``open_weight`` prices each client on the hosted
    open-weight model too.

    A client whose numbers do not compute (a cost or margin too large for a float, from one
    oversized cell) is left out with a warning naming its ``where``, and listed in ``excluded``
    after the rows the reader could not use (``excluded``); the others are reported.
    """
    hidden = settings.hidden_costs
    multipliers = settings.multipliers.model_dump()
    warnings = list(warnings)
    skipped: list[Skipped] = []

    def skip(c: PricedClient, error: InputError) -> None:
        skipped.append(Skipped(c, error))
        warnings.append(f"{c.where or 'roster'}: client {c.client!r} skipped: {error}")

    kept: list[tuple[PricedClient, calc.ApiCost, float | None, float]] = []
    for c in clients:
        stage = "API cost"  # what failed, for the warning ('API cost: too large to compute')
        try:
            cost = calc.api_cost_breakdown(
                c.input_tokens, c.output_tokens, c.interactions_per_day, c.input_usd_per_mtok,
                c.output_usd_per_mtok, cache_read_usd_per_mtok=c.cache_read_usd_per_mtok,
                **multipliers)
            stage = "tokens per month"
            calc.finite(cost.input_tokens_per_month + cost.output_tokens_per_month)
            open_cost = None
            if open_weight is not None:
                stage = "open-weight cost"
                open_cost = calc.api_cost(
                    c.input_tokens, c.output_tokens, c.interactions_per_day,
                    open_weight.input_usd_per_mtok, open_weight.output_usd_per_mtok,
                    cache_read_usd_per_mtok=open_weight.cache_read_usd_per_mtok, **multipliers)
            stage = "API margin"
            api_margin = calc.margin(c.monthly_revenue, cost.monthly_usd)
        except InputError as error:
            skip(c, InputError(stage, error.problem))
            continue
        kept.append((c, cost, open_cost, api_margin))

    # The self-hosted share depends on who is kept; a client whose share margin overflows
    # (a revenue of a few cents against dollars of cost share) leaves, and the rest re-share.
    while True:
        ft_cogs, infra, servers, share = _self_hosted([k[1] for k in kept], settings)
        volumes = [cost.input_tokens_per_month + cost.output_tokens_per_month
                   for _, cost, _, _ in kept]
        total_volume = calc.finite(sum(volumes), "total tokens per month")
        results, failed = [], []
        for (c, cost, open_cost, api_margin), volume in zip(kept, volumes, strict=True):
            share_usd = ft_cogs * volume / total_volume if total_volume else ft_cogs / len(kept)
            if not math.isfinite(share_usd):  # ft_cogs * volume overflowed; the share did not
                share_usd = ft_cogs * (volume / total_volume)
            try:
                ft_margin = calc.margin(c.monthly_revenue, share_usd)
            except InputError as error:
                failed.append((c, InputError("self-hosted margin", error.problem)))
                continue
            results.append(ClientResult(
                client=c.client, model=c.model, tokens_per_month=volume,
                api_cost=cost.monthly_usd, ft_cost=share_usd, revenue=c.monthly_revenue,
                api_margin=api_margin, ft_margin=ft_margin,
                status=status(api_margin, settings.target_margin), where=c.where,
                open_weight_cost=open_cost, input_tokens_per_month=cost.input_tokens_per_month,
                output_tokens_per_month=cost.output_tokens_per_month))
        if not failed:
            break
        for c, error in failed:
            skip(c, error)
        gone = {id(c) for c, _ in failed}
        kept = [k for k in kept if id(k[0]) not in gone]

    count = len(results)
    retraining = hidden.retraining_usd_per_client
    revenue = calc.finite(sum(r.revenue for r in results), "total revenue")
    api_cogs = calc.finite(sum(r.api_cost for r in results), "total API COGS")
    average = api_cogs / count if count else None
    crossover, stays_from = None, None
    if average is not None and settings.gpu is not None:
        found = calc.crossover_at_capacity(
            average, infra.base_monthly_usd, infra.per_client_usd, infra.buffer,
            server_usd=infra.gpu_server_usd, servers_per_client=share,
            retraining_usd=retraining)
        crossover, stays_from = found.first, found.stays_from
    elif average is not None:
        crossover = calc.crossover(average, infra.base_monthly_usd, infra.per_client_usd,
                                   infra.buffer, retraining_usd=retraining)
    open_cogs = None
    if open_weight is not None:
        open_cogs = calc.finite(sum(r.open_weight_cost or 0.0 for r in results),
                                "total open-weight COGS")
    return Portfolio(
        clients=results, revenue=revenue, api_cogs=api_cogs, ft_cogs=ft_cogs,
        api_margin=calc.margin(revenue, api_cogs) if revenue else None,
        ft_margin=calc.margin(revenue, ft_cogs) if revenue else None,
        average_api_cost=average, crossover=crossover, warnings=warnings,
        servers=servers, gpu=None if settings.gpu is None else settings.gpu_name(
            settings.capacity.gpu or ""),
        crossover_stays_from=stays_from,
        open_weight_model=None if open_weight is None else open_weight.model,
        open_weight_cogs=open_cogs,
        open_weight_margin=(calc.margin(revenue, open_cogs)
                            if revenue and open_cogs is not None else None),
        retraining_usd=retraining * count if retraining else None,
        setup_payback_months=payback_months(hidden.setup_usd, hidden.setup_fee_usd,
                                            revenue - ft_cogs, count),
        setup=hidden.has_setup, skipped=skipped,
        excluded=[*excluded, *(ExcludedRow(row_of(s.client.where), s.client.where or "roster",
                                           f"client {s.client.client!r}: {s.error}")
                               for s in skipped)])


def payback_months(setup_usd: float, setup_fee_usd: float, monthly_profit: float,
                   clients: int) -> float | None:
    """Months of the average client's self-hosted gross profit that earn back the setup labor
    its setup fee leaves uncovered: 0 when the fee covers it, None when the profit never does."""
    uncovered = setup_usd - setup_fee_usd
    if uncovered <= 0:
        return 0.0
    if clients == 0 or monthly_profit <= 0:
        return None
    return uncovered / (monthly_profit / clients)
