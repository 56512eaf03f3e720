"""Validated records that cross module boundaries: prices, multipliers, infrastructure."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from xlmargin import calc
from xlmargin.gpus import GPUS


class Strict(BaseModel):
    """Base for every record: unknown fields are errors, records never change after creation,
    and a number must be finite (TOML's ``inf`` and ``nan``, a CSV's 1e400, are refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True,
                              allow_inf_nan=False)


def _share(value: Any) -> Any:
    """A share as the settings file has it: 0.2 or '20%'; a bare number above 1 is refused
    with the fix, as everywhere a share is typed (``calc.number(share=True)``)."""
    value = calc.percent_text(value)
    if (isinstance(value, int | float) and not isinstance(value, bool)
            and 1 < value < float("inf")):  # inf and nan: refused as not finite
        raise PydanticCustomError(
            "share", "{shown} is {percent}%; did you mean {fraction} ({shown}%)?",
            {"shown": f"{value:g}", "percent": f"{value * 100:g}", "fraction": f"{value / 100:g}"})
    return value


Share = Annotated[float, BeforeValidator(_share)]
"""A fraction of a whole, 0 to 1 (retries, buffer, margins, utilization)."""


class ModelPrice(Strict):
    """List prices of one model, USD per million tokens."""

    provider: str
    """Provider id, for example 'openai' or 'anthropic'."""
    model: str
    """The provider's model id, for example 'gpt-4o'."""
    name: str | None = None
    """Display name, for example 'GPT-4o'."""
    input_usd_per_mtok: float = Field(ge=0)
    """Price of a million input (prompt) tokens."""
    output_usd_per_mtok: float = Field(ge=0)
    """Price of a million output (completion) tokens."""
    cache_read_usd_per_mtok: float | None = Field(default=None, ge=0)
    """Price of a million input tokens read from the prompt cache; None where unknown."""
    as_of: date | None = None
    """The day the price applies to."""
    source: str = "genai-prices"
    """Where the price came from: the bundled catalog or a user's override file."""

    @property
    def cache_read_or_input_usd_per_mtok(self) -> float:
        """What a cached input token costs: the cache-read price, or with none listed the input
        price (no discount), as the Pricing sheet and ``report`` take it."""
        cache = self.cache_read_usd_per_mtok
        return self.input_usd_per_mtok if cache is None else cache


class Multipliers(Strict):
    """The article's hidden multipliers, plus two optional extras off by default."""

    system_prompt_tokens: float = Field(default=calc.SYSTEM_PROMPT_TOKENS, ge=0)
    """Tokens of system prompt sent with every interaction."""
    context_multiplier: float = Field(default=calc.CONTEXT_MULTIPLIER, ge=1)
    """Multi-turn context growth; 1 means single-turn."""
    retry_rate: Share = Field(default=calc.RETRY_RATE, ge=0, le=1)
    """Share of calls retried (rate limits, timeouts, malformed output)."""
    power_user_multiplier: float = Field(default=calc.POWER_USER_MULTIPLIER, ge=1)
    """Skew from heavy users."""
    days: float = Field(default=calc.DAYS_PER_MONTH, gt=0, le=31)
    """Billing days per month."""
    cached_input_share: Share = Field(default=calc.CACHED_INPUT_SHARE, ge=0, le=1)
    """Share of input tokens billed at the provider's cache-read price."""
    embeddings_overhead: Share = Field(default=calc.EMBEDDINGS_OVERHEAD, ge=0, le=1)
    """Embedding cost as a share of chat cost, for retrieval workloads (article: 5-15%)."""


class Infra(Strict):
    """The self-hosted side: fixed monthly costs and the per-client marginal cost."""

    seats: int = Field(default=calc.SEATS, ge=0)
    """Fine-tuning platform seats (the team size)."""
    seat_usd: float = Field(default=calc.SEAT_USD, ge=0)
    """Monthly price of one seat."""
    gpu_server_usd: float = Field(default=calc.GPU_SERVER_USD, ge=0)
    """Monthly price of the GPU server."""
    other_fixed_usd: float = Field(default=calc.OTHER_FIXED_USD, ge=0)
    """Domains, SSL, monitoring and other fixed monthly costs."""
    per_client_usd: float = Field(default=calc.PER_CLIENT_USD, ge=0)
    """Marginal monthly cost of one more client (adapter storage, endpoint)."""
    buffer: Share = Field(default=calc.BUFFER, ge=0, le=1)
    """Share added for retraining, monitoring and maintenance (the article's step 6: 0.20)."""

    @property
    def base_monthly_usd(self) -> float:
        return calc.base_monthly(self.seats, self.seat_usd, self.gpu_server_usd,
                                 self.other_fixed_usd)


