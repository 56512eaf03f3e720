"""The hosting column: read from a roster CSV (forgiving of case and spaces, a bad value named
by row and column), written to the Clients sheet with a dropdown, and read back from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import layout
from xlmargin.sheets.read import read_workbook

ROOT = Path(__file__).parents[1]
SETTINGS = str(ROOT / "templates" / "agency.toml")  # names the hosted open-weight model
HEADER = "client,use_case,interactions_per_day,model,monthly_revenue,Hosting\n"


def roster(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_pins_in_any_case_and_spacing_are_kept(tmp_path: Path, capsys) -> None:
    path = roster(tmp_path, "A,customer_support,100,gpt-4o,1500, SELF ",
                  "B,document_qa,200,claude-3-5-sonnet,3000,Api",
                  "C,customer_support,100,gpt-4o,1500,open weight",
                  "D,customer_support,100,gpt-4o,1500,")
    code, out, err = run(capsys, "plan", str(path), "--settings", SETTINGS, "--as-of",
                         "2026-11-01", "--json")
    assert code == 0, err
    clients = {c["client"]: c for c in json.loads(out)["clients"]}
    assert [(clients[n]["hosting"], clients[n]["pinned"]) for n in "ABCD"] == [
        ("self", True), ("api", True), ("open_weight", True), ("open_weight", False)]


def test_a_bad_hosting_value_is_named_by_row_and_column(tmp_path: Path, capsys) -> None:
    path = roster(tmp_path, "A,customer_support,100,gpt-4o,1500,api",
                  "B,customer_support,100,gpt-4o,1500,gpu box")
    code, _out, err = run(capsys, "plan", str(path))
    assert code == 2
    assert ("row 3, column hosting: expected api, self, open_weight or blank, got 'gpu box'"
            in err)


def test_open_weight_needs_the_model_in_the_settings(tmp_path: Path, capsys) -> None:
    path = roster(tmp_path, "A,customer_support,100,gpt-4o,1500,open_weight")
    for command in (["plan", str(path)], ["new", "Acme", "--roster", str(path), "-o",
                                          str(tmp_path / "a.xlsx")]):
        code, _out, err = run(capsys, *command)
        assert code == 2
        assert ("row 2, column hosting: open_weight, but the settings name no "
                "open_weight_model") in err


def test_the_clients_sheet_has_the_column_and_reads_it_back(tmp_path: Path, capsys) -> None:
    path = roster(tmp_path, "A,customer_support,100,gpt-4o,1500,Self",
                  "B,customer_support,100,gpt-4o,1500,")
    book = tmp_path / "agency.xlsx"
    code, _out, err = run(capsys, "new", "Acme", "--roster", str(path), "--settings", SETTINGS,
                          "--as-of", "2026-11-01", "--formulas", "native", "-o", str(book))
    assert code == 0, err
    wb = load_workbook(book)
    ws = wb[layout.CLIENTS]
    column = layout.COL["hosting"]
    assert ws[f"{column}{layout.HEADER_ROW}"].value == "Hosting"
    assert ws[f"{column}{layout.FIRST_ROW}"].value == "self"
    dropdowns = [v for v in ws.data_validations.dataValidation
                 if v.formula1 == '"api,self,open_weight"']
    assert len(dropdowns) == 1 and f"{column}{layout.FIRST_ROW}" in str(dropdowns[0].sqref)
    assert [c.hosting for c in read_workbook(book).clients] == ["self", None]

    # Typed by hand: any case, or a word the sheet does not know (blank, with a warning).
    ws[f"{column}{layout.FIRST_ROW}"] = "Open Weight"
    ws[f"{column}{layout.FIRST_ROW + 1}"] = "cloud"
    wb.save(book)
    found = read_workbook(book)
    assert [c.hosting for c in found.clients] == ["open_weight", None]
    where = f"{layout.CLIENTS}!{column}{layout.FIRST_ROW + 1}"
    assert (f"{where}: expected api, self, open_weight or blank, got 'cloud'; the plan treats "
            "it as blank") in found.book.warnings
