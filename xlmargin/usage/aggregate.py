"""Attribute, price and sum the records of one or more exports: the result
``xlmargin import-usage`` prints and writes to a workbook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path

from xlmargin.errors import InputError
from xlmargin.usage import detect, litellm, litellm_arrow
from xlmargin.usage.clients import UNATTRIBUTED, attributor, load_map
from xlmargin.usage.pricing import Pricer
from xlmargin.usage.record import Malformed, Skipped, UsageRecord

DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
SECONDS_PER_MONTH = DAYS_PER_MONTH * 86400
NO_MODEL = "(no model: export not grouped by model)"
LISTED_PROBLEMS = 20
NO_USAGE = "no usage in the files"
BILLED_SOURCES = {"openai-costs", "openai-costs-csv", "anthropic-cost", "anthropic-cost-csv"}
ZERO_IS_UNPRICED = {litellm.JSON, litellm.CSV}
"""Sources whose amount is a gateway's own estimate, logged as 0 when the gateway has no price
for the model: a 0 beside tokens is no cost known, so the tokens are priced as usage is."""


@dataclass(slots=True)
class Totals:
    """One client's sums. ``cost_usd`` holds billed amounts plus priced token usage."""

    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)

    def as_json(self, client: str, months: Decimal | None) -> dict[str, object]:
        monthly = self.cost_usd / months if months else None
        return {"client": client, "requests": self.requests, "input_tokens": self.input_tokens,
                "cached_input_tokens": self.cached_input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": _usd(self.cost_usd),
                "monthly_cost_usd": None if monthly is None else _usd(monthly)}


@dataclass(slots=True)
class Unpriced:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Actuals:
    """What the exports say each client cost."""

    start: datetime | None
    end: datetime | None
    clients: dict[str, Totals]
    unpriced: dict[str, Unpriced]
    warnings: list[str]
    formats: dict[str, str]
    """{file: format name}."""
    malformed: int = 0

    @property
    def months(self) -> Decimal | None:
        """Covered time in months of 30.4375 days, partial first and last buckets counted by
        the seconds they cover."""
        if self.start is None or self.end is None:
            return None
        return Decimal(int((self.end - self.start).total_seconds())) / SECONDS_PER_MONTH

    @property
    def period(self) -> tuple[date, date] | None:
        if self.start is None or self.end is None:
            return None
        return self.start.date(), (self.end - timedelta(microseconds=1)).date()

    def monthly_cost(self, client: str) -> Decimal | None:
        totals, months = self.clients.get(client), self.months
        if totals is None or not months:
            return None
        return totals.cost_usd / months

    def as_json(self) -> dict[str, object]:
        months = self.months
        period = self.period
        named = [t.as_json(c, months) for c, t in sorted(self.clients.items())
                 if c != UNATTRIBUTED]
        rest = self.clients.get(UNATTRIBUTED)
        return {
            "period": {"start": period[0].isoformat() if period else None,
                       "end": period[1].isoformat() if period else None},
            "months": None if months is None else round(float(months), 4),
            "clients": named,
            "unattributed": None if rest is None else rest.as_json(UNATTRIBUTED, months),
            "unpriced": [{"model": m, "input_tokens": u.input_tokens,
                          "output_tokens": u.output_tokens}
                         for m, u in sorted(self.unpriced.items())],
            "warnings": self.warnings,
        }


def _usd(value: Decimal) -> float:
    # Rounded to 10 places with as many digits as that takes: a sum past 10**18 needs more than
    # the default context's 28 (round() would raise InvalidOperation).
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + 12)
        return float(round(value, 10))


def import_usage(files: Sequence[str | Path], *, by: str = "api_key",
                 clients_file: str | Path | None = None, forced: str | None = None,
                 pricer: Pricer | None = None) -> Actuals:
    """Read every file, attribute each record to a client, price token usage, sum.

    Raises InputError for an unreadable or unknown file, a bad client map, or mixed
    currencies; malformed rows are counted, listed in the warnings and left out."""
    attribute = attributor(by, load_map(clients_file) if clients_file else None)
    pricer = pricer or Pricer()
    sources = [(Path(f), *detect.read(f, forced)) for f in files]
    result = Actuals(None, None, {}, {}, [], {str(p): name for p, name, _ in sources})
    state = _State()
    for path, name, items in sources:
        if name == litellm.CSV:
            # Millions of rows: summed by pyarrow unless the file needs the row reader.
            grouped = litellm_arrow.summed(path, by)
            if grouped is not None:
                items = iter(grouped)
        _consume(items, path, attribute, pricer, result, state)
    _finish(result, state)
    return result


@dataclass
class _State:
    currency: tuple[str, str] | None = None
    problems: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    assumed_batch: set[str] = field(default_factory=set)
    billed: bool = False
    tokens_priced: bool = False
    unattributed_records: int = 0
    records: int = 0
    zero_spend: dict[str, int] = field(default_factory=dict)
    """{model: rows} of ZERO_IS_UNPRICED records whose 0 amount was set aside."""


