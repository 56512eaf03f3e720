"""The formulas' arithmetic as a spreadsheet does it, for the results ``new`` saves.

A formula's cached result should be what Excel or LibreOffice shows once it recalculates, so
the few places where a spreadsheet differs from plain Python are copied here: TEXT() with the
number formats the sheets use (halves rounded away from zero, on the shortest decimal form of
the number), a number joined to text with ``&`` (no ".0" on whole numbers), and INT, which
LibreOffice takes of the number rounded to 15 significant digits (so 2.9999999999999996 is 3).

``Dialect`` gives the four calculations whose formula differs between the modes: the native
formula's arithmetic, or in the ``udf`` mode the xlmargin function the cell calls (what the
add-in answers, errors as its '#' texts).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xlmargin.sheets import layout

NA = "#N/A"
_FORMAT = re.compile(r"(?P<prefix>\$?)(?P<whole>[#,0]+)(?:\.(?P<zeros>0*)(?P<hashes>#*))?"
                     r"(?P<percent>%?)$")


class CellError(str):
    """A spreadsheet error value (#N/A), saved as an error rather than as text."""


def na() -> CellError:
    return CellError(NA)


def is_number(value: Any) -> bool:
    """ISNUMBER: a number, not text, an error or a blank."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def text(value: Any, number_format: str) -> str:
    """TEXT(value, number_format) for the formats the sheets use: '$#,##0', '$#,##0.00',
    '0.0%', '0%', '0.0#', '#,##0', '0.00'. Text stays as it is."""
    if not is_number(value):
        return "" if value is None else str(value)
    found = _FORMAT.match(number_format)
    if found is None:
        raise ValueError(f"number format {number_format!r} not supported")
    number = Decimal(repr(float(value)))
    if found["percent"]:
        number *= 100
    zeros, hashes = len(found["zeros"] or ""), len(found["hashes"] or "")
    rounded = number.quantize(Decimal(1).scaleb(-(zeros + hashes)), rounding=ROUND_HALF_UP)
    whole, _dot, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0").ljust(zeros, "0") if hashes else fraction
    digits = f"{int(whole):,}" if "," in found["whole"] else whole
    sign = "-" if rounded < 0 else ""
    return (f"{sign}{found['prefix']}{digits}" + (f".{fraction}" if fraction else "")
            + found["percent"])


def joined(value: Any) -> str:
    """A value as ``&`` joins it to text: whole numbers without a decimal point."""
    if is_number(value):
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    return "" if value is None else str(value)


def approx(value: float) -> float:
    """``value`` rounded to 15 significant digits, as LibreOffice's INT and ROUND see it."""
    return float(f"{value:.15g}") if math.isfinite(value) else value


def spreadsheet_int(value: float) -> int:
    """INT: the whole number at or below ``value`` (taken at 15 significant digits)."""
    return math.floor(approx(value))


def clients_word(count: Any) -> str:
    """'1 client', '12 clients', as the formulas' ``n&IF(n=1," client"," clients")``."""
    return f"{joined(count)}{' client' if count == 1 else ' clients'}"


class Dialect:
    """The calculations that differ between the native formulas and the xlmargin functions."""

    def __init__(self, udf: bool) -> None:
        self.udf = udf

    def margin(self, revenue: float, cogs: float) -> Any:
        if self.udf:
            from xlmargin.excel.functions import MARGIN

            return MARGIN(revenue, cogs)
        return (revenue - cogs) / revenue

    def ft_cost(self, clients: float, base: float, per_client: float, buffer: float,
                retraining: float) -> Any:
        """``Formulas.ft_cost``: self-hosted COGS with ``base`` the fixed base (extra servers
        in it), plus retraining outside the buffer."""
        if self.udf:
            from xlmargin.excel.functions import FT_COST

            cost = FT_COST(clients, base, per_client, buffer)
            return cost + retraining * clients if is_number(cost) else cost
        return (base + per_client * clients) * (1 + buffer) + retraining * clients

    def crossover(self, api_per_client: Any, names: dict[str, Any]) -> Any:
        """``Formulas.crossover``: the first client count where self-hosting is cheaper."""
        if not is_number(api_per_client):
            return ""
        api = api_per_client - names[layout.RETRAINING_USD]
        buffer, per = names[layout.INFRA_NAMES["buffer"]], names[layout.INFRA_NAMES[
            "per_client_usd"]]
        marginal = per * (1 + buffer)
        if api <= marginal:
            return "never"
        base = names[layout.BASE_MONTHLY]
        if self.udf:
            from xlmargin.excel.functions import CROSSOVER

            return CROSSOVER(api, base, per, buffer)
        return max(1, spreadsheet_int(base * (1 + buffer) / (api - marginal)) + 1)

    def servers(self, input_tokens: float, output_tokens: float, names: dict[str, Any]) -> Any:
        """``Formulas.servers``: 1 with capacity off, else the servers the load needs."""
        if names[layout.GPU_NAME] == "":
            return 1
        prefill, decode = names[layout.PREFILL_TPS], names[layout.DECODE_TPS]
        utilization = names[layout.UTILIZATION]
        if self.udf:
            from xlmargin.excel.functions import GPU_SERVERS

            needed = GPU_SERVERS(input_tokens, output_tokens, prefill, decode, utilization)
            return max(1, needed) if is_number(needed) else needed
        load = (input_tokens / prefill + output_tokens / decode) / (
            layout.SECONDS_PER_MONTH * utilization)
        return max(1, -spreadsheet_int(-load))