Hosting = Literal["api", "self", "open_weight"]
"""Where a client's workload runs: the per-token API, self-hosted fine-tuned models, or the
hosted open-weight model billed per token."""
HOSTINGS: tuple[str, ...] = get_args(Hosting)
# What people type for the same choices (after case folding, spaces and dashes as '_').
_HOSTING_ALIASES = {"self_hosted": "self", "selfhosted": "self", "fine_tuned": "self",
                    "openweight": "open_weight", "open_weights": "open_weight"}


def parse_hosting(text: object) -> Hosting | None:
    """A roster's or sheet's hosting cell: 'api', 'self', 'open_weight' in any case, with
    spaces or dashes ('Open weight', ' SELF ', 'self-hosted'); blank is None (xlmargin
    decides). Anything else raises ValueError with a message that lists the choices."""
    if text is None:
        return None
    key = "_".join(str(text).strip().casefold().replace("-", " ").split())
    if not key:
        return None
    key = _HOSTING_ALIASES.get(key, key)
    if key not in HOSTINGS:
        raise ValueError(f"expected {', '.join(HOSTINGS)} or blank, got {str(text)!r}")
    return key  # type: ignore[return-value]


# Excel keeps at most this many characters in a cell ("Excel specifications and limits").
MAX_CELL_CHARS = 32_767


class Client(Strict):
    """One row of the roster: who the client is, what it runs and what it pays."""

    client: str = Field(min_length=1, max_length=MAX_CELL_CHARS)
    """The client's name, as the agency calls it."""
    model: str = Field(min_length=1, max_length=MAX_CELL_CHARS)
    """The model id the client's workload runs on (a Pricing sheet or catalog model)."""
    interactions_per_day: float = Field(ge=0)
    """Interactions (conversations, documents, leads) per day."""
    monthly_revenue: float = Field(gt=0)
    """What the client pays the agency each month (the retainer), USD."""
    use_case: str | None = None
    """Use-case key from the article's table; gives the tokens unless they are typed."""
    input_tokens: float | None = Field(default=None, ge=0)
    """Input tokens per interaction, typed; None means 'from the use case'."""
    output_tokens: float | None = Field(default=None, ge=0)
    """Output tokens per interaction, typed; None means 'from the use case'."""
    client_type: str | None = None
    """Client-type key (small_business, mid_market, enterprise), for reference."""
    notes: str = Field(default="", max_length=MAX_CELL_CHARS)
    """Free text."""
    hosting: Hosting | None = None
    """Where the client must run: 'api' (frontier reasoning, the latest model), 'self' (must
    move), 'open_weight'; None lets ``xlmargin plan`` decide."""
    monthly_ai_budget: float | None = Field(default=None, ge=0)
    """The most the client's AI usage should cost a month, USD; ``import-usage`` flags a month
    that projects past it. None: no budget."""
    markup: Share | None = Field(default=None, ge=0, le=1)
    """What the client is billed over its AI cost, a share (0.25: cost plus 25%); None with no
    ``fixed_ai_fee`` either bills the cost as it is (``xlmargin chargeback``)."""
    fixed_ai_fee: float | None = Field(default=None, ge=0)
    """A fixed monthly AI fee in USD, billed whatever the month's AI cost (instead of a
    markup)."""

    @model_validator(mode="after")
    def _one_billing(self) -> Client:
        if self.markup is not None and self.fixed_ai_fee is not None:
            raise ValueError("markup and fixed_ai_fee both given: a client is billed one way, "
                             "keep one")
        return self


class GpuPreset(Strict):
    """One GPU server for self-hosting a 7-8B model: rent and batched planning throughput."""

    monthly_usd: float = Field(ge=0)
    """Rent of one server per month."""
    prefill_tps: float = Field(gt=0)
    """Input (prefill) tokens per second one server sustains across all its clients."""
    decode_tps: float = Field(gt=0)
    """Output (decode) tokens per second one server sustains, batched; not one stream's speed."""
    source: str = ""
    """Where the figures come from."""


