"""`xlmargin import-usage --workbook`: the Actuals sheet in a workbook made by `new`, checked by
hand, against `--json`, against `xlmargin report`'s Python forecast and through LibreOffice;
the user's edits, the VBA project and the original file survive; bad input writes nothing."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from libreoffice import recalculated_values
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from xlmargin.cli import main
from xlmargin.sheets.actuals import ACTUAL_HEADER, ACTUALS, TITLE
from xlmargin.sheets.read import read_report

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
AS_OF = ["--as-of", "2026-11-01"]
EVIL = '=HYPERLINK("http://example.invalid","click")'

# Billed amounts (cost_usd), so every dollar is derived by hand. The rows cover 2026-09-01 to
# 2026-10-30: 60 whole days, 60 / 30.4375 months.
USAGE = """date,key,model,input_tokens,output_tokens,cost_usd,requests
2026-09-01,key-harbor,gpt-4o-mini,1000000,200000,12.50,100
2026-10-30,key-harbor,gpt-4o-mini,1000000,200000,7.50,80
2026-09-10,key-atlas,gpt-4o,5000000,900000,900.00,2000
2026-09-11,key-lumen,gpt-4o,9000000,900000,150.25,900
2026-09-12,key-summit,gpt-4o,10,10,3.00,1
2026-09-12,key-initech,gpt-4o,100000,10000,40.00,10
2026-09-12,key-evil,gpt-4o,1,1,1.00,1
2026-09-13,key-nobody,gpt-4o,100000,10000,5.00,3
2026-09-14,key-harbor,my-private-finetune,300000,50000,,7
"""
CLIENT_MAP = f"""identifier,client
key-harbor,Harbor Dental Group
key-atlas,Atlas Manufacturing
key-lumen,lumen analytics
key-summit,Harbor*
key-initech,Initech Labs
key-evil,"{EVIL.replace('"', '""')}"
"""
MONTHS = 60 / 30.4375
EXPECTED = {  # roster client -> actual monthly USD
    "Harbor Dental Group": (12.50 + 7.50) / MONTHS,
    "Atlas Manufacturing": 900.00 / MONTHS,
    "Lumen Analytics": 150.25 / MONTHS,  # mapped as "lumen analytics": matched like MATCH does
    "Harbor*": 3.00 / MONTHS,            # Summit Staffing, renamed by the user below
    "Northwind Logistics": 0.0,
}


@pytest.fixture
def usage(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    (tmp_path / "map.csv").write_text(CLIENT_MAP, encoding="utf-8")
    return tmp_path / "usage.csv", tmp_path / "map.csv"


def new(tmp_path: Path, name: str = "agency.xlsx") -> Path:
    path = tmp_path / name
    mode = "udf" if name.endswith(".xlsm") else "native"
    assert main(["new", "Acme", "--formulas", mode, "-o", str(path), *AS_OF]) == 0
    return path


def user_edits(path: Path) -> None:
    """What a user does between `new` and the import: a number, a rename, a sheet, a name,
    a dropdown, a format."""
    wb = load_workbook(path, keep_vba=path.suffix == ".xlsm")
    clients = wb["Clients"]
    assert clients["A5"].value == "Harbor Dental Group" and clients["D5"].value == 40
    clients["D5"] = 80
    assert clients["A15"].value == "Summit Staffing"
    clients["A15"] = "Harbor*"  # MATCH would take it for a wildcard and find row 5
    mine = wb.create_sheet("My notes")
    mine["A1"] = "Renewal in March"
    mine["B2"] = 42
    mine["B2"].number_format = "0.000"
    dv = DataValidation(type="list", formula1='"yes,no"')
    dv.add("C2")
    mine.add_data_validation(dv)
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["MyAnswer"] = DefinedName("MyAnswer", attr_text="'My notes'!$B$2")
    wb.save(path)


def run(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["import-usage", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.stem}.bak-*{path.suffix}"))


def rows_by_client(values: dict[str, object], first_row: int = 11) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in range(first_row, first_row + 200):
        name = values.get(f"A{row}")
        if isinstance(name, str) and name not in found:
            found[name] = row
    return found


def test_actuals_equal_json_python_and_libreoffice(tmp_path: Path, usage: tuple[Path, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    user_edits(path)
    original = path.read_bytes()
    code, out, err = run(usage[0], "--clients", usage[1], "--by", "api_key", "--workbook", path,
                         "--json", capsys=capsys)
    assert code == 0, err
    data = json.loads(out)  # stdout stays pure JSON; the workbook message goes to stderr
    assert "Wrote the Actuals sheet" in err and "Over forecast: Harbor Dental Group" in err

    monthly = {c["client"]: c["monthly_cost_usd"] for c in data["clients"]}
    assert monthly["Harbor Dental Group"] == pytest.approx(EXPECTED["Harbor Dental Group"])
    assert monthly["lumen analytics"] == pytest.approx(EXPECTED["Lumen Analytics"])
    assert data["unattributed"]["monthly_cost_usd"] == pytest.approx(5.00 / MONTHS)

    [backup] = backups(path)
    assert backup.read_bytes() == original

    forecast = {c.client: c.api_cost for c in read_report(path).clients}
    values = recalculated_values(path, tmp_path / "lo")
    sheet = values[ACTUALS]
    rows = rows_by_client(sheet)
    roster = [n for n in load_workbook(path)["Clients"]["A"][4:16]]
    assert [c.value for c in roster] == list(rows)[:12]  # every roster client, in order
    for client, actual in EXPECTED.items():
        r = rows[client]
        assert sheet[f"C{r}"] == pytest.approx(actual, abs=1e-9), client
        assert sheet[f"B{r}"] == pytest.approx(forecast[client]), client
        assert sheet[f"D{r}"] == pytest.approx(actual - forecast[client]), client
    # Harbor's forecast doubled with the user's 80 interactions a day, and is still far below.
    assert sheet[f"F{rows['Harbor Dental Group']}"] == "Over forecast"
    assert EXPECTED["Harbor Dental Group"] > 1.15 * forecast["Harbor Dental Group"]
    assert sheet[f"F{rows['Atlas Manufacturing']}"] == "OK"
    assert EXPECTED["Atlas Manufacturing"] < forecast["Atlas Manufacturing"]
    assert sheet[f"F{rows['Northwind Logistics']}"] == "No usage"
    assert sheet[f"E{rows['Atlas Manufacturing']}"] == pytest.approx(
        (EXPECTED["Atlas Manufacturing"] - forecast["Atlas Manufacturing"])
        / forecast["Atlas Manufacturing"])
    # Usage off the roster is listed apart; the export's text stays text.
    assert sheet[f"C{rows['Initech Labs']}"] == pytest.approx(40.00 / MONTHS)
    assert sheet[f"C{rows[EVIL]}"] == pytest.approx(1.00 / MONTHS)
    assert sheet[f"C{rows['(unattributed)']}"] == pytest.approx(5.00 / MONTHS)
    assert rows["Initech Labs"] > rows["Roster total"]
    total = rows["All imported usage"]
    assert sheet[f"C{total}"] == pytest.approx(sum(monthly.values()) + 5.00 / MONTHS)
    assert sheet[f"K{total}"] == pytest.approx(12.5 + 7.5 + 900 + 150.25 + 3 + 40 + 1 + 5)
    assert sheet[f"A{rows['my-private-finetune']}"] == "my-private-finetune"
    assert sheet[f"B{rows['my-private-finetune']}"] == 300000
    assert (sheet["B4"], sheet["B5"]) == (datetime(2026, 9, 1), datetime(2026, 10, 30))
    assert sheet["B6"] == pytest.approx(MONTHS, abs=1e-4)  # as --json rounds it

    # The Excel-side view: the Clients sheet's own column, looked up from Actuals.
    clients = values["Clients"]
    column = next(k[:-1] for k, v in clients.items() if v == ACTUAL_HEADER and k.endswith("4"))
    for row in range(5, 17):
        name = clients[f"A{row}"]
        assert clients[f"{column}{row}"] == pytest.approx(EXPECTED.get(name, 0.0)), name

    written = load_workbook(path)
    evil = written[ACTUALS][f"A{rows[EVIL]}"]
    assert evil.data_type == "s" and evil.value == EVIL
    assert written["Clients"]["D5"].value == 80 and written["Clients"]["A15"].value == "Harbor*"
    mine = written["My notes"]
    assert (mine["A1"].value, mine["B2"].value, mine["B2"].number_format) == (
        "Renewal in March", 42, "0.000")
    assert [str(v.sqref) for v in mine.data_validations.dataValidation] == ["C2"]
    assert written.defined_names["MyAnswer"].attr_text == "'My notes'!$B$2"
    assert len(written["Clients"].data_validations.dataValidation) == 8
    assert [len(written[s]._charts) for s in ("Summary", "Crossover", "Sensitivity")] == [1, 2, 1]
    assert written.sheetnames == ["Clients", "Pricing", "Assumptions", "Crossover",
                                  "Sensitivity", "Summary", ACTUALS, "Plan", "Guide",
                                  "My notes"]


def test_twice_replaces_the_sheet_keeps_the_tolerance_and_every_backup(
        tmp_path: Path, usage: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    first = path.read_bytes()
    assert run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)[0] == 0
    wb = load_workbook(path)
    assert wb[ACTUALS]["B7"].value == 0.15
    wb[ACTUALS]["B7"] = 0.5  # the user relaxes the flag
    wb.save(path)
    second = path.read_bytes()
    code, out, _err = run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)
    assert code == 0
    wb = load_workbook(path)
    assert wb.sheetnames.count(ACTUALS) == 1 and len(wb.sheetnames) == 9
    assert wb[ACTUALS]["A1"].value == TITLE and wb[ACTUALS]["B7"].value == 0.5
    assert [n for n in wb.defined_names if n.startswith("Actual")] == ["ActualClients",
                                                                       "ActualMonthlyCost"]
    headers = [c.value for c in wb["Clients"][4]]
    assert headers.count(ACTUAL_HEADER) == 1
    assert "Over forecast" in out  # Harbor: $10.15 a month against $1.28 is over 50% too
    one, two = backups(path)
    assert {one.read_bytes(), two.read_bytes()} == {first, second}
    assert not list(tmp_path.glob(".agency-*"))  # no temp files left


def test_a_tolerance_typed_as_a_whole_number_is_refused_with_the_fix(
        tmp_path: Path, usage: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    assert run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)[0] == 0
    wb = load_workbook(path)
    wb[ACTUALS]["B7"] = 50  # meant as 50%: taken as 5000%, nothing would ever be over
    wb.save(path)
    code, out, err = run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)
    assert code == 0
    assert ("Actuals!B7 (over-forecast tolerance): 50 is 5000%; did you mean 0.5 (50%)?; "
            "using 15%") in out + err
    assert load_workbook(path)[ACTUALS]["B7"].value == 0.15
    wb = load_workbook(path)
    wb[ACTUALS]["B7"] = "50%"  # as text: the share it says
    wb.save(path)
    assert run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)[0] == 0
    assert load_workbook(path)[ACTUALS]["B7"].value == 0.5


def test_xlsm_keeps_its_vba_project_byte_for_byte(tmp_path: Path, usage: tuple[Path, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path, "agency.xlsm")
    user_edits(path)
    with zipfile.ZipFile(path) as archive:
        vba = archive.read("xl/vbaProject.bin")
    assert run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)[0] == 0
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert "macroEnabled" in archive.read("[Content_Types].xml").decode()
    wb = load_workbook(path, keep_vba=True)
    assert wb["Clients"].sheet_properties.codeName == "Sheet1"
    assert wb["xlwings.conf"]["B6"].value == "xlmargin.udfs"
    assert ACTUALS in wb.sheetnames and "My notes" in wb.sheetnames
    assert len(backups(path)) == 1


@pytest.mark.parametrize("bad", ["not_usage", "mixed_currencies", "no_usage"])
def test_a_failing_import_writes_nothing(tmp_path: Path, bad: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    before = sorted(tmp_path.iterdir())
    original = path.read_bytes()
    files = {"not_usage": [FIXTURES / "not_usage.csv"],
             "mixed_currencies": [FIXTURES / "costs_page.spec_example.json",
                                  FIXTURES / "costs_eur.json"],
             "no_usage": [tmp_path / "empty.csv"]}[bad]
    if bad == "no_usage":
        (tmp_path / "empty.csv").write_text("date,client,model,input_tokens,output_tokens\n")
        before = sorted(tmp_path.iterdir())
    code, _out, err = run(*files, "--workbook", path, capsys=capsys)
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    assert path.read_bytes() == original
    assert sorted(tmp_path.iterdir()) == before


def test_not_a_workbook_from_new(tmp_path: Path, usage: tuple[Path, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "budget.xlsx"
    wb = Workbook()
    wb.active.title = "Clients"
    wb.save(other)
    original = other.read_bytes()
    code, _out, err = run(usage[0], "--workbook", other, capsys=capsys)
    assert code == 2
    assert str(other) in err and "not a workbook made by `xlmargin new`" in err
    assert "no sheet Pricing" in err and "defined name ClientNames" in err
    assert other.read_bytes() == original and not backups(other)

    for path, message in ((tmp_path / "missing.xlsx", "file not found"),
                          (usage[1], "takes the .xlsx or .xlsm")):
        code, _out, err = run(usage[0], "--workbook", path, capsys=capsys)
        assert code == 2 and message in err
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a zip")
    code, _out, err = run(usage[0], "--workbook", garbage, capsys=capsys)
    assert code == 2 and "not an Excel workbook" in err


def test_a_sheet_named_actuals_of_the_users_own_is_not_replaced(
        tmp_path: Path, usage: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    wb = load_workbook(path)
    wb.create_sheet(ACTUALS)["A1"] = "My own actuals"
    wb.save(path)
    original = path.read_bytes()
    code, _out, err = run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)
    assert code == 2 and "was not written by xlmargin" in err
    assert path.read_bytes() == original and not backups(path)


def test_parts_openpyxl_would_drop_are_named_and_kept_in_the_backup(
        tmp_path: Path, usage: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = new(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:  # as Excel stores a threaded comment
        archive.writestr("xl/threadedComments/threadedComment1.xml", "<ThreadedComments/>")
    code, _out, err = run(usage[0], "--clients", usage[1], "--workbook", path, capsys=capsys)
    assert code == 0
    assert "agency.xlsx: not kept by the rewrite (the backup has it): threaded comments" in err
    [backup] = backups(path)
    with zipfile.ZipFile(backup) as archive:
        assert "xl/threadedComments/threadedComment1.xml" in archive.namelist()


def test_usage_clients_differing_only_in_case_are_added_not_lost() -> None:
    from xlmargin.sheets.actuals import _by_name

    merged = _by_name([
        {"client": "Acme", "requests": 2, "cost_usd": 1.5, "monthly_cost_usd": 3.0},
        {"client": "ACME ", "requests": 3, "cost_usd": 0.5, "monthly_cost_usd": 1.0},
        {"client": "Globex", "requests": 1, "cost_usd": 2.0, "monthly_cost_usd": 4.0},
    ])
    assert set(merged) == {"acme", "globex"}
    assert merged["acme"]["requests"] == 2 + 3
    assert merged["acme"]["monthly_cost_usd"] == 3.0 + 1.0
    assert merged["acme"]["client"] == "Acme"  # the first spelling names the row
