"""Where things are: sheet names, the Clients columns, and the defined names the formulas use.

The writer and the reader (``xlmargin report``) both take positions from here, and the reader
finds columns by their header text, so a user who inserts a column does not break it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlmargin import article

CLIENTS, PRICING, ASSUMPTIONS, CROSSOVER, SUMMARY, GUIDE = (
    "Clients", "Pricing", "Assumptions", "Crossover", "Summary", "Guide")
SENSITIVITY = "Sensitivity"
PLAN = "Plan"
FUNCTIONS = "Functions"  # the xlwings Lite workbook's functions at work
SHEETS = (CLIENTS, PRICING, ASSUMPTIONS, CROSSOVER, SENSITIVITY, SUMMARY, PLAN, GUIDE)
CONF_SHEET = "xlwings.conf"

HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    letter: str
    width: float
    computed: bool = False


CLIENT_COLUMNS = (
    Column("client", "Client", "A", 24),
    Column("use_case", "Use case", "B", 27),
    Column("client_type", "Client type", "C", 14),
    Column("interactions_per_day", "Interactions / day", "D", 11),
    Column("model", "Model", "E", 21),
    Column("input_tokens", "Input tokens / interaction", "F", 11),
    Column("output_tokens", "Output tokens / interaction", "G", 11),
    Column("monthly_revenue", "Monthly revenue", "H", 12),
    Column("tokens_per_month", "Tokens / month", "I", 13, computed=True),
    Column("api_cost", "API cost / month", "J", 12, computed=True),
    Column("ft_cost", "Self-hosted share / month", "K", 12, computed=True),
    Column("api_margin", "API margin", "L", 9, computed=True),
    Column("ft_margin", "Self-hosted margin", "M", 10, computed=True),
    Column("status", "Status", "N", 14, computed=True),
    Column("notes", "Notes", "O", 36),
    # After Notes so the columns above keep their letters.
    Column("output_tokens_per_month", "Output tokens / month", "P", 14, computed=True),
    Column("open_weight_cost", "Open-weight cost / month", "Q", 13, computed=True),
    # Where the client must run (the Plan sheet keeps it there), and the plan xlmargin stored
    # when it wrote the workbook: with GPU capacity on the plan is not a formula.
    Column("hosting", "Hosting", "R", 12),
    Column("stored_plan", "Plan at generation", "S", 12, computed=True),
)
COL = {c.key: c.letter for c in CLIENT_COLUMNS}
HEADERS = {c.header.lower(): c.key for c in CLIENT_COLUMNS}
# The classic-xlwings workbook's API cost and status again, in plain formulas and hidden: the
# Summary's counts and totals read them, so they hold where the add-in is missing (Mac, the web,
# LibreOffice, a preview). The reader ignores them: their headers are not in HEADERS.
NO_ADDIN_COLUMNS = (
    Column("no_addin_api_cost", "API cost / month (without the add-in)", "T", 12, computed=True),
    Column("no_addin_status", "Status (without the add-in)", "U", 14, computed=True),
    Column("no_addin_api_margin", "API margin (without the add-in)", "V", 9, computed=True),
)
COL.update({c.key: c.letter for c in NO_ADDIN_COLUMNS})

# Assumptions: (defined name, label, settings field, number format kind, note)
MULTIPLIER_NAMES = {
    "system_prompt_tokens": "SystemPromptTokens",
    "context_multiplier": "ContextMultiplier",
    "retry_rate": "RetryRate",
    "power_user_multiplier": "PowerUserMultiplier",
    "days": "DaysPerMonth",
    "cached_input_share": "CachedInputShare",
    "embeddings_overhead": "EmbeddingsOverhead",
}
INFRA_NAMES = {
    "seats": "Seats",
    "seat_usd": "SeatUSD",
    "gpu_server_usd": "GPUServerUSD",
    "other_fixed_usd": "OtherFixedUSD",
    "per_client_usd": "PerClientUSD",
    "buffer": "Buffer",
}
TARGET_MARGIN = "TargetMargin"
BASE_MONTHLY = "BaseMonthlyUSD"

USE_CASE_KEYS, USE_CASE_INPUT, USE_CASE_OUTPUT = "UseCaseKeys", "UseCaseInput", "UseCaseOutput"
USE_CASE_CSV_KEYS = "UseCaseCsvKeys"  # the roster CSV's names of the same rows: customer_support
CLIENT_TYPE_KEYS = "ClientTypeKeys"
PRICE_MODELS, PRICE_INPUT, PRICE_OUTPUT, PRICE_CACHE = (
    "PriceModels", "PriceInput", "PriceOutput", "PriceCacheRead")

# Clients columns as ranges, and the Summary cells other sheets refer to.
CLIENT_RANGE_NAMES = {
    "client": "ClientNames",
    "monthly_revenue": "ClientRevenue",
    "tokens_per_month": "ClientTokens",
    "api_cost": "ClientApiCost",
    "ft_cost": "ClientFtCost",
    "api_margin": "ClientApiMargin",
    "ft_margin": "ClientFtMargin",
    "status": "ClientStatus",
    "output_tokens_per_month": "ClientOutputTokens",
    "open_weight_cost": "ClientOpenWeightCost",
    "hosting": "ClientHosting",
    "stored_plan": "ClientStoredPlan",
}
NO_ADDIN_RANGE_NAMES = {"no_addin_api_cost": "ClientApiCostNoAddin",
                        "no_addin_status": "ClientStatusNoAddin",
                        "no_addin_api_margin": "ClientApiMarginNoAddin"}
CLIENT_COUNT, TOTAL_REVENUE, API_COGS, FT_COGS = "ClientCount", "TotalRevenue", "ApiCogs", "FtCogs"
API_MARGIN, FT_MARGIN, SAVINGS = "ApiMargin", "FtMargin", "Savings"
UNDERWATER_CLIENTS, BELOW_TARGET_CLIENTS, TARGET_RAISE = (
    "UnderwaterClients", "BelowTargetClients", "TargetRaiseUSD")
TOTAL_TOKENS, AVERAGE_API_COST, CROSSOVER_CLIENTS = (
    "TotalTokens", "AverageApiCost", "CrossoverClients")

# Pricing columns.
PRICING_HEADERS = ("Model", "Provider", "Name", "Input $ / 1M tokens", "Output $ / 1M tokens",
                   "Cache read $ / 1M tokens", "As of", "Source")

# The article's crossover scenarios (section 3): average API cost per client, its retainer.
SCENARIOS = tuple((f"{name} ({quote.text}, {what})", quote.values[0]) for name, quote, what in (
    ("Light", article.SCENARIO_LIGHT, "cheap models"),
    ("Mid", article.SCENARIO_MID, "the article's average"),
    ("Heavy", article.SCENARIO_HEAVY, "frontier models")))
ARTICLE_RETAINER = article.RETAINER.values[0]
SCENARIO_NOTE = (f"The article's scenarios: {article.SCENARIO_LIGHT.text}, "
                 f"{article.SCENARIO_MID.text} and {article.SCENARIO_HEAVY.text} of API cost per "
                 f"client a month, at its {article.RETAINER.text} retainer.")
CROSSOVER_MAX_CLIENTS = 30

# Capacity, the third option and the hidden self-hosting costs.
GPU_NAME, UTILIZATION, SERVER_USD, PREFILL_TPS, DECODE_TPS = (
    "GpuName", "Utilization", "ServerUSD", "PrefillTPS", "DecodeTPS")
GPU_NAMES, GPU_MONTHLY, GPU_PREFILL, GPU_DECODE = (
    "GpuNames", "GpuMonthlyUSD", "GpuPrefillTPS", "GpuDecodeTPS")
HIDDEN_NAMES = {
    "labor_usd_per_hour": "LaborUSDPerHour",
    "gpu_usd_per_hour": "GpuUSDPerHour",
    "retraining_compute_minutes": "RetrainComputeMinutes",
    "retraining_labor_hours": "RetrainLaborHours",
    "setup_labor_hours": "SetupLaborHours",
    "setup_fee_usd": "SetupFeeUSD",
}
RETRAINING_USD, SETUP_USD = "RetrainingUSD", "SetupUSD"
OPEN_WEIGHT_MODEL = "OpenWeightModel"
TOTAL_INPUT_TOKENS, TOTAL_OUTPUT_TOKENS, SERVERS = (
    "TotalInputTokens", "TotalOutputTokens", "Servers")
OPEN_WEIGHT_COGS, AVERAGE_OPEN_WEIGHT_COST, OPEN_WEIGHT_MARGIN = (
    "OpenWeightCogs", "AverageOpenWeightCost", "OpenWeightMargin")
CROSSOVER_STAYS, SETUP_PAYBACK = "CrossoverStaysFrom", "SetupPaybackMonths"
SERVERS_PER_CLIENT = "ServersPerClient"
SECONDS_PER_MONTH = 30 * 86400

# The Plan sheet's columns as ranges (rows as on Clients) and its totals.
PLAN_RANGE_NAMES = {"moves": "PlanMoves", "off_self": "PlanOffSelf", "saving": "PlanSaving",
                    "candidate": "PlanCandidate", "cost": "PlanCost", "hosting": "PlanHosting",
                    "mover_saving": "PlanMoverSaving"}
PLAN_FIXED, PLAN_MARGINAL, PLAN_PAYS, PLAN_SELF_CLIENTS, PLAN_SELF_TOKENS = (
    "PlanFixedUSD", "PlanMarginalUSD", "PlanPaysBase", "PlanSelfClients", "PlanSelfTokens")
PLAN_SELF_OUTPUT, PLAN_SERVERS, PLAN_SELF_COST, PLAN_SHARED, PLAN_COGS = (
    "PlanSelfOutputTokens", "PlanServers", "PlanSelfCost", "PlanSharedUSD", "PlanCogs")
PLAN_MARGIN, PLAN_SAVES, PLAN_OPEN_CLIENTS, PLAN_API_CLIENTS, PLAN_CAPACITY_CLIENTS = (
    "PlanMargin", "PlanSavesUSD", "PlanOpenWeightClients", "PlanApiClients",
    "PlanCapacityClients")
