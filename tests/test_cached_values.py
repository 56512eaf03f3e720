"""Every generated workbook carries the engine's numbers as its formulas' results, so a reader
that does not recalculate (previews, pandas, openpyxl's data_only) sees what `report` prints,
and an .xlsm opened where the add-in is missing still counts its clients."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import layout

AS_OF = ["--as-of", "2026-11-01"]
ROOT = Path(__file__).resolve().parents[1]


def named(wb, name: str):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "")].value


@pytest.mark.parametrize(("mode", "name", "settings"), [
    ("lite", "a.xlsx", []), ("native", "b.xlsx", ["--settings", str(ROOT / "templates" /
                                                                   "agency.toml")]),
    ("udf", "c.xlsm", [])])
def test_data_only_reads_what_report_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            mode: str, name: str, settings: list[str]) -> None:
    path = tmp_path / name
    assert main(["new", "Acme", "--formulas", mode, "-o", str(path), *settings, *AS_OF]) == 0
    capsys.readouterr()
    assert main(["report", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    wb = load_workbook(path, data_only=True)  # no recalculation: the saved results
    ws = wb[layout.CLIENTS]
    col = layout.COL
    for offset, client in enumerate(report["clients"]):
        row = layout.FIRST_ROW + offset
        assert ws[f"{col['client']}{row}"].value == client["client"]
        for key in ("api_cost", "ft_cost", "api_margin", "ft_margin"):
            assert ws[f"{col[key]}{row}"].value == pytest.approx(client[key], rel=1e-12), (
                row, key)
        assert ws[f"{col['status']}{row}"].value == client["status"]
        assert isinstance(ws[f"{col['input_tokens']}{row}"].value, int | float)
    first_empty = layout.FIRST_ROW + len(report["clients"])
    assert ws[f"{col['api_cost']}{first_empty}"].value in (None, "")
    totals = report["totals"]
    assert named(wb, layout.CLIENT_COUNT) == len(report["clients"]) == 12
    for name_, key in ((layout.TOTAL_REVENUE, "revenue"), (layout.API_COGS, "api_cogs"),
                       (layout.FT_COGS, "ft_cogs"), (layout.API_MARGIN, "api_margin"),
                       (layout.FT_MARGIN, "ft_margin")):
        assert named(wb, name_) == pytest.approx(totals[key], rel=1e-12), name_
    expected = report["crossover"] if report["crossover"] is not None else "never"
    assert named(wb, layout.CROSSOVER_CLIENTS) == expected
