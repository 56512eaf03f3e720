"""workbook/ holds what `xlmargin new` makes from the starter templates (roster and settings);
rebuild and compare.

Compared cell by cell (values, formulas, styles' number formats), with the defined names, data
validation and merged cells; not byte for byte, since a zip stores timestamps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from xlmargin.sheets import LITE, NATIVE, UDF
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.lite_parts import read_lite_code

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 1)  # as in workbook/README.md
AGENCY = "Example AI Agency"
SETTINGS = ROOT / "templates" / "agency.toml"  # built with the starter settings, to show them
REBUILD = "see workbook/README.md for the `xlmargin new` commands that rebuild it"


def snapshot(wb: Workbook) -> dict[str, Any]:
    sheets = {}
    for ws in wb.worksheets:
        sheets[ws.title] = {
            "cells": {c.coordinate: (c.value, c.number_format, c.data_type)
                      for row in ws.iter_rows() for c in row if c.value is not None},
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "validation": sorted((str(v.sqref), v.formula1) for v in
                                 ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
        }
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    return {"sheets": sheets, "names": names, "order": wb.sheetnames}


@pytest.mark.parametrize(("mode", "name"), [(LITE, "example-agency-lite.xlsx"),
                                            (UDF, "example-agency.xlsm"),
                                            (NATIVE, "example-agency.xlsx")])
def test_committed_workbook_is_current(tmp_path: Path, mode: str, name: str) -> None:
    committed = ROOT / "workbook" / name
    assert committed.exists(), f"workbook/{name} is missing; {REBUILD}"
    wb, _count = build_from_files(AGENCY, mode=mode, as_of=AS_OF, settings=SETTINGS)
    fresh = tmp_path / name
    save_workbook(wb, fresh, mode)
    # The code an xlwings Lite workbook carries (main.py, requirements.txt), or none.
    assert read_lite_code(committed) == read_lite_code(fresh), f"workbook/{name}: {REBUILD}"
    assert (read_lite_code(fresh) is not None) == (mode == LITE)
    expected = snapshot(load_workbook(fresh, keep_vba=mode == UDF))
    actual = snapshot(load_workbook(committed, keep_vba=mode == UDF))
    for sheet, content in expected["sheets"].items():
        assert actual["sheets"].get(sheet) == content, f"workbook/{name} sheet {sheet} is " \
                                                       f"stale; {REBUILD}"
    assert actual == expected, f"workbook/{name} is stale; {REBUILD}"
