"""How far the article's hidden multipliers move the month's API COGS: low, expected and high
cases, and which assumption moves it most. Pure arithmetic over ``calc``'s formula; no I/O.

The article builds its API cost from ranges (section 1, "The Hidden Multipliers") and then uses
one point of each. The cases:

    assumption              low    high   applies to
    retry_rate              0.03   0.08   every client   ("3-8% of API calls ... retried")
    context_multiplier      2.5    3.0    every client   ("multiply your average by 2.5-3x")
    system_prompt_tokens    500    2000   every client   ("typically 500-2,000 tokens")
    power_user_multiplier   1.10   1.15   every client   ("10-15% of users generate 50%+")
    embeddings_overhead     0.05   0.15   retrieval clients only ("adds 5-15%", "if you are
                                          running RAG"): use cases with ``uses_retrieval``

- low: every assumption at its low end; high: every one at its high end; expected: the
  settings' (or workbook's) own values, so expected equals what ``report`` prints.
- The ends are the article's, widened to take in the expected value: low = min(article's low,
  expected), high = max(article's high, expected). API cost rises with every assumption, so
  low <= expected <= high, for each driver and for the total. With the defaults the embeddings'
  low end is the expected 0% (the article's 5% would cost more than expected), and a context
  multiplier of 3.5 on Assumptions makes the high end 3.5.
- Embeddings: a retrieval client's overhead becomes the case's value; every other client keeps
  the expected overhead (0 by default), as ``report`` applies it.
- Drivers: one assumption at a time at its low end, then its high end, the others at expected;
  sorted by swing = |high_api_cogs - low_api_cogs|, largest first (ties keep the table's order).

API cost is linear in the prices, which gives each case from four sums over the roster:

    cost_i = days * context * (1 + retry) * power_users * (base_i + prompt * token_i) * (1 + e_i)
    base_i  = interactions_i * (input_i * blended_input_price_i + output_i * output_price_i) / 1e6
    token_i = interactions_i * blended_input_price_i / 1e6   (USD per day per system-prompt token)

so a case's total is ``days * context * (1 + retry) * power_users * ((B + prompt * T) * (1 + E)
+ (Br + prompt * Tr) * (e - E))`` with B, T summed over all clients, Br, Tr over the retrieval
clients, E the expected overhead and e the case's. The workbook's Sensitivity sheet computes the
same sums with SUMPRODUCT, and the drivers here use them (ten totals for the price of one pass).
The three cases go through ``portfolio.compute`` with the case's assumptions instead, so each is
exactly what ``report`` prints for them, its crossover included; the tests hold the two paths
together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from xlmargin import article, calc
from xlmargin.errors import InputError
from xlmargin.models import AgencySettings
from xlmargin.portfolio import ClientResult, ExcludedRow, PricedClient, compute, row_of
from xlmargin.presets import USE_CASES

LOW, EXPECTED, HIGH = "low", "expected", "high"


@dataclass(frozen=True, slots=True)
class Range:
    """The article's range of one assumption (a ``Multipliers`` field)."""

    assumption: str
    label: str
    low: float
    high: float
    article: str
    retrieval_only: bool = False


ARTICLE_RANGES: tuple[Range, ...] = (
    Range("retry_rate", "Retry rate", article.RETRY_RANGE.low, article.RETRY_RANGE.high,
          article.RETRY_RANGE.wording[0]),
    Range("context_multiplier", "Context multiplier", article.CONTEXT_RANGE.low,
          article.CONTEXT_RANGE.high, article.CONTEXT_RANGE.wording[0]),
    Range("system_prompt_tokens", "System prompt tokens", article.SYSTEM_PROMPT_RANGE.low,
          article.SYSTEM_PROMPT_RANGE.high, article.SYSTEM_PROMPT_RANGE.wording[0]),
    # The article gives the heavy users' share, not a multiplier: xlmargin reads 10-15% of
    # users as 1.10-1.15 times the volume.
    Range("power_user_multiplier", "Power-user multiplier", 1 + article.POWER_USER_SHARE.low,
          1 + article.POWER_USER_SHARE.high, article.POWER_USER_SHARE.wording[0]),
    Range("embeddings_overhead", "Embeddings overhead", article.EMBEDDINGS_RANGE.low,
          article.EMBEDDINGS_RANGE.high, " ".join(article.EMBEDDINGS_RANGE.wording),
          retrieval_only=True),
)
ASSUMPTIONS = tuple(r.assumption for r in ARTICLE_RANGES)

# The use cases whose clients pay for embeddings (the article's "Document Q&A / RAG").
RETRIEVAL_USE_CASES: tuple[str, ...] = tuple(c.key for c in USE_CASES if c.uses_retrieval)


def is_retrieval(use_case: str | None, retrieval_use_cases: Collection[str]) -> bool:
    """Whether a client's use case pays for embeddings; compared without regard to case, as the
    workbook's MATCH compares."""
    if not isinstance(use_case, str) or not use_case:
        return False
    return use_case.lower() in {k.lower() for k in retrieval_use_cases}


