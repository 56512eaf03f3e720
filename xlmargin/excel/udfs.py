"""The Excel functions, registered with classic xlwings (Windows desktop Excel).

Point xlwings' "UDF Modules" setting at ``xlmargin.udfs`` (which re-exports this module) and
press "Import Functions". The functions themselves live in ``functions.py`` (plain Python,
importable without xlwings); their
argument descriptions and conversion options travel in the ``Annotated`` hints there, which
xlwings reads. This module only adds the registration.
"""

from __future__ import annotations

import xlwings as xw

from xlmargin.excel import functions

CATEGORY = "xlmargin"

register = xw.func(category=CATEGORY)

API_COST = register(functions.API_COST)
FT_COST = register(functions.FT_COST)
CROSSOVER = register(functions.CROSSOVER)
MARGIN = register(functions.MARGIN)
PRICE_FOR_MARGIN = register(functions.PRICE_FOR_MARGIN)
MODEL_PRICE = register(functions.MODEL_PRICE)
USE_CASE_TOKENS = register(functions.USE_CASE_TOKENS)
GPU_SERVERS = register(functions.GPU_SERVERS)
