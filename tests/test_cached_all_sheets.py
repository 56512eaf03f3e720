"""Every formula cell of a new workbook is saved with the result a spreadsheet computes for it.

LibreOffice recalculates each lite and native workbook from scratch (tests/libreoffice.py forces
it), and every formula cell of every sheet must read back, through openpyxl's data_only (the
saved result, no recalculation), as LibreOffice's value: numbers to 1e-9, text exactly, #N/A as
#N/A. No formula cell may be saved without a result. The rosters have underwater, below-target
and OK clients, two identical clients (a tie in every sorted list), pins, typed tokens; the
options on (GPU capacity, the hosted open-weight model, retraining and setup costs) and off.
The .xlsm's cells call the xlmargin functions LibreOffice does not have: they are held to the
native workbook built from the same inputs, cell for cell, and the lite workbook's Functions
sheet (xlwings Lite's functions) to the functions themselves.
"""

from __future__ import annotations

import math
import re
import zipfile
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import Workbook, load_workbook

from tests.libreoffice import convert
from xlmargin.cli import main
from xlmargin.sheets import layout
from xlmargin.sheets.cached_math import spreadsheet_int, text

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ["--as-of", "2026-11-01"]
HEADER = ("client,use_case,client_type,interactions_per_day,model,input_tokens,output_tokens,"
          "monthly_revenue,notes,hosting\n")
# Heavy Works pays $600 for gpt-4o document Q&A at 2,000 a day: underwater. Twin A and B are
# the same client (equal margins: a tie); Lumen Analytics is below target; Pinned Self and
# Pinned API are pinned; Typed Tokens types its own tokens over the use case's.
ROSTER = HEADER + """\
Harbor Dental Group,customer_support,small_business,40,gpt-4o-mini,,,1200,,
Twin A,customer_support,small_business,40,gpt-4o-mini,,,1200,,
Twin B,customer_support,small_business,40,gpt-4o-mini,,,1200,,
Heavy Works,document_qa,enterprise,2000,gpt-4o,,,600,,
Lumen Analytics,data_extraction,enterprise,1200,gpt-4o,,,450,,
Atlas Manufacturing,document_qa,enterprise,900,gpt-4o,,,1500,,
Pinned Self,lead_qualification,mid_market,180,claude-3-5-haiku,,,1600,,self
Pinned API,document_qa,mid_market,150,Claude 3.5 Sonnet,,,3000,,api
Typed Tokens,content_generation,mid_market,100,gpt-4o,1200,1500,2200,,
Big Loader,data_extraction,enterprise,3000,gpt-4o,,,9000,,
"""
OPEN_WEIGHT_PIN = "Open Pin,customer_support,mid_market,200,gpt-4o,,,2800,,open_weight\n"
HIDDEN_COSTS = {"labor_usd_per_hour = 0.0": "labor_usd_per_hour = 60.0",
                "gpu_usd_per_hour = 0.0": "gpu_usd_per_hour = 2.0",
                "retraining_compute_minutes = 0 ": "retraining_compute_minutes = 45 ",
                "retraining_labor_hours = 0.0": "retraining_labor_hours = 3.0",
                "setup_labor_hours = 0.0": "setup_labor_hours = 10.0",
                "setup_fee_usd = 0.0": "setup_fee_usd = 200.0"}
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def inputs(folder: Path, options: bool) -> list[str]:
    """The roster and settings arguments: every option on, or the defaults (all off)."""
    roster = folder / "roster.csv"
    roster.write_text(ROSTER + (OPEN_WEIGHT_PIN if options else ""), encoding="utf-8")
    if not options:
        return ["--roster", str(roster)]
    settings = (ROOT / "templates" / "agency.toml").read_text(encoding="utf-8")
    settings = settings.replace('# gpu = "L4"', 'gpu = "L4"')
    for old, new in HIDDEN_COSTS.items():
        assert old in settings, old
        settings = settings.replace(old, new)
    path = folder / "agency.toml"
    path.write_text(settings, encoding="utf-8")
    return ["--roster", str(roster), "--settings", str(path)]


