# ruff: noqa: RUF001  (the article writes its products with a multiplication sign: kept verbatim)
"""What xlmargin attributes to the article ("The AI Agency Margin Calculator: API Costs vs
Fine-Tuned Economics"), each with the article's own words.

Every range, default and price that the workbook, the README and the help texts say comes from
the article is a ``Quote`` here. ``tests/test_article.py`` reads the article and checks that each
quote's wording is in it word for word and that each value is a number of that wording, then
that each place in ``used_in`` shows the quote's ``text``. The engine's defaults stay in ``calc``
and the use-case table in ``presets``; the quotes take their values from there, so a default
that drifts from the article fails the test. Plain data: nothing here imports pydantic,
openpyxl or the CLI, so any layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlmargin import calc
from xlmargin.presets import CLIENT_TYPES, USE_CASES

# Where a quote shows; the test looks in each.
ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, CROSSOVER_SHEET = (
    "Assumptions sheet", "Sensitivity sheet", "Crossover sheet")
README = "README"
COST_HELP, CROSSOVER_HELP, SENSITIVITY_HELP = (
    "xlmargin cost --help", "xlmargin crossover --help", "xlmargin sensitivity --help")
# The defaults of `xlmargin cost`'s "the article's defaults" options.
COST_DEFAULTS = "xlmargin cost defaults"


@dataclass(frozen=True, slots=True)
class Quote:
    """One thing the article says, as xlmargin uses it."""

    values: tuple[float, ...]
    """As the code uses them: 0.03 for 3%, 2000.0 for 2,000 tokens."""
    text: str
    """How xlmargin says it, with these numbers in this order: '3-8%'."""
    wording: tuple[str, ...]
    """The article's words it comes from, verbatim (a table row as it is printed)."""
    used_in: tuple[str, ...] = ()
    percent: bool = False
    """The numbers in ``text`` and ``wording`` are percentages of ``values``."""

    @property
    def help(self) -> str:
        """``text`` for an argparse help string, which %-formats it."""
        return self.text.replace("%", "%%")

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]


def _default(value: float, text: str, *wording: str, used_in: tuple[str, ...] = (),
             percent: bool = False) -> Quote:
    return Quote((value,), text, wording, used_in, percent)


# --- Section 1: API cost --------------------------------------------------------------------

SYSTEM_PROMPT_RANGE = Quote(
    (500.0, 2000.0), "typically 500-2,000 tokens",
    ("Every request includes the system prompt, which is typically 500-2,000 tokens.",),
    (ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, README, SENSITIVITY_HELP, COST_HELP))
SYSTEM_PROMPT = _default(
    calc.SYSTEM_PROMPT_TOKENS, "1,000 tokens",
    "System prompt: 1,000 tokens × 100 interactions × 30 days",
    used_in=(ASSUMPTIONS_SHEET, README, COST_DEFAULTS))
RETRY_RANGE = Quote(
    (0.03, 0.08), "3-8%",
    ("Retry rate: 3-8% of API calls fail and need to be retried",),
    (ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, README, SENSITIVITY_HELP, COST_HELP), percent=True)
RETRY_RATE = _default(calc.RETRY_RATE, "5%", "Add 5% to your base cost.",
                      used_in=(ASSUMPTIONS_SHEET, README, COST_DEFAULTS), percent=True)
CONTEXT_RANGE = Quote(
    (2.5, 3.0), "2.5-3x", ("For multi-turn chatbots, multiply your average by 2.5-3x.",),
    (ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, README, SENSITIVITY_HELP, COST_HELP))
CONTEXT_MULTIPLIER = _default(calc.CONTEXT_MULTIPLIER, "x2.5",
                              "Multi-turn context: base tokens × 2.5",
                              used_in=(ASSUMPTIONS_SHEET, README, COST_DEFAULTS))
POWER_USER_SHARE = Quote(
    # Not a multiplier in the article: xlmargin reads "10-15% of users" as a 1.10-1.15 one.
    (0.10, 0.15), "10-15% of users",
    ("Power users: 10-15% of users generate 50%+ of the token volume.",),
    (ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, README, SENSITIVITY_HELP), percent=True)
POWER_USER_MULTIPLIER = _default(calc.POWER_USER_MULTIPLIER, "x1.15",
                                 "Power user adjustment: × 1.15",
                                 used_in=(ASSUMPTIONS_SHEET, README, COST_DEFAULTS))
DAYS = _default(calc.DAYS_PER_MONTH, "30 days",
                "(Interactions per Day) × (30 days) × (Price per Token)",
                used_in=(ASSUMPTIONS_SHEET, README, COST_DEFAULTS))
EMBEDDINGS_RANGE = Quote(
    (0.05, 0.15), "5-15%",
    ("If you are running RAG, you also pay for embedding generation.",
     "this adds 5-15% to total cost"),
    (ASSUMPTIONS_SHEET, SENSITIVITY_SHEET, README, SENSITIVITY_HELP, COST_HELP), percent=True)