DEFAULT_GPUS: dict[str, GpuPreset] = {
    g.name: GpuPreset(monthly_usd=g.monthly_usd, prefill_tps=g.prefill_tps,
                      decode_tps=g.decode_tps, source=g.source) for g in GPUS}


class Capacity(Strict):
    """Self-hosting on as many GPU servers as the month's load needs. Off (the article's one
    fixed server at infra.gpu_server_usd) unless ``gpu`` names a preset."""

    gpu: str | None = None
    """A GPU preset name (see ``gpus``); its monthly price replaces infra.gpu_server_usd."""
    utilization: Share = Field(default=calc.UTILIZATION, gt=0, le=1)
    """Average share of each server's month planned to be busy; the rest is peak headroom."""


class HiddenCosts(Strict):
    """The article's hidden self-hosting costs (section 4), all zero (off) by default."""

    labor_usd_per_hour: float = Field(default=0.0, ge=0)
    """What an hour of the team's labor costs."""
    gpu_usd_per_hour: float = Field(default=0.0, ge=0)
    """What an hour of retraining compute costs."""
    retraining_compute_minutes: float = Field(default=0.0, ge=0)
    """Retraining compute per client per quarter (article: 30-60 minutes)."""
    retraining_labor_hours: float = Field(default=0.0, ge=0)
    """Data preparation labor per client per quarter (article: 2-4 hours)."""
    setup_labor_hours: float = Field(default=0.0, ge=0)
    """One-time labor per new client (article: data cleaning 5-10 h + deployment 2-4 h)."""
    setup_fee_usd: float = Field(default=0.0, ge=0)
    """One-time setup fee charged to each client (article: $3,000-10,000)."""

    @property
    def retraining_usd_per_client(self) -> float:
        """Monthly retraining cost of one client: a quarter's compute and labor over 3."""
        quarter = (self.retraining_compute_minutes / 60 * self.gpu_usd_per_hour
                   + self.retraining_labor_hours * self.labor_usd_per_hour)
        return quarter / 3

    @property
    def setup_usd(self) -> float:
        """One-time setup labor of one client."""
        return self.setup_labor_hours * self.labor_usd_per_hour

    @property
    def has_setup(self) -> bool:
        return self.setup_labor_hours > 0 or self.setup_fee_usd > 0


class AgencySettings(Strict):
    """An agency's settings file: the self-hosted side, the multipliers and the margin target."""

    infra: Infra = Infra()
    """Team size, seat price, GPU server, other fixed costs, per-client cost and buffer."""
    multipliers: Multipliers = Multipliers()
    """The hidden multipliers applied to every client's API usage."""
    target_margin: Share = Field(default=0.6, lt=1)
    """Gross margin below which a client is flagged 'Below target'."""
    capacity: Capacity = Capacity()
    """GPU servers as the load needs them; off by default."""
    gpus: dict[str, GpuPreset] = Field(default_factory=lambda: dict(DEFAULT_GPUS))
    """GPU presets by name; a settings file's ``[gpus.NAME]`` tables replace or add to them."""
    hidden_costs: HiddenCosts = HiddenCosts()
    """Retraining and setup labor; zero (off) by default."""
    open_weight_model: str | None = None
    """A hosted open-weight model on a per-token host (the third option), e.g.
    'llama-3.1-8b-instant'; None leaves it out."""

    @model_validator(mode="before")
    @classmethod
    def _merge_gpus(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("gpus"), dict):
            data = {**data, "gpus": {**DEFAULT_GPUS, **data["gpus"]}}
        return data

    @model_validator(mode="after")
    def _known_gpu(self) -> AgencySettings:
        if self.capacity.gpu is not None and self.gpu_name(self.capacity.gpu) is None:
            raise ValueError(f"capacity.gpu: unknown GPU {self.capacity.gpu!r}; known: "
                             + ", ".join(self.gpus))
        return self

    def gpu_name(self, name: str) -> str | None:
        """The preset key for ``name``, any case (as the workbook's MATCH finds it)."""
        wanted = name.strip().casefold()
        return next((key for key in self.gpus if key.casefold() == wanted), None)

    @property
    def gpu(self) -> GpuPreset | None:
        """The chosen GPU preset when capacity is on, else None."""
        if self.capacity.gpu is None:
            return None
        return self.gpus[self.gpu_name(self.capacity.gpu) or self.capacity.gpu]