@dataclass(frozen=True, slots=True)
class Loads:
    """The roster's four sums (see the module docstring), USD per day before the multipliers."""

    clients: int
    base_usd_per_day: float
    usd_per_day_per_prompt_token: float
    retrieval_base_usd_per_day: float
    retrieval_usd_per_day_per_prompt_token: float


def loads(clients: Sequence[PricedClient], retrieval: Sequence[bool],
          cached_input_share: float) -> Loads:
    """Sum each client's base and per-prompt-token cost, all clients and retrieval ones."""
    if len(clients) != len(retrieval):
        raise ValueError("one retrieval flag per client")
    share = calc.number("cached_input_share", cached_input_share,
                        **calc.MULTIPLIER_BOUNDS["cached_input_share"])
    base = token = r_base = r_token = 0.0
    for c, uses_retrieval in zip(clients, retrieval, strict=True):
        blended = (1 - share) * c.input_usd_per_mtok + share * c.cache_read_usd_per_mtok
        b = c.interactions_per_day * (c.input_tokens * blended
                                      + c.output_tokens * c.output_usd_per_mtok) / calc.MTOK
        t = c.interactions_per_day * blended / calc.MTOK
        base += b
        token += t
        if uses_retrieval:
            r_base += b
            r_token += t
    return Loads(len(clients), base, token, r_base, r_token)


def api_cogs(load: Loads, values: Mapping[str, float], expected_embeddings: float,
             days: float) -> float:
    """Total API COGS per month with the assumptions in ``values`` (``embeddings_overhead`` is
    the retrieval clients'; the others keep ``expected_embeddings``)."""
    k = (days * values["context_multiplier"] * (1 + values["retry_rate"])
         * values["power_user_multiplier"])
    prompt = values["system_prompt_tokens"]
    every = load.base_usd_per_day + prompt * load.usd_per_day_per_prompt_token
    retrieval = (load.retrieval_base_usd_per_day
                 + prompt * load.retrieval_usd_per_day_per_prompt_token)
    return k * (every * (1 + expected_embeddings)
                + retrieval * (values["embeddings_overhead"] - expected_embeddings))


@dataclass(frozen=True, slots=True)
class Case:
    """One case: the assumptions' values and what they make of the month."""

    name: str
    values: dict[str, float]
    api_cogs: float
    average_api_cost: float
    crossover: int | None
    clients: list[ClientResult] = field(default_factory=list)
    """Each client in this case, in roster order: its API cost and status among the rest."""


@dataclass(frozen=True, slots=True)
class ClientCase:
    """One client's API cost and status at the low, expected and high cases."""

    client: str
    model: str
    where: str
    api_cost: tuple[float, float, float]
    status: tuple[str, str, str]

    def as_json(self) -> dict[str, object]:
        return {"client": self.client, "model": self.model,
                **{name: {"api_cost": cost, "status": status}
                   for name, cost, status in zip((LOW, EXPECTED, HIGH), self.api_cost,
                                                 self.status, strict=True)}}


@dataclass(frozen=True, slots=True)
class Driver:
    """One assumption alone at each end of its range, the others at expected."""

    assumption: str
    label: str
    low: float
    high: float
    low_api_cogs: float
    high_api_cogs: float

    @property
    def swing(self) -> float:
        return abs(self.high_api_cogs - self.low_api_cogs)


@dataclass(frozen=True, slots=True)
class Sensitivity:
    clients: int
    low: Case
    expected: Case
    high: Case
    drivers: list[Driver]
    warnings: list[str] = field(default_factory=list)
    excluded: list[ExcludedRow] = field(default_factory=list)
    """Rows left out of every case (unreadable, or not computing at expected)."""

    @property
    def complete(self) -> bool:
        return not self.excluded

    @property
    def cases(self) -> tuple[Case, Case, Case]:
        return self.low, self.expected, self.high

    @property
    def per_client(self) -> list[ClientCase]:
        """Client by client: who goes underwater when usage runs hot."""
        return [ClientCase(e.client, e.model, e.where, (lo.api_cost, e.api_cost, hi.api_cost),
                           (lo.status, e.status, hi.status))
                for lo, e, hi in zip(self.low.clients, self.expected.clients,
                                     self.high.clients, strict=True)]

    def as_json(self) -> dict[str, object]:
        """The shape `xlmargin sensitivity --json` prints, with the values used."""
        data: dict[str, object] = {
            case.name: {"api_cogs": case.api_cogs, "crossover": case.crossover,
                        "average_api_cost": case.average_api_cost,
                        "assumptions": case.values} for case in self.cases}
        data["drivers"] = [{"assumption": d.assumption, "low": d.low, "high": d.high,
                            "low_api_cogs": d.low_api_cogs, "high_api_cogs": d.high_api_cogs,
                            "swing": d.swing} for d in self.drivers]
        data["clients"] = self.clients
        data["per_client"] = [c.as_json() for c in self.per_client]
        data["complete"] = self.complete
        data["skipped"] = [row.as_json() for row in self.excluded]
        data["warnings"] = self.warnings
        return data