USE_CASE_ROWS = {
    case.key: Quote((float(case.input_tokens), float(case.output_tokens)),
                    f"{case.input_tokens}/{case.output_tokens}", (row,),
                    (ASSUMPTIONS_SHEET, README))
    for case, row in zip(USE_CASES, (
        "| Customer support chatbot | 350 | 250 | 600 |",
        "| Document Q&A / RAG | 800 | 400 | 1,200 |",
        "| Lead qualification | 200 | 150 | 350 |",
        "| Content generation | 300 | 800 | 1,100 |",
        "| Data extraction / classification | 500 | 100 | 600 |"), strict=True)
}
CLIENT_TYPE_ROWS = {
    kind.key: Quote((float(kind.low), float(kind.high)), f"{kind.low:,}-{kind.high:,}", (row,),
                    (ASSUMPTIONS_SHEET,))
    for kind, row in zip(CLIENT_TYPES, (
        "| Small business (1-10 employees) | 20-50 |",
        "| Mid-market (50-500 employees) | 100-300 |",
        "| Enterprise (500+ employees) | 500-2,000 |"), strict=True)
}

# The article's figures that xlmargin corrects (README, "Where the article's arithmetic slips").
REVISED_INPUT = Quote((12_251_063.0,), "12,251,063",
                      ("Revised input: (1,050,000 + 3,000,000) × 2.5 × 1.05 × 1.15 = 12,251,063 "
                       "tokens",), (README,))
REVISED_OUTPUT = Quote((2_268_281.0,), "2,268,281",
                       ("Revised output: 750,000 × 2.5 × 1.05 × 1.15 = 2,268,281 tokens",),
                       (README,))
REALISTIC_GPT_4O = Quote((53.31,), "$53.31",
                         ("Realistic monthly cost per client: $53.31 (GPT-4o)",), (README,))
REALISTIC_SONNET = Quote((70.77,), "$70.77",
                         ("Realistic monthly cost per client: $70.77",), (README,))
HAIKU_PRICE = Quote((0.25, 1.25), "$0.25/$1.25", ("| Claude 3.5 Haiku | $0.25 | $1.25 |",),
                    (README,))

# --- Section 2: the fine-tuned (self-hosted) side --------------------------------------------

SEAT_USD = _default(calc.SEAT_USD, "$14.50 per seat", "| Ertas plan (per seat) | $14.50 |",
                    used_in=(ASSUMPTIONS_SHEET,))
GPU_SERVER_RANGE = Quote((50.0, 120.0), "$50-120", ("| VPS with GPU | $50-120 |",),
                         (ASSUMPTIONS_SHEET,))
BASE_MONTHLY = Quote(
    (float(calc.SEATS), calc.SEAT_USD, calc.GPU_SERVER_USD, calc.OTHER_FIXED_USD,
     calc.BASE_MONTHLY_USD),
    "3 seats x $14.50 + $80 GPU server + $10 other = $133.50",
    ("| Ertas plan (per seat) | $14.50 |",
     "For a 3-person agency: $43.50 (Ertas) + $80 (VPS) + $10 (misc) = $133.50/month total."),
    (ASSUMPTIONS_SHEET, CROSSOVER_HELP))
OTHER_FIXED_RANGES = Quote((1.0, 2.0, 0.0, 10.0), "domain/SSL $1-2, monitoring $0-10",
                           ("| Domain/SSL | $1-2 |", "| Monitoring | $0-10 |"),
                           (ASSUMPTIONS_SHEET,))
PER_CLIENT_USD = _default(calc.PER_CLIENT_USD, "$5 per client",
                          "Fine-tuned infrastructure: $133.50/month base + $5/month per client",
                          used_in=(README, CROSSOVER_HELP))
PER_CLIENT_RANGE = Quote((2.0, 5.0), "$2-5 per client",
                         ("Total marginal cost per client: ~$2-5/month",), (ASSUMPTIONS_SHEET,))
BUFFER = Quote((0.2,), "20%",
               ("Step 6: Add 20% buffer to the fine-tuned side for retraining compute, "
                "monitoring, and maintenance.",),
               (ASSUMPTIONS_SHEET, README, CROSSOVER_HELP), percent=True)
NO_MARGINAL_COST = Quote((), "no marginal cost until GPU is saturated",
                         ("(no marginal cost until GPU is saturated)",), (README,))

# Section 4's hidden self-hosting costs, and section 2's one-time costs.
RETRAINING_COMPUTE = Quote((30.0, 60.0), "30-60 minutes",
                           ("Budget 30-60 minutes of compute per client per quarter",),
                           (ASSUMPTIONS_SHEET, README))
