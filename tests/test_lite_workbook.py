"""The xlwings Lite workbook: numbers that need no add-in, its code inside the file, and a
Functions sheet whose examples say what the functions really answer."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.excel.functions import EXCEL_FUNCTIONS
from xlmargin.excel.lite import main_py, requirements_txt
from xlmargin.sheets import LITE, layout
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.functions_sheet import ADDIN_FUNCTION
from xlmargin.sheets.lite_parts import read_lite_code

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def lite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wb, _count = build_from_files("Lite Agency", mode=LITE, as_of=AS_OF)
    path = tmp_path_factory.mktemp("lite") / "agency.xlsx"
    save_workbook(wb, path, LITE)
    return path


def test_the_workbook_carries_its_code(lite_path: Path) -> None:
    code = read_lite_code(lite_path)
    assert code is not None
    assert code.main_py == main_py() and code.requirements_txt == requirements_txt()
    for name in EXCEL_FUNCTIONS:
        assert f"{name} = func({name})" in code.main_py


def test_no_computed_number_waits_for_the_add_in(lite_path: Path) -> None:
    wb = load_workbook(lite_path)
    assert wb.sheetnames == [*layout.SHEETS[:-1], layout.FUNCTIONS, layout.GUIDE]
    calls = re.compile(r"\b(?:" + "|".join(EXCEL_FUNCTIONS) + r")\(")
    formulas = 0
    for ws in wb.worksheets:
        if ws.title == layout.FUNCTIONS:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                    assert ADDIN_FUNCTION not in cell.value and not calls.search(cell.value), (
                        f"{ws.title}!{cell.coordinate}: {cell.value}")
    assert formulas > 500  # the sheets do compute


def shown_number(text: str) -> float:
    """'1,800.00' -> 1800.0, '88.0%' -> 0.88: what a person reads in the Should show column."""
    value = float(text.rstrip("%").replace(",", ""))
    return value / 100 if text.endswith("%") else value


def test_functions_sheet_examples_answer_what_it_says(lite_path: Path) -> None:
    ws = load_workbook(lite_path)[layout.FUNCTIONS]
    rows = [row for row in ws.iter_rows(min_row=1) if row[0].value in EXCEL_FUNCTIONS]
    assert {row[0].value for row in rows} == set(EXCEL_FUNCTIONS)
    for name_cell, typed, live, should, _what in (row[:5] for row in rows):
        assert live.data_type == "f" and live.value == "=" + ADDIN_FUNCTION + typed.value[1:]
        if "Clients!" in typed.value:
            # The row priced from the Pricing sheet: its Should show reads the Clients sheet.
            first = layout.FIRST_ROW
            assert should.value == f"={layout.CLIENTS}!${layout.COL['api_cost']}${first}"
            continue
        call = ast.parse(typed.value[1:], mode="eval").body
        answer = EXCEL_FUNCTIONS[name_cell.value](*(a.value for a in call.args))
        digits = len(should.value.rstrip("%").partition(".")[2])
        scale = 100 if should.value.endswith("%") else 1
        assert round(answer * scale, digits) / scale == pytest.approx(shown_number(should.value))
