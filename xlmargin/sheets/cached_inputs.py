"""The Assumptions sheet's named values (the settings, and the cells computed from them: the
fixed base, the GPU in use, retraining and setup), and the lite workbook's Functions sheet,
whose cells call xlwings Lite's functions: saved with what those functions answer."""

from __future__ import annotations

import ast
from typing import Any

from xlmargin.sheets import layout
from xlmargin.sheets.cached import Book, cache


def assumptions(book: Book) -> None:
    s = book.settings
    n = book.names
    for field, name in layout.MULTIPLIER_NAMES.items():
        n[name] = getattr(s.multipliers, field)
    for field, name in layout.INFRA_NAMES.items():
        n[name] = getattr(s.infra, field)
    for field, name in layout.HIDDEN_NAMES.items():
        n[name] = getattr(s.hidden_costs, field)
    n[layout.TARGET_MARGIN] = s.target_margin
    n[layout.OPEN_WEIGHT_MODEL] = s.open_weight_model or ""
    n[layout.GPU_NAME] = (s.gpu_name(s.capacity.gpu) or "") if s.capacity.gpu else ""
    n[layout.UTILIZATION] = s.capacity.utilization
    gpu = s.gpu
    book.name(layout.SERVER_USD, s.infra.gpu_server_usd if gpu is None else gpu.monthly_usd)
    book.name(layout.PREFILL_TPS, "" if gpu is None else gpu.prefill_tps)
    book.name(layout.DECODE_TPS, "" if gpu is None else gpu.decode_tps)
    infra = s.infra
    book.name(layout.BASE_MONTHLY, infra.seats * infra.seat_usd + n[layout.SERVER_USD]
              + infra.other_fixed_usd)
    hidden = s.hidden_costs
    book.name(layout.RETRAINING_USD, (hidden.retraining_compute_minutes / 60
                                      * hidden.gpu_usd_per_hour + hidden.retraining_labor_hours
                                      * hidden.labor_usd_per_hour) / 3)
    book.name(layout.SETUP_USD, hidden.setup_labor_hours * hidden.labor_usd_per_hour)


def functions(book: Book) -> None:
    """Each example's answer from the function itself; the last row is the first client's API
    cost at the Pricing sheet's prices, as on the Clients sheet."""
    ws = book.sheet(layout.FUNCTIONS)
    if ws is None:
        return
    from xlmargin.excel import functions as excel
    from xlmargin.sheets.functions_sheet import ADDIN_FUNCTION

    first = book.portfolio.clients[0].api_cost if book.portfolio.clients else ""
    for row in ws.iter_rows(min_col=3, max_col=4):
        for cell in row:
            formula = cell.value
            if cell.data_type != "f" or not isinstance(formula, str):
                continue
            if not formula.startswith("=" + ADDIN_FUNCTION):
                cache(ws, cell.coordinate, first)  # =Clients!$J$5
                continue
            call = formula[len(ADDIN_FUNCTION) + 1:]
            name, _paren, rest = call.partition("(")
            arguments = _literals(rest[:-1])
            cache(ws, cell.coordinate, first if arguments is None else
                  _answer(book, excel, name, arguments))


def _answer(book: Book, excel: Any, name: str, arguments: tuple[Any, ...]) -> Any:
    """The function's answer; the two that read the price catalog read the one the workbook
    was priced from (the prices as of its date), so a rebuild gives the same file."""
    if name == "API_COST" and book.catalog is not None:
        from inspect import signature

        from xlmargin.excel.api_cost import api_cost_cells

        parameters = list(signature(excel.API_COST).parameters)
        given = dict.fromkeys(parameters) | dict(zip(parameters, arguments, strict=False))
        return api_cost_cells(given, book.catalog)
    if name == "MODEL_PRICE" and book.catalog is not None:
        price = book.catalog.listed(arguments[0])
        kind = arguments[1] if len(arguments) > 1 else "input"
        return {"input": price.input_usd_per_mtok, "output": price.output_usd_per_mtok,
                "cache_read": price.cache_read_usd_per_mtok}[kind]
    return getattr(excel, name)(*arguments)


def _literals(text: str) -> tuple[Any, ...] | None:
    """The arguments when they are all literals (an example), else None (cell references)."""
    try:
        found = ast.literal_eval(f"({text},)")
    except (ValueError, SyntaxError):
        return None
    return tuple(found)
