"""The Sensitivity sheet, recalculated by LibreOffice, equals `xlmargin sensitivity --json` on the
same file: every number of the cases table, the drivers table (in the same order) and the
tornado's data; on the starter roster, and on a workbook edited where it hurts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.presets import USE_CASES
from xlmargin.sheets import NATIVE, UDF
from xlmargin.sheets import layout as lay
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.sensitivity import (
    CASE_ROWS,
    CHART_FIRST,
    CHECK_ROW,
    DRIVER_FIRST,
    SUMS_FIRST,
    WORK_FIRST,
)

AS_OF = date(2026, 11, 1)
LABELS = {"Retry rate": "retry_rate", "Context multiplier": "context_multiplier",
          "System prompt tokens": "system_prompt_tokens",
          "Power-user multiplier": "power_user_multiplier",
          "Embeddings overhead": "embeddings_overhead"}


def build(tmp_path: Path, mode: str = NATIVE) -> Path:
    wb, _count = build_from_files("Test Agency", mode=mode, as_of=AS_OF, extra_rows=5)
    path = tmp_path / ("agency.xlsx" if mode == NATIVE else "agency.xlsm")
    save_atomic(wb, path)
    return path


def cli_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The command's JSON; exit 0 when every row was used, 1 when some were left out."""
    code = main(["sensitivity", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == (0 if data["complete"] else 1)
    return data


def close(value: object, expected: float) -> bool:
    return isinstance(value, int | float) and value == pytest.approx(expected, rel=1e-9,
                                                                     abs=1e-9)


def assert_sheet_matches(sheet: dict[str, object], data: dict[str, Any]) -> None:
    expected = data["expected"]["api_cogs"]
    for case, row in CASE_ROWS.items():
        got = data[case]
        assert close(sheet[f"B{row}"], got["api_cogs"]), (case, sheet[f"B{row}"], got)
        assert close(sheet[f"C{row}"], got["api_cogs"] - expected), case
        assert close(sheet[f"D{row}"], got["average_api_cost"]), case
        assert sheet[f"E{row}"] == (got["crossover"] if got["crossover"] is not None
                                    else "never"), case
    assert sheet[f"B{CHECK_ROW}"] == "OK"
    for offset, driver in enumerate(data["drivers"]):
        row = DRIVER_FIRST + offset
        label = str(sheet[f"A{row}"])
        assert LABELS[label.split(":")[0]] == driver["assumption"], (row, label)
        assert close(sheet[f"B{row}"], driver["low_api_cogs"]), label
        assert close(sheet[f"C{row}"], driver["high_api_cogs"]), label
        assert close(sheet[f"D{row}"], driver["swing"]), label
        assert close(sheet[f"E{row}"], driver["low_api_cogs"] - expected), label
        assert close(sheet[f"F{row}"], driver["high_api_cogs"] - expected), label
        # The tornado's data: each end once, in its "far" or its "near" column.
        low_cells = [sheet.get(f"{c}{CHART_FIRST + offset}") for c in "BD"]
        high_cells = [sheet.get(f"{c}{CHART_FIRST + offset}") for c in "CE"]
        for cells, end in ((low_cells, "low_api_cogs"), (high_cells, "high_api_cogs")):
            assert [close(v, driver[end] - expected) for v in cells].count(True) == 1, label
            assert [v in ("", None) for v in cells].count(True) == 1, label
    # The unsorted work table holds the assumptions' ends in the article's order.
    ends = {d["assumption"]: d for d in data["drivers"]}
    for offset, key in enumerate(LABELS.values()):
        row = WORK_FIRST + offset
        assert close(sheet[f"B{row}"], ends[key]["low"]) and close(sheet[f"C{row}"],
                                                                   ends[key]["high"])


def test_starter_workbook_equals_the_command(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path)
    data = cli_json(path, capsys)
    values = recalculated_values(path, tmp_path / "lo")
    assert_sheet_matches(values["Sensitivity"], data)
    sheet, cell = load_workbook(path).defined_names[lay.API_COGS].attr_text.split("!")
    assert close(values[sheet][cell.replace("$", "")], data["expected"]["api_cogs"])
    # The starter roster's order. Expected is $1,902.00 a month: retries swing it by
    # 1902.00 * (1.08 - 1.03) / 1.05 = $90.57, power users by 1902.00 * (1.15 - 1.10) / 1.15 =
    # $82.70; embeddings (0% expected, so 0% to 15%) by 15% of the two retrieval clients'
    # $847.66 = $127.15; the system prompt and the context multiplier swing it more.
    swings = {d["assumption"]: d["high_api_cogs"] - d["low_api_cogs"] for d in data["drivers"]}
    assert swings["retry_rate"] == pytest.approx(1902.00 * 0.05 / 1.05, abs=0.01)
    assert swings["power_user_multiplier"] == pytest.approx(1902.00 * 0.05 / 1.15, abs=0.01)
    assert [d["assumption"] for d in data["drivers"]] == [
        "system_prompt_tokens", "context_multiplier", "embeddings_overhead", "retry_rate",
        "power_user_multiplier"]


def test_edited_workbook_equals_the_command(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path)
    wb = load_workbook(path)
    names = {n: d.attr_text.split("!") for n, d in wb.defined_names.items()}

    def cell(name: str) -> Any:
        sheet, ref = names[name]
        return wb[sheet.strip("'")][ref.split(":")[0].replace("$", "")]

    cell("EmbeddingsOverhead").value = 0.10     # everyone pays 10%; retrieval moves 5-15%
    cell("CachedInputShare").value = 0.30       # cache-read prices enter the blend
    cell("HighRetryRate").value = 0.12
    retrieval = wb["Sensitivity"]
    first = cell("RetrievalUseCases")
    retrieval.cell(row=first.row, column=first.column + 1).value = USE_CASES[0].label
    clients = wb[lay.CLIENTS]
    rows = {clients[f"A{r}"].value: r for r in range(lay.FIRST_ROW, lay.FIRST_ROW + 12)}
    # Riverbend types its tokens; without a use case it still computes and is no retrieval
    # client (a blank must not match the blank cells of the retrieval list).
    clients[f"{lay.COL['use_case']}{rows['Riverbend Publishing']}"].value = None
    # A row that cannot compute: left out of every sum, as the Summary leaves it out.
    clients[f"{lay.COL['interactions_per_day']}{rows['Summit Staffing']}"].value = "lots"
    wb.save(path)

    data = cli_json(path, capsys)
    assert data["clients"] == 11
    assert any("Clients!D" in w and "'lots'" in w for w in data["warnings"])
    values = recalculated_values(path, tmp_path / "lo")
    assert values[lay.CLIENTS][f"{lay.COL['status']}{rows['Summit Staffing']}"] == \
        "#check inputs"
    assert_sheet_matches(values["Sensitivity"], data)
    assert data["high"]["assumptions"]["retry_rate"] == 0.12


def test_udf_workbook_has_the_same_sheet(tmp_path: Path) -> None:
    native = load_workbook(build(tmp_path))["Sensitivity"]
    udf = load_workbook(build(tmp_path, UDF), keep_vba=True)["Sensitivity"]
    # Built-in functions in the .xlsm too (its crossover cells included), so the sheet holds
    # where the add-in is missing.
    crossover = f"E{CASE_ROWS['expected']}"
    assert "CROSSOVER(" not in udf[crossover].value
    cells = {c.coordinate: c.value for row in native.iter_rows() for c in row}
    same = {c.coordinate: c.value for row in udf.iter_rows() for c in row}
    differ = [k for k in cells if cells[k] != same.get(k)]
    assert differ == [f"B{row}" for row in range(SUMS_FIRST, SUMS_FIRST + 4)]
    for k in differ:  # the four sums keep the rows whose API cost computes without the add-in
        assert same[k] == cells[k].replace("ClientApiCost", "ClientApiCostNoAddin")
    chart = udf._charts[0]
    assert (chart.type, chart.overlap, chart.grouping) == ("bar", 100, "clustered")