def check_ranges(ranges: Sequence[Range]) -> None:
    """Each end within the bounds the engine accepts for that multiplier."""
    for r in ranges:
        if r.assumption not in ASSUMPTIONS:
            raise InputError("sensitivity", f"unknown assumption {r.assumption!r}")
        for end, value in (("low", r.low), ("high", r.high)):
            calc.number(f"{r.assumption} ({end} end)", value,
                        **calc.MULTIPLIER_BOUNDS[r.assumption])


def analyse(clients: Sequence[PricedClient], retrieval: Sequence[bool],
            settings: AgencySettings, ranges: Sequence[Range] = ARTICLE_RANGES,
            warnings: Sequence[str] = (), excluded: Sequence[ExcludedRow] = ()) -> Sensitivity:
    """The low, expected and high cases and the drivers of ``clients`` (``retrieval[i]``: does
    client i pay for embeddings); ``excluded``, the rows the reader could not use, are carried
    into the result with those that do not compute."""
    check_ranges(ranges)
    # The expected case is `report` itself. As there, a client whose numbers do not compute
    # (an oversized cell) is left out with a warning, here from every case and driver too.
    at_expected = compute(clients, settings)
    skipped = at_expected.skipped
    if skipped:
        gone = {id(s.client) for s in skipped}
        kept = [(c, r) for c, r in zip(clients, retrieval, strict=True) if id(c) not in gone]
        clients, retrieval = [c for c, _ in kept], [r for _, r in kept]
        warnings = [*warnings, *(f"{s.client.where or 'roster'}: client {s.client.client!r} "
                                 f"skipped: {s.error}" for s in skipped)]
    excluded = [*excluded, *(ExcludedRow(row_of(s.client.where), s.client.where or "roster",
                                         f"client {s.client.client!r}: {s.error}")
                             for s in skipped)]
    if not clients:
        raise InputError("roster", "no clients whose API cost computes: nothing to vary")
    m = settings.multipliers
    load = loads(clients, retrieval, m.cached_input_share)
    expected = {name: float(getattr(m, name)) for name in ASSUMPTIONS}

    def case(name: str, values: dict[str, float]) -> Case:
        if values == expected:
            return Case(name, values, at_expected.api_cogs,
                        at_expected.api_cogs / len(clients), at_expected.crossover,
                        at_expected.clients)
        # Through the engine, so that each case is what `report` would print with these
        # assumptions, crossover included (whatever the self-hosted side counts). Retrieval
        # clients' own embeddings rate enters as a price factor: cost is linear in the prices.
        factor = (1 + values["embeddings_overhead"]) / (1 + m.embeddings_overhead)
        scaled = [replace(c, input_usd_per_mtok=c.input_usd_per_mtok * factor,
                          output_usd_per_mtok=c.output_usd_per_mtok * factor,
                          cache_read_usd_per_mtok=c.cache_read_usd_per_mtok * factor)
                  if uses and factor != 1 else c
                  for c, uses in zip(clients, retrieval, strict=True)]
        update = {k: v for k, v in values.items() if k != "embeddings_overhead"}
        result = compute(scaled, settings.model_copy(
            update={"multipliers": m.model_copy(update=update)}))
        if result.skipped:  # computes at the expected values, overflows at this end
            first = result.skipped[0]
            raise InputError(f"{first.client.where or 'roster'}: {name} case",
                             f"client {first.client.client!r}: {first.error}")
        return Case(name, values, result.api_cogs, result.api_cogs / len(clients),
                    result.crossover, result.clients)

    # Each range widened to take in the expected value: API cost rises with every assumption,
    # so low <= expected <= high holds for each driver and for the total.
    ends = {r.assumption: (min(r.low, expected[r.assumption]),
                           max(r.high, expected[r.assumption])) for r in ranges}
    low = {**expected, **{a: lo for a, (lo, _hi) in ends.items()}}
    high = {**expected, **{a: hi for a, (_lo, hi) in ends.items()}}
    drivers = [Driver(r.assumption, r.label, *ends[r.assumption],
                      calc.finite(api_cogs(load, {**expected, r.assumption: ends[r.assumption][0]},
                                           m.embeddings_overhead, m.days),
                                  f"{r.assumption} (low end): API COGS"),
                      calc.finite(api_cogs(load, {**expected, r.assumption: ends[r.assumption][1]},
                                           m.embeddings_overhead, m.days),
                                  f"{r.assumption} (high end): API COGS"))
               for r in ranges]
    drivers.sort(key=lambda d: -d.swing)  # stable: ties keep the table's order
    return Sensitivity(len(clients), case(LOW, low), case(EXPECTED, expected), case(HIGH, high),
                       drivers, list(warnings), list(excluded))
