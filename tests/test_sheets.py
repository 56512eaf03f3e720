"""The generated workbook's structure: sheets, names, dropdowns, highlighting, the two formula
dialects, the xlwings template and settings sheet, and text that must stay text."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from xlmargin.errors import InputError
from xlmargin.excel import functions
from xlmargin.sheets import NATIVE, UDF, check_sheet_name, quickstart_path
from xlmargin.sheets import layout as lay
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.guide import FUNCTIONS

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    paths = {}
    for mode, suffix in ((NATIVE, "xlsx"), (UDF, "xlsm")):
        wb, _ = build_from_files("Acme", mode=mode, as_of=AS_OF)
        paths[mode] = folder / f"acme.{suffix}"
        save_atomic(wb, paths[mode])
    return paths


def formulas_of(wb: Workbook) -> list[str]:
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def test_sheets_and_names(books: dict[str, Path]) -> None:
    native = load_workbook(books[NATIVE])
    assert native.sheetnames == list(lay.SHEETS)
    udf = load_workbook(books[UDF], keep_vba=True)
    assert udf.sheetnames == [*lay.SHEETS, lay.CONF_SHEET]
    for wb in (native, udf):
        names = {n: d.attr_text for n, d in wb.defined_names.items()}
        assert names["RetryRate"].startswith("Assumptions!$B$")
        sheet, cell = names["RetryRate"].split("!")
        assert wb[sheet][cell.replace("$", "")].value == 0.05
        assert names["PriceModels"].startswith("Pricing!$A$5:$A$")
        assert names["ClientApiCost"].startswith("Clients!$J$5:$J$")


def test_clients_sheet_helps_the_user(books: dict[str, Path]) -> None:
    ws = load_workbook(books[NATIVE])["Clients"]
    assert ws.freeze_panes == "B5"
    lists = {v.formula1 for v in ws.data_validations.dataValidation if v.type == "list"}
    assert lists == {"=PriceModels", "=UseCaseKeys", "=ClientTypeKeys", '"api,self,open_weight"'}
    rules = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules]
    assert '$N5="Underwater"' in rules and '$N5="Below target"' in rules
    assert ws["J5"].number_format == '"$"#,##0.00' and ws["L5"].number_format == "0.0%"
    # Room for new clients: the rows under the roster already hold the formulas.
    empty = lay.FIRST_ROW + 12 + 10
    assert ws[f"A{empty}"].value is None
    assert ws[f"J{empty}"].value.startswith("=IF(ISNUMBER($I")
    assert "UseCaseInput" in ws[f"F{empty}"].value


def test_native_formulas_use_only_old_functions(books: dict[str, Path]) -> None:
    found = formulas_of(load_workbook(books[NATIVE]))
    assert len(found) > 200
    names = {n for f in found for n in re.findall(r"([A-Z][A-Z0-9_.]*)\(", f)}
    allowed = {"IF", "IFERROR", "INDEX", "MATCH", "COUNT", "COUNTA", "COUNTIF", "SUMIF", "SUM",
               "AND", "MIN", "MAX", "INT", "ISNUMBER", "ISNA", "TEXT",
               "SUMPRODUCT", "ABS",  # the Sensitivity sheet's sums and swings
               "SMALL", "ROWS", "NA",  # the Summary's sorted list, the charts' points
               "LARGE", "OR", "NOT", "LOWER", "TRIM", "SUBSTITUTE"}  # the Plan sheet
    assert names <= allowed, names - allowed


@pytest.mark.parametrize("mode", [NATIVE, UDF])
def test_formulas_fit_excels_limits(books: dict[str, Path], mode: str) -> None:
    found = formulas_of(load_workbook(books[mode], keep_vba=mode == UDF))
    assert max(len(f) for f in found) <= 8192  # MS-OI29500 ST_Formula
    assert all(len(s) <= 255 for f in found for s in re.findall(r'"([^"]*)"', f))


def test_udf_formulas_call_the_python_functions(books: dict[str, Path]) -> None:
    found = "\n".join(formulas_of(load_workbook(books[UDF], keep_vba=True)))
    for name in ("API_COST(", "FT_COST(", "CROSSOVER(", "MARGIN("):
        assert name in found
    assert "API_COST($E5,$F5,$G5,$D5,SystemPromptTokens" in found
    assert "INDEX(PriceInput,MATCH($E5,PriceModels,0))" in found  # prices from Pricing


def test_udf_workbook_keeps_xlwings_vba_and_settings(books: dict[str, Path]) -> None:
    with zipfile.ZipFile(quickstart_path()) as z:
        vba = z.read("xl/vbaProject.bin")
    with zipfile.ZipFile(books[UDF]) as z:
        assert z.read("xl/vbaProject.bin") == vba
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()
    wb = load_workbook(books[UDF], keep_vba=True)
    conf = wb[lay.CONF_SHEET]
    keys = []
    for row in range(1, 30):
        key = conf[f"A{row}"].value
        if key is None:
            break
        keys.append(key)
    settings = {k.upper(): conf[f"B{n}"].value for n, k in enumerate(keys, start=1)}
    assert settings["UDF MODULES"] == "xlmargin.udfs"
    assert len(keys) == len({k.upper() for k in keys})  # xlwings fails on a duplicate key
    assert conf.sheet_properties.codeName == "Sheet2"   # the template's sheet, renamed


def test_user_text_is_never_a_formula(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue,notes\n"
                      '"=HYPERLINK(""http://x"",""y"")",customer_support,1,gpt-4o,10,-2+3\n',
                      encoding="utf-8")
    wb, _ = build_from_files("=cmd|' /C calc'!A0", roster=roster, mode=NATIVE, as_of=AS_OF)
    path = tmp_path / "x.xlsx"
    save_atomic(wb, path)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>HYPERLINK" not in sheet and "cmd|" not in "".join(re.findall("<f>.*?</f>", sheet))
    ws = load_workbook(path)["Clients"]
    assert (ws["A5"].value, ws["A5"].data_type, ws["A5"].quotePrefix) == (
        '=HYPERLINK("http://x","y")', "s", True)
    assert ws["O5"].quotePrefix and ws["A1"].data_type == "s"


def test_sheet_name_rules() -> None:
    for name in lay.SHEETS:
        assert check_sheet_name(name) == name
    for bad in ("", "x" * 32, "a/b", "q?", "'quoted'", "History"):
        with pytest.raises(InputError):
            check_sheet_name(bad)


@pytest.mark.parametrize(("name", "example", "what", "shown"), FUNCTIONS)
def test_guide_examples_are_true(name: str, example: str, what: str, shown: str) -> None:
    call = re.fullmatch(r"=(\w+)\((.*)\)", example)
    assert call and call.group(1) == name
    args = [eval(a) for a in call.group(2).split(", ")]  # literals only: numbers and strings
    value = functions.EXCEL_FUNCTIONS[name](*args)
    if shown.endswith("%"):
        assert f"{value * 100:.1f}%" == shown
    else:
        assert f"{value:,.{len(shown.partition('.')[2])}f}" == shown


def test_core_does_not_import_openpyxl_or_xlwings() -> None:
    code = ("import sys, xlmargin.calc, xlmargin.catalog, xlmargin.models, "
            "xlmargin.excel.functions, xlmargin.portfolio, xlmargin.roster, xlmargin.cli.new, "
            "xlmargin.cli.report; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'xlwings')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
