"""The computed cells' formulas, in the two dialects.

``native``: functions LibreOffice 7.4, Google Sheets and every Excel since 2007 know (IF, INDEX,
MATCH, SUMIF, COUNT...; no LET, LAMBDA, XLOOKUP or IFS). ``udf``: the same cells calling the
xlmargin functions (API_COST, FT_COST, CROSSOVER, MARGIN) that classic xlwings serves from
Python. The ``lite`` workbook computes in the native dialect (its functions are shown on a sheet
of their own, so no total waits for the add-in). All read prices from the Pricing sheet and
assumptions from their defined names.
"""

from __future__ import annotations

import re

from xlmargin.sheets import layout
from xlmargin.sheets.cells import Formula

LITE, NATIVE, UDF = "lite", "native", "udf"
MODES = (LITE, UDF, NATIVE)

K = "ContextMultiplier*(1+RetryRate)*PowerUserMultiplier*DaysPerMonth"
FT_MARGINAL = f"{layout.INFRA_NAMES['per_client_usd']}*(1+Buffer)"


class Formulas:
    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.udf = mode == UDF
        # Which API cost and status the Summary's counts and totals read: in the classic
        # workbook the plain-formula copies, so they hold where the add-in is missing.
        key = "no_addin_" if self.udf else ""
        names = {**layout.CLIENT_RANGE_NAMES, **layout.NO_ADDIN_RANGE_NAMES}
        self.cost_range = names[f"{key}api_cost"]
        self.status_range = names[f"{key}status"]
        self.margin_range = names[f"{key}api_margin"]
        self.cost_key = f"{key}api_cost"

    def plain(self) -> Formulas:
        """These formulas without the xlmargin functions, over the same API cost and status:
        the Summary's and the Plan's, which must hold where the add-in is missing."""
        if not self.udf:
            return self
        plain = Formulas(NATIVE)
        plain.cost_range, plain.status_range = self.cost_range, self.status_range
        plain.margin_range, plain.cost_key = self.margin_range, self.cost_key
        return plain

    # --- Clients, one row ------------------------------------------------------------------

    @staticmethod
    def _cells(r: int) -> dict[str, str]:
        return {key: f"${letter}{r}" for key, letter in layout.COL.items()}

    @staticmethod
    def _typed(r: int) -> str:
        c = Formulas._cells(r)
        return (f"COUNTA({c['client']},{c['use_case']},{c['interactions_per_day']},"
                f"{c['model']},{c['monthly_revenue']})=0")

    @staticmethod
    def use_case_tokens(r: int, kind: str) -> Formula:
        """Tokens per interaction from the Assumptions table, found by the article's label or
        the roster CSV's key; a typed number replaces it."""
        name = layout.USE_CASE_INPUT if kind == "input" else layout.USE_CASE_OUTPUT
        b = f"$B{r}"
        by_key = (f"IFERROR(INDEX({name},MATCH({b},{layout.USE_CASE_CSV_KEYS},0)),"
                  '"#unknown use case")')
        return Formula(f'=IF({b}="","",IFERROR(INDEX({name},MATCH({b},{layout.USE_CASE_KEYS},0)),'
                       f'{by_key}))')

    def tokens(self, r: int) -> Formula:
        c = self._cells(r)
        valid = (f"AND(COUNT({c['interactions_per_day']},{c['input_tokens']},"
                 f"{c['output_tokens']},{c['monthly_revenue']})=4,{c['client']}<>\"\","
                 f"MIN({c['interactions_per_day']},{c['input_tokens']},{c['output_tokens']})>=0,"
                 f"{c['monthly_revenue']}>0)")
        volume = (f"({c['input_tokens']}+SystemPromptTokens+{c['output_tokens']})"
                  f"*{c['interactions_per_day']}*{K}")
        return Formula(f'=IF({self._typed(r)},"",IF({valid},{volume},"#check inputs"))')

    def _cost(self, r: int, model: str, plain: bool = False) -> tuple[str, str]:
        """(MATCH of ``model`` on Pricing, the month's cost of row r's workload on it);
        ``plain``: without API_COST in the classic workbook too."""
        c = self._cells(r)
        match = f"MATCH({model},{layout.PRICE_MODELS},0)"
        price_in = f"INDEX({layout.PRICE_INPUT},{match})"
        price_out = f"INDEX({layout.PRICE_OUTPUT},{match})"
        price_cache = f"INDEX({layout.PRICE_CACHE},{match})"
        if self.udf and not plain:
            cost = (f"API_COST({model},{c['input_tokens']},{c['output_tokens']},"
                    f"{c['interactions_per_day']},SystemPromptTokens,ContextMultiplier,"
                    f"RetryRate,PowerUserMultiplier,DaysPerMonth,{price_in},{price_out},"
                    f"CachedInputShare,{price_cache},EmbeddingsOverhead)")
        else:
            blended = f"((1-CachedInputShare)*{price_in}+CachedInputShare*{price_cache})"
            cost = (f"(({c['input_tokens']}+SystemPromptTokens)*{blended}"
                    f"+{c['output_tokens']}*{price_out})*{c['interactions_per_day']}*{K}"
                    f"/1000000*(1+EmbeddingsOverhead)")
        return match, cost

    def api_cost(self, r: int, plain: bool = False) -> Formula:
        c = self._cells(r)
        match, cost = self._cost(r, c["model"], plain)
        i = c["tokens_per_month"]
        return Formula(f'=IF(ISNUMBER({i}),IF(ISNA({match}),"#model not on Pricing",{cost}),'
                       f'{i})')

    def no_addin_columns(self, r: int) -> dict[str, Formula]:
        """The classic workbook's plain-formula API cost, status and margin of row r."""
        c = self._cells(r)
        cost, revenue = c["no_addin_api_cost"], c["monthly_revenue"]
        margin = f"({revenue}-{cost})/{revenue}"
        return {"no_addin_api_cost": self.api_cost(r, plain=True),
                "no_addin_status": self._status(margin, cost, cost),
                "no_addin_api_margin": Formula(f'=IF(ISNUMBER({cost}),{margin},"")')}

    def output_tokens(self, r: int) -> Formula:
        """The output half of Tokens / month: GPU servers decode it at a different speed."""
        c = self._cells(r)
        return Formula(f'=IF(ISNUMBER({c[self.cost_key]}),'
                       f'{c["output_tokens"]}*{c["interactions_per_day"]}*{K},"")')

    def open_weight_cost(self, r: int) -> Formula:
        """Row r's workload on the hosted open-weight model (Assumptions), "" when none; in
        plain formulas, as the Summary's total of it is."""
        c = self._cells(r)
        model = layout.OPEN_WEIGHT_MODEL
        match, cost = self._cost(r, model, plain=True)
        return Formula(f'=IF(AND(ISNUMBER({c[self.cost_key]}),{model}<>""),'
                       f'IF(ISNA({match}),"#open-weight model not on Pricing",{cost}),"")')

    def ft_share(self, r: int) -> Formula:
        c = self._cells(r)
        return Formula(f'=IF(ISNUMBER({c[self.cost_key]}),IF({layout.TOTAL_TOKENS}>0,'
                       f'{layout.FT_COGS}*{c["tokens_per_month"]}/{layout.TOTAL_TOKENS},'
                       f'{layout.FT_COGS}/{layout.CLIENT_COUNT}),"")')

    def margin(self, revenue: str, cogs: str) -> str:
        if self.udf:
            return f"MARGIN({revenue},{cogs})"
        revenue, cogs = _grouped(revenue), _grouped(cogs)
        return f"({revenue}-{cogs})/{revenue}"

    def client_margin(self, r: int, cost_key: str) -> Formula:
        c = self._cells(r)
        return Formula(f'=IF(ISNUMBER({c[cost_key]}),'
                       f'{self.margin(c["monthly_revenue"], c[cost_key])},"")')

    @staticmethod
    def status(r: int) -> Formula:
        c = Formulas._cells(r)
        return Formulas._status(c["api_margin"], c["api_margin"], c["api_cost"])

    @staticmethod
    def _status(margin: str, check: str, cost: str) -> Formula:
        """The status word from ``margin`` while ``check`` is a number, else ``cost`` (its
        message: '#check inputs', '#model not on Pricing', or blank)."""
        m = _grouped(margin)
        return Formula(f'=IF(ISNUMBER({check}),IF({m}<0,"Underwater",IF({m}<'
                       f'{layout.TARGET_MARGIN},"Below target","OK")),{cost})')

    # --- Totals and the self-hosted side ----------------------------------------------------

    def ft_cost(self, clients: str, servers: str = "1") -> str:
        """Self-hosted COGS for ``clients`` clients on ``servers`` GPU servers (the base holds
        one), plus retraining outside the buffer."""
        base = layout.BASE_MONTHLY
        if servers != "1":
            base = f"({base}+{layout.SERVER_USD}*({servers}-1))"
        if self.udf:
            cost = f"FT_COST({clients},{base},PerClientUSD,Buffer)"
        else:
            cost = f"({base}+PerClientUSD*{clients})*(1+Buffer)"
        return f"{cost}+{layout.RETRAINING_USD}*{clients}"

    def crossover(self, api_per_client: str) -> Formula:
        """First client count where self-hosting is cheaper; "never" when it cannot be.
        Retraining per client counts as API cost saved, so it comes off the API side."""
        api = f"({api_per_client}-{layout.RETRAINING_USD})"
        if self.udf:
            count = f"CROSSOVER({api},{layout.BASE_MONTHLY},PerClientUSD,Buffer)"
        else:
            # n > base*(1+buffer) / (api - per_client*(1+buffer)), the smallest whole such n.
            count = (f"MAX(1,INT({layout.BASE_MONTHLY}*(1+Buffer)/({api}-{FT_MARGINAL}))"
                     f"+1)")
        return Formula(f'=IF(ISNUMBER({api_per_client}),IF({api}<={FT_MARGINAL},'
                       f'"never",{count}),"")')

    def servers(self, input_tokens: str, output_tokens: str) -> str:
        """GPU servers for a month's load: 1 with capacity off, else at least 1."""
        if self.udf:
            needed = (f"GPU_SERVERS({input_tokens},{output_tokens},{layout.PREFILL_TPS},"
                      f"{layout.DECODE_TPS},{layout.UTILIZATION})")
        else:
            # -INT(-x) rounds up (CEILING differs between spreadsheet programs).
            needed = (f"-INT(-({input_tokens}/{layout.PREFILL_TPS}+{output_tokens}/"
                      f"{layout.DECODE_TPS})/({layout.SECONDS_PER_MONTH}*{layout.UTILIZATION}))")
        return f'IF({layout.GPU_NAME}="",1,MAX(1,{needed}))'


def _grouped(expression: str) -> str:
    """An operand in parentheses unless it is a single reference or name."""
    return expression if re.fullmatch(r"[$A-Za-z0-9_!.]+", expression) else f"({expression})"
