"""The name users type into xlwings' "UDF Modules" setting: the classic registration of the
Excel functions, kept at this short, stable path (it lives in ``xlmargin.excel.udfs``)."""

from xlmargin.excel.udfs import (
    API_COST,
    CATEGORY,
    CROSSOVER,
    FT_COST,
    GPU_SERVERS,
    MARGIN,
    MODEL_PRICE,
    PRICE_FOR_MARGIN,
    USE_CASE_TOKENS,
)

__all__ = ["API_COST", "CATEGORY", "CROSSOVER", "FT_COST", "GPU_SERVERS", "MARGIN",
           "MODEL_PRICE", "PRICE_FOR_MARGIN", "USE_CASE_TOKENS"]