def build(folder: Path, mode: str, options: bool) -> Path:
    path = folder / f"agency-{mode}.{'xlsm' if mode == 'udf' else 'xlsx'}"
    assert main(["new", "Acme", "--formulas", mode, "-o", str(path), *inputs(folder, options),
                 *AS_OF]) == 0
    return path


def formula_cells(path: Path) -> dict[str, list[str]]:
    wb = load_workbook(path)
    return {ws.title: [c.coordinate for row in ws.iter_rows() for c in row
                       if c.data_type == "f"] for ws in wb.worksheets}


def without_result(path: Path) -> dict[str, list[str]]:
    """Formula cells saved with no result: an empty <v/> that is not an empty text."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{RELS}Relationship")}
        for sheet in book.iter(f"{MAIN}sheet"):
            target = targets[sheet.get(f"{OFFICE_RELS}id")].lstrip("/")
            part = target if target.startswith("xl/") else f"xl/{target}"
            tree = ElementTree.fromstring(archive.read(part))
            for cell in tree.iter(f"{MAIN}c"):
                if cell.find(f"{MAIN}f") is None:
                    continue
                value = cell.find(f"{MAIN}v")
                if cell.get("t") not in ("str", "e", "b") and (value is None or not value.text):
                    found.setdefault(sheet.get("name"), []).append(cell.get("r"))
    return found


def same(saved: object, computed: object) -> bool:
    saved, computed = ("" if saved is None else saved), ("" if computed is None else computed)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool)
                  for v in (saved, computed))
    if numbers:
        return math.isclose(saved, computed, rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]
    return saved == computed


def addin_cells(path: Path) -> set[tuple[str, str]]:
    """The lite Functions sheet's calls of xlwings Lite's functions (LibreOffice: #NAME?)."""
    wb = load_workbook(path)
    if layout.FUNCTIONS not in wb.sheetnames:
        return set()
    return {(layout.FUNCTIONS, c.coordinate) for row in wb[layout.FUNCTIONS].iter_rows()
            for c in row if c.data_type == "f" and "_xldudf_" in str(c.value)}


@pytest.mark.parametrize("options", [True, False], ids=["options-on", "options-off"])
@pytest.mark.parametrize("mode", ["lite", "native"])
def test_every_formula_result_is_libreoffices(tmp_path: Path, mode: str, options: bool) -> None:
    path = build(tmp_path, mode, options)
    assert without_result(path) == {}
    saved = load_workbook(path, data_only=True)
    recalculated = load_workbook(convert(path, tmp_path / "lo"), data_only=True)
    addin = addin_cells(path)
    formulas = formula_cells(path)
    differ = []
    compared = 0
    for title, cells in formulas.items():
        if title == "Actuals":
            continue
        for coordinate in cells:
            if (title, coordinate) in addin:
                continue
            compared += 1
            ours, theirs = saved[title][coordinate].value, recalculated[title][coordinate].value
            if not same(ours, theirs):
                differ.append((title, coordinate, ours, theirs))
    assert differ == []
    # Every sheet with formulas was compared, the Plan and Clients rows included.
    assert compared > 1500
    assert {t for t, cells in formulas.items() if cells} >= {
        layout.CLIENTS, layout.ASSUMPTIONS, layout.CROSSOVER, layout.SENSITIVITY,
        layout.SUMMARY, layout.PLAN}
    if mode == "lite":
        # LibreOffice did recalculate: the add-in's cells, saved with numbers, became #NAME?.
        assert addin and all(recalculated[t][c].value == "#NAME?" for t, c in addin)
        assert all(isinstance(saved[t][c].value, int | float) for t, c in addin)


def test_options_show_in_the_results(tmp_path: Path) -> None:
    """The roster does what the comparison above relies on: with the options on, the plan
    self-hosts the pinned client, the open-weight pin goes there, the list has a tie and the
    statuses are all three; with them off, the options read "off"."""
    on = load_workbook(build(tmp_path, "native", True), data_only=True)
    summary, plan = on[layout.SUMMARY], on[layout.PLAN]
    statuses = {summary[f"B{r}"].value for r in range(14, 25)}
    assert {"Underwater", "Below target", "OK"} <= statuses
    margins = [summary[f"E{r}"].value for r in range(14, 25)]
    assert any(a == b for a, b in pairwise(margins) if isinstance(a, float))
    assert "Twin A" in [summary[f"A{r}"].value for r in range(14, 25)]
    assert plan["B7"].value >= 1 and plan["B8"].value >= 1  # self-hosts; on open-weight
    assert on[layout.CROSSOVER]["F4"].value == "Capacity: L4 at 50% utilization"
    off_folder = tmp_path / "off"
    off_folder.mkdir()
    off = load_workbook(build(off_folder, "native", False), data_only=True)
    assert off[layout.CROSSOVER]["F4"].value == "Capacity: off (one fixed GPU server)"
    cogs_sheet, ref = next(iter(off.defined_names[layout.OPEN_WEIGHT_COGS].destinations))
    assert off[cogs_sheet][ref.replace("$", "")].value == "off"


@pytest.mark.parametrize("options", [True, False], ids=["options-on", "options-off"])
def test_udf_results_are_the_native_workbooks(tmp_path: Path, options: bool) -> None:
    """The .xlsm's results are what its functions answer: the native workbook's, cell for
    cell (that workbook's are LibreOffice's, above)."""
    udf, native = build(tmp_path, "udf", options), build(tmp_path, "native", options)
    assert without_result(udf) == {}
    saved_udf = load_workbook(udf, data_only=True)
    saved_native = load_workbook(native, data_only=True)
    native_formulas = formula_cells(native)
    # The .xlsm's hidden plain-formula copies of the API cost, status and margin: the native
    # workbook's own columns.
    copies = {layout.COL[key]: layout.COL[key.removeprefix("no_addin_")]
              for key in layout.NO_ADDIN_RANGE_NAMES}
    differ, compared, copied = [], 0, 0
    for title, cells in formula_cells(udf).items():
        if title == layout.CONF_SHEET:
            continue
        both = set(native_formulas.get(title, ()))
        for coordinate in cells:
            there = coordinate
            letters = coordinate.rstrip("0123456789")
            if title == layout.CLIENTS and letters in copies:
                there = copies[letters] + coordinate[len(letters):]
                copied += 1
            elif coordinate not in both:
                continue
            compared += 1
            ours = saved_udf[title][coordinate].value
            theirs = saved_native[title][there].value
            if not same(ours, theirs):
                differ.append((title, coordinate, ours, theirs))
    assert differ == []
    assert compared > 1500
    assert copied == 3 * (len(ROSTER.splitlines()) - 1 + options + 50)  # the rows and 50 more


def test_functions_sheet_holds_the_functions_answers(tmp_path: Path) -> None:
    """Each example's saved result is what the Guide says it should show."""
    path = tmp_path / "lite.xlsx"
    assert main(["new", "Acme", "-o", str(path), *AS_OF]) == 0
    ws = load_workbook(path, data_only=True)[layout.FUNCTIONS]
    shown = {ws[f"A{r}"].value: (ws[f"C{r}"].value, ws[f"D{r}"].value)
             for r in range(1, ws.max_row + 1) if ws[f"C{r}"].value is not None}
    # Should show, by hand: MARGIN(1500, 180) = (1500 - 180) / 1500 = 0.88;
    # FT_COST(10, 133.5, 5, 0) = 133.5 + 5 * 10 = 183.5; PRICE_FOR_MARGIN(180, 0.9) = 180 / 0.1.
    assert shown["MARGIN"][0] == pytest.approx((1500 - 180) / 1500)
    assert shown["FT_COST"][0] == pytest.approx(133.5 + 5 * 10)
    assert shown["PRICE_FOR_MARGIN"][0] == pytest.approx(180 / (1 - 0.9))
    assert shown["USE_CASE_TOKENS"][0] == 350
    # GPU_SERVERS(5832000000, 1, 4500, 1000): 5.832e9 / 4500 = 1,296,000 s of prefill fills
    # one server's 30 * 86400 * 0.5 s exactly; the one output token needs a second server.
    assert 5832000000 / 4500 == 30 * 86400 * 0.5
    assert shown["GPU_SERVERS"][0] == 2
    for name, (answer, should) in shown.items():
        if name != "API_COST" and isinstance(should, str) and re.fullmatch(r"[\d,.%]+", should):
            value = float(should.strip("%").replace(",", "")) / (100 if "%" in should else 1)
            assert answer == pytest.approx(value, abs=0.006), name


# TEXT() and INT as the saved sentences and labels spell them, against LibreOffice's own.
FORMATS = ("$#,##0", "$#,##0.00", "0.0%", "0%", "0.0#", "#,##0", "0.00")
NUMBERS = (0, 0.5, 1.5, 2.5, 0.125, 0.005, 1234.5, 999.995, 1234567.891, -2.5, -0.256,
           0.7, 12, 1.25, 2.0, 0.12345, 20150.4999, 3.14159)
INTS = (2.9999999999999996, 3.0000000000000004, -2.5, 7.999999, 1e15 + 0.5, 0.1 * 3 / 0.3)


def test_text_and_int_match_libreoffice(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row, number in enumerate(NUMBERS, start=1):
        ws.cell(row=row, column=1, value=number)
        for col, number_format in enumerate(FORMATS, start=2):
            ws.cell(row=row, column=col, value=f'=TEXT(A{row},"{number_format}")')
    for row, number in enumerate(INTS, start=1):
        ws.cell(row=row, column=10, value=number)
        ws.cell(row=row, column=11, value=f"=INT(J{row})")
    path = tmp_path / "text.xlsx"
    wb.save(path)
    lo = load_workbook(convert(path, tmp_path / "lo"), data_only=True).active
    differ = []
    for row, number in enumerate(NUMBERS, start=1):
        for col, number_format in enumerate(FORMATS, start=2):
            theirs = lo.cell(row=row, column=col).value
            if text(number, number_format) != theirs:
                differ.append((number, number_format, text(number, number_format), theirs))
    for row, number in enumerate(INTS, start=1):
        theirs = lo.cell(row=row, column=11).value
        if spreadsheet_int(number) != theirs:
            differ.append((number, "INT", spreadsheet_int(number), theirs))
    assert differ == []
    # By hand: halves round away from zero, on the number's shortest decimal form.
    assert text(1234.5, "$#,##0") == "$1,235"
    assert text(0.125, "0.00") == "0.13"
    assert text(-0.256, "0.0%") == "-25.6%"
    assert text(2, "0.0#") == "2.0"


@pytest.mark.parametrize("options", [True, False], ids=["options-on", "options-off"])
def test_udf_sheets_without_the_addin_are_libreoffices(tmp_path: Path, options: bool) -> None:
    """The .xlsm's Summary, Plan and Sensitivity compute in built-in functions: recalculated by
    LibreOffice, which has no xlmargin functions, they read as saved; so do the Clients
    columns that call none (tokens, shares, the hidden no-add-in copies)."""
    path = build(tmp_path, "udf", options)
    saved = load_workbook(path, data_only=True)
    recalculated = load_workbook(convert(path, tmp_path / "lo"), data_only=True)
    plain_clients = {layout.COL[key] for key in (
        "input_tokens", "output_tokens", "tokens_per_month", "ft_cost",
        "output_tokens_per_month", "open_weight_cost", *layout.NO_ADDIN_RANGE_NAMES)}
    differ, compared = [], 0
    for title, cells in formula_cells(path).items():
        for coordinate in cells:
            if title == layout.CLIENTS:
                if coordinate.rstrip("0123456789") not in plain_clients:
                    continue
            elif title not in (layout.SUMMARY, layout.PLAN, layout.SENSITIVITY,
                               layout.ASSUMPTIONS):
                continue
            compared += 1
            ours, theirs = saved[title][coordinate].value, recalculated[title][coordinate].value
            if not same(ours, theirs):
                differ.append((title, coordinate, ours, theirs))
    assert differ == []
    assert compared > 1000