def _consume(items: Iterable[UsageRecord | Malformed | Skipped], path: Path,
             attribute: object, pricer: Pricer, result: Actuals, state: _State) -> None:
    clients, unpriced = result.clients, result.unpriced
    start, end = result.start, result.end
    for item in items:
        if type(item) is not UsageRecord:
            if isinstance(item, Malformed):
                result.malformed += 1
                if len(state.problems) < LISTED_PROBLEMS:
                    state.problems.append(f"{item.where}: {item.problem}")
            elif isinstance(item, Skipped):
                state.skipped[item.kind] = state.skipped.get(item.kind, 0) + 1
            continue
        record: UsageRecord = item  # type: ignore[assignment]
        if start is None or record.start < start:
            start = record.start
        if end is None or record.end > end:
            end = record.end
        if record.empty:
            continue
        state.records += record.rows
        client = attribute(record)  # type: ignore[operator]
        totals = clients.get(client)
        if totals is None:
            totals = clients[client] = Totals()
        if client == UNATTRIBUTED:
            state.unattributed_records += record.rows
        totals.requests += record.requests
        totals.input_tokens += record.input_tokens
        totals.cached_input_tokens += record.cached_input_tokens
        totals.output_tokens += record.output_tokens
        cost = record.cost_usd
        if cost is not None:
            currency = record.currency or "USD"
            if state.currency is None:
                state.currency = (currency, record.where)
            elif currency != state.currency[0]:
                raise InputError(record.where, f"amount in {currency}, but "
                                 f"{state.currency[1]} is in {state.currency[0]}: mixed "
                                 "currencies are refused, not summed; convert to one currency")
            if not cost and record.source in ZERO_IS_UNPRICED \
                    and (record.input_tokens or record.output_tokens):
                # LiteLLM's 0 for a model it cannot price: no bill of $0, priced below
                name = record.model or NO_MODEL
                state.zero_spend[name] = state.zero_spend.get(name, 0) + record.rows
            else:
                totals.cost_usd += cost
                if record.source in BILLED_SOURCES:
                    state.billed = True
                continue
        if not (record.input_tokens or record.output_tokens):
            continue
        model = record.model
        prices = pricer.price(model, record.start.date(), record.batch) if model else None
        if prices is None:
            entry = unpriced.setdefault(model or NO_MODEL, Unpriced())
            entry.input_tokens += record.input_tokens
            entry.output_tokens += record.output_tokens
            continue
        state.tokens_priced = True
        if prices.batch_price_assumed:
            state.assumed_batch.add(prices.model)
        totals.cost_usd += prices.cost(record.input_tokens, record.cached_input_tokens,
                                       record.cache_write_tokens, record.cache_write_1h_tokens,
                                       record.output_tokens)
    result.start, result.end = start, end


def _finish(result: Actuals, state: _State) -> None:
    warnings = result.warnings
    if state.currency is not None and state.currency[0] != "USD":
        raise InputError(state.currency[1], f"amounts are in {state.currency[0]}; xlmargin "
                                            "reports USD: convert the export first")
    if result.malformed:
        more = result.malformed - len(state.problems)
        warnings.append(f"{result.malformed} malformed row(s) left out"
                        + (f" ({more} more not listed)" if more > 0 else ""))
        warnings.extend(state.problems)
    for kind, n in sorted(state.skipped.items()):
        warnings.append(f"{n} {kind} result(s) skipped: not per-token usage")
    for model, usage in sorted(result.unpriced.items()):
        warnings.append(f"{model}: no catalog price; {usage.input_tokens} input and "
                        f"{usage.output_tokens} output tokens are counted but not in any cost")
    if state.zero_spend:
        rows = sum(state.zero_spend.values())
        warnings.append(
            f"{rows} LiteLLM row(s) have tokens but spend 0 ("
            + ", ".join(f"{model}: {n}" for model, n in sorted(state.zero_spend.items()))
            + "): LiteLLM logs 0 for a model it cannot price, so their tokens are priced at "
            "the catalog price of their day, or listed as unpriced; a request LiteLLM answered "
            "from its own response cache also logs 0, and is priced here as if it was sent")
    for model in sorted(state.assumed_batch):
        warnings.append(f"{model}: batch usage before the catalog's batch price date; the "
                        "earliest known batch price was used")
    if state.unattributed_records:
        warnings.append(f"{state.unattributed_records} of {state.records} record(s) "
                        "unattributed: no mapped identifier")
    if state.billed and state.tokens_priced:
        warnings.append("billed cost exports and token usage were both given: if they cover "
                        "the same usage, the costs are counted twice")
    if result.start is None:
        warnings.append(NO_USAGE)
