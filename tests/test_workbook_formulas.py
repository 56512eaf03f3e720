"""The udf workbook evaluated by the `formulas` package, its xlmargin functions answered by
xlwings' own Windows call path (tests/xlwings_windows.py), equals `xlmargin report`.

This is the .xlsm's formulas end to end (INDEX/MATCH on Pricing, the named assumptions, the
API_COST/FT_COST/CROSSOVER/MARGIN calls) without Excel. Kept to the starter roster: formulas
is slow on big workbooks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import formulas
import numpy as np
import pytest
import schedula  # installed with formulas
from formulas.tokens.operand import XlError
from openpyxl import load_workbook
from xlwings_windows import XL_ERRORS, ExcelRange, call_like_excel, load_udf_module

from xlmargin.roster import starter_settings
from xlmargin.sheets import UDF
from xlmargin.sheets import layout as lay
from xlmargin.sheets.crossover import SCENARIO_ROW, TABLE_FIRST, scenario_columns
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.read import read_report

UDFS = ("API_COST", "FT_COST", "CROSSOVER", "MARGIN")
AS_OF = date(2026, 11, 1)


def as_pywin32(value: Any) -> Any:
    """A formulas cell value as pywin32 would hand it to xlwings."""
    if value is schedula.EMPTY:
        return None
    if isinstance(value, XlError):
        return XL_ERRORS.get(str(value), XL_ERRORS["#VALUE!"])
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer | np.floating):
        return float(value)
    return value


def bridge(name: str) -> Any:
    def call(*args: Any) -> Any:
        converted = []
        for arg in args:
            grid = np.asarray(arg, dtype=object)
            if grid.ndim == 0 or grid.size == 1:
                converted.append(as_pywin32(grid.reshape(-1)[0]))
            else:
                rows = np.atleast_2d(grid)
                converted.append(ExcelRange([[as_pywin32(v) for v in row] for row in rows]))
        return call_like_excel("xlmargin.udfs", name, *converted)

    return formulas.functions.wrap_func(call)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    load_udf_module("xlmargin.udfs")
    registry = formulas.get_functions()
    saved = {name: registry.get(name) for name in UDFS}
    registry.update({name: bridge(name) for name in UDFS})
    path = tmp_path_factory.mktemp("udf") / "agency.xlsm"
    # The starter settings: a 20% buffer and the hosted open-weight model's column too.
    wb, _count = build_from_files("Test Agency", mode=UDF, as_of=AS_OF, extra_rows=3,
                                  settings=starter_settings())
    save_atomic(wb, path)
    try:
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
    finally:
        for name, function in saved.items():
            if function is None:
                registry.pop(name, None)
            else:
                registry[name] = function
    prefix = f"'[{path.name}]"
    values = {}
    for key, ranges in solution.items():
        if key.startswith(prefix) and ":" not in key:
            sheet, cell = key[len(prefix):].split("'!")
            values[f"{sheet.upper()}!{cell}"] = ranges.value[0, 0]
    return values, path


def number(value: Any) -> float:
    assert isinstance(value, int | float | np.number), value
    return float(value)


def test_udf_workbook_equals_report(evaluated: tuple[dict[str, Any], Path]) -> None:
    values, path = evaluated
    report = read_report(path)
    assert len(report.clients) >= 10
    col = lay.COL
    for result in report.clients:
        row = result.where.split("!A")[1]
        cell = lambda key, row=row: values[f"CLIENTS!{col[key]}{row}"]  # noqa: E731
        assert number(cell("api_cost")) == pytest.approx(result.api_cost, rel=1e-9)
        assert number(cell("ft_cost")) == pytest.approx(result.ft_cost, rel=1e-9)
        assert number(cell("api_margin")) == pytest.approx(result.api_margin, rel=1e-9)
        assert number(cell("ft_margin")) == pytest.approx(result.ft_margin, rel=1e-9)
        assert cell("status") == result.status
    names = load_workbook(path, keep_vba=True).defined_names
    summary = {name: values[names[name].attr_text.upper().replace("$", "")]
               for name in (lay.CLIENT_COUNT, lay.TOTAL_REVENUE, lay.API_COGS, lay.FT_COGS,
                            lay.CROSSOVER_CLIENTS)}
    assert number(summary[lay.CLIENT_COUNT]) == len(report.clients)
    assert number(summary[lay.TOTAL_REVENUE]) == pytest.approx(report.revenue)
    assert number(summary[lay.API_COGS]) == pytest.approx(report.api_cogs, rel=1e-9)
    assert number(summary[lay.FT_COGS]) == pytest.approx(report.ft_cogs, rel=1e-9)
    assert number(summary[lay.CROSSOVER_CLIENTS]) == report.crossover
    # The roster's own scenario on the Crossover sheet, through FT_COST/MARGIN/CROSSOVER.
    assert number(values[f"CROSSOVER!D{SCENARIO_ROW}"]) == report.crossover
    api, api_margin, _ft_margin = scenario_columns(0)
    ten = TABLE_FIRST + 9
    assert number(values[f"CROSSOVER!{api}{ten}"]) == pytest.approx(10 * report.average_api_cost)
    assert number(values[f"CROSSOVER!B{ten}"]) == pytest.approx(
        (report.ft_cogs / (1 + 0.2) - 5 * len(report.clients) + 5 * 10) * 1.2)
    revenue = report.revenue / len(report.clients)
    assert number(values[f"CROSSOVER!{api_margin}{ten}"]) == pytest.approx(
        (revenue - report.average_api_cost) / revenue)


def test_blank_rows_stay_blank(evaluated: tuple[dict[str, Any], Path]) -> None:
    values, _path = evaluated
    blank = lay.FIRST_ROW + 12 + 1
    for key in ("api_cost", "ft_cost", "api_margin", "status"):
        assert values.get(f"CLIENTS!{lay.COL[key]}{blank}") in ("", None, schedula.EMPTY)
