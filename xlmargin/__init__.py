"""xlmargin: what each client's AI costs and earns.

The calculator as Python functions::

    >>> import xlmargin
    >>> round(xlmargin.API_COST("gpt-4o", 350, 250, 100), 2)
    53.21
    >>> xlmargin.crossover(40.0)
    4

``API_COST``, ``FT_COST``, ``CROSSOVER``, ``MARGIN`` and the helpers behave as the Excel
functions do; ``api_cost``, ``ft_cost``, ``crossover``, ``margin`` and ``price_for_margin`` are
the plain math they call, raising ``InputError`` on bad input.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "api_cost": "xlmargin.calc",
    "api_cost_breakdown": "xlmargin.calc",
    "base_monthly": "xlmargin.calc",
    "crossover": "xlmargin.calc",
    "crossover_table": "xlmargin.calc",
    "ft_cost": "xlmargin.calc",
    "margin": "xlmargin.calc",
    "price_for_margin": "xlmargin.calc",
    "API_COST": "xlmargin.excel.functions",
    "FT_COST": "xlmargin.excel.functions",
    "CROSSOVER": "xlmargin.excel.functions",
    "MARGIN": "xlmargin.excel.functions",
    "PRICE_FOR_MARGIN": "xlmargin.excel.functions",
    "MODEL_PRICE": "xlmargin.excel.functions",
    "USE_CASE_TOKENS": "xlmargin.excel.functions",
    "GPU_SERVERS": "xlmargin.excel.functions",
    "Catalog": "xlmargin.catalog",
    "default_catalog": "xlmargin.catalog",
    "InputError": "xlmargin.errors",
    "XlmarginError": "xlmargin.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    # Imported on first use, so `xlmargin --help` and the Excel function server start fast.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'xlmargin' has no attribute {name!r}")
