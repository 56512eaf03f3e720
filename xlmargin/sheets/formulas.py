"""The computed cells' formulas, in the two dialects.

``native``: functions LibreOffice 7.4, Google Sheets and every Excel since 2007 know (IF, INDEX,
MATCH, SUMIF, COUNT...; no LET, LAMBDA, XLOOKUP or IFS). ``udf``: the same cells calling the
xlmargin functions (API_COST, FT_COST, CROSSOVER, MARGIN) that xlwings serves from Python.
Both read prices from the Pricing sheet and assumptions from their defined names.
"""

from __future__ import annotations

import re

from xlmargin.sheets import layout
from xlmargin.sheets.cells import Formula

NATIVE, UDF = "native", "udf"
MODES = (UDF, NATIVE)

K = "ContextMultiplier*(1+RetryRate)*PowerUserMultiplier*DaysPerMonth"
FT_MARGINAL = f"{layout.INFRA_NAMES['per_client_usd']}*(1+Buffer)"


class Formulas:
    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.udf = mode == UDF

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
        """Tokens per interaction from the Assumptions table; a typed number replaces it."""
        name = layout.USE_CASE_INPUT if kind == "input" else layout.USE_CASE_OUTPUT
        b = f"$B{r}"
        return Formula(f'=IF({b}="","",IFERROR(INDEX({name},MATCH({b},{layout.USE_CASE_KEYS},0)),'
                       f'"#unknown use case"))')

    def tokens(self, r: int) -> Formula:
        c = self._cells(r)
        valid = (f"AND(COUNT({c['interactions_per_day']},{c['input_tokens']},"
                 f"{c['output_tokens']},{c['monthly_revenue']})=4,{c['client']}<>\"\","
                 f"MIN({c['interactions_per_day']},{c['input_tokens']},{c['output_tokens']})>=0,"
                 f"{c['monthly_revenue']}>0)")
        volume = (f"({c['input_tokens']}+SystemPromptTokens+{c['output_tokens']})"
                  f"*{c['interactions_per_day']}*{K}")
        return Formula(f'=IF({self._typed(r)},"",IF({valid},{volume},"#check inputs"))')

    def api_cost(self, r: int) -> Formula:
        c = self._cells(r)
        match = f"MATCH({c['model']},{layout.PRICE_MODELS},0)"
        price_in = f"INDEX({layout.PRICE_INPUT},{match})"
        price_out = f"INDEX({layout.PRICE_OUTPUT},{match})"
        price_cache = f"INDEX({layout.PRICE_CACHE},{match})"
        if self.udf:
            cost = (f"API_COST({c['model']},{c['input_tokens']},{c['output_tokens']},"
                    f"{c['interactions_per_day']},SystemPromptTokens,ContextMultiplier,"
                    f"RetryRate,PowerUserMultiplier,DaysPerMonth,{price_in},{price_out},"
                    f"CachedInputShare,{price_cache},EmbeddingsOverhead)")
        else:
            blended = f"((1-CachedInputShare)*{price_in}+CachedInputShare*{price_cache})"
            cost = (f"(({c['input_tokens']}+SystemPromptTokens)*{blended}"
                    f"+{c['output_tokens']}*{price_out})*{c['interactions_per_day']}*{K}"
                    f"/1000000*(1+EmbeddingsOverhead)")
        i = c["tokens_per_month"]
        return Formula(f'=IF(ISNUMBER({i}),IF(ISNA({match}),"#model not on Pricing",{cost}),'
                       f'{i})')

    def ft_share(self, r: int) -> Formula:
        c = self._cells(r)
        return Formula(f'=IF(ISNUMBER({c["api_cost"]}),IF({layout.TOTAL_TOKENS}>0,'
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
        m = c["api_margin"]
        return Formula(f'=IF(ISNUMBER({m}),IF({m}<0,"Underwater",IF({m}<{layout.TARGET_MARGIN},'
                       f'"Below target","OK")),{c["api_cost"]})')

    # --- Totals and the self-hosted side ----------------------------------------------------

    def ft_cost(self, clients: str) -> str:
        if self.udf:
            return f"FT_COST({clients},{layout.BASE_MONTHLY},PerClientUSD,Buffer)"
        return f"({layout.BASE_MONTHLY}+PerClientUSD*{clients})*(1+Buffer)"

    def crossover(self, api_per_client: str) -> Formula:
        """First client count where self-hosting is cheaper; "never" when it cannot be."""
        if self.udf:
            count = f"CROSSOVER({api_per_client},{layout.BASE_MONTHLY},PerClientUSD,Buffer)"
        else:
            # n > base*(1+buffer) / (api - per_client*(1+buffer)), the smallest whole such n.
            count = (f"MAX(1,INT({layout.BASE_MONTHLY}*(1+Buffer)/({api_per_client}-{FT_MARGINAL}))"
                     f"+1)")
        return Formula(f'=IF(ISNUMBER({api_per_client}),IF({api_per_client}<={FT_MARGINAL},'
                       f'"never",{count}),"")')


def _grouped(expression: str) -> str:
    """An operand in parentheses unless it is a single reference or name."""
    return expression if re.fullmatch(r"[$A-Za-z0-9_!.]+", expression) else f"({expression})"