RETRAINING_LABOR = Quote((2.0, 4.0), "2-4 hours",
                         ("plus 2-4 hours of data preparation labor",), (ASSUMPTIONS_SHEET, README))
SETUP_LABOR = Quote((5.0, 10.0, 2.0, 4.0), "data cleaning 5-10 h, deployment 2-4 h",
                    ("| Data cleaning | 5-10 hours labor |",
                     "| Deployment/integration | 2-4 hours labor |"), (ASSUMPTIONS_SHEET, README))
SETUP_FEE = Quote((3000.0, 10000.0), "$3,000-10,000",
                  ("You should be recovering them through setup fees ($3,000-10,000 per "
                   "client).",), (ASSUMPTIONS_SHEET, README))

# --- Section 3: the crossover scenarios ------------------------------------------------------

SCENARIO_LIGHT = Quote((40.0,), "$40",
                       ("If your average API cost per client is $40/month (lightweight "
                        "workloads on cheaper models)",), (CROSSOVER_SHEET,))
SCENARIO_MID = Quote((180.0,), "$180",
                     ("Average API cost per client: $180/month (mid-range, accounting for "
                      "multipliers)",), (CROSSOVER_SHEET,))
SCENARIO_HEAVY = Quote((350.0,), "$350",
                       ("If your average API cost per client is $350/month (heavy workloads on "
                        "frontier models)",), (CROSSOVER_SHEET,))
RETAINER = Quote((1500.0,), "$1,500", ("Client revenue: $1,500/month average retainer",),
                 (CROSSOVER_SHEET, CROSSOVER_HELP))
CROSSOVERS = Quote(
    (1.0, 180.0, 4.0, 40.0, 1.0, 350.0), "1 client at $180, 4 at $40, 1 at $350",
    ("Average API cost per client: $180/month", "The crossover point is at 1 client.",
     "If your average API cost per client is $40/month",
     "In the low-cost scenario, the crossover is at 4 clients.",
     "If your average API cost per client is $350/month",
     "Fine-tuned wins from client 1 in the high-cost scenario."), (README,))
MATH_AT_SCALE_CLIENTS = Quote(
    (1.0, 3.0, 5.0, 8.0, 15.0, 25.0), "1, 3, 5, 8, 15, 25",
    ("| 1 | $180 | 88.0% |", "| 3 | $540 | 88.0% |", "| 5 | $900 | 88.0% |",
     "| 8 | $1,440 | 88.0% |", "| 15 | $2,700 | 88.0% |", "| 25 | $4,500 | 88.0% |"),
    (CROSSOVER_HELP,))

QUOTES: dict[str, Quote] = {
    "system_prompt_range": SYSTEM_PROMPT_RANGE, "system_prompt": SYSTEM_PROMPT,
    "retry_range": RETRY_RANGE, "retry_rate": RETRY_RATE,
    "context_range": CONTEXT_RANGE, "context_multiplier": CONTEXT_MULTIPLIER,
    "power_user_share": POWER_USER_SHARE, "power_user_multiplier": POWER_USER_MULTIPLIER,
    "days": DAYS, "embeddings_range": EMBEDDINGS_RANGE,
    **{f"use_case:{key}": quote for key, quote in USE_CASE_ROWS.items()},
    **{f"client_type:{key}": quote for key, quote in CLIENT_TYPE_ROWS.items()},
    "revised_input": REVISED_INPUT, "revised_output": REVISED_OUTPUT,
    "realistic_gpt_4o": REALISTIC_GPT_4O, "realistic_sonnet": REALISTIC_SONNET,
    "haiku_price": HAIKU_PRICE,
    "seat_usd": SEAT_USD, "gpu_server_range": GPU_SERVER_RANGE, "base_monthly": BASE_MONTHLY,
    "other_fixed_ranges": OTHER_FIXED_RANGES, "per_client_usd": PER_CLIENT_USD,
    "per_client_range": PER_CLIENT_RANGE, "buffer": BUFFER, "no_marginal_cost": NO_MARGINAL_COST,
    "retraining_compute": RETRAINING_COMPUTE, "retraining_labor": RETRAINING_LABOR,
    "setup_labor": SETUP_LABOR, "setup_fee": SETUP_FEE,
    "scenario_light": SCENARIO_LIGHT, "scenario_mid": SCENARIO_MID,
    "scenario_heavy": SCENARIO_HEAVY, "retainer": RETAINER, "crossovers": CROSSOVERS,
    "math_at_scale_clients": MATH_AT_SCALE_CLIENTS,
}


def span(quote: Quote, unit: str = "") -> str:
    """'3-8%', '2.5-3x', '500-2,000': a two-value quote's range the way the article writes it."""
    scale = 100 if quote.percent else 1
    low, high = (f"{v * scale:,.10g}" for v in (quote.low, quote.high))
    return f"{low}-{high}{'%' if quote.percent else unit}"
