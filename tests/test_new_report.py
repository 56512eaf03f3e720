"""`xlmargin new` and `xlmargin report` end to end: files, exit codes, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import layout as lay

ROOT = Path(__file__).resolve().parents[1]
AS_OF = ["--as-of", "2026-11-01"]


def xlmargin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xlmargin", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_new_writes_and_never_overwrites_without_force(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "acme.xlsx"
    assert main(["new", "Acme AI", "--formulas", "native", "-o", str(out), *AS_OF]) == 0
    first = out.read_bytes()
    assert main(["new", "Other", "--formulas", "native", "-o", str(out), *AS_OF]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == first
    assert main(["new", "Other", "--formulas", "native", "-o", str(out), "--force",
                 *AS_OF]) == 0
    assert load_workbook(out)["Clients"]["A1"].value == "Other: clients"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.xlsx"]  # no temp files left


def test_default_name_and_suffix(tmp_path: Path) -> None:
    result = xlmargin("new", "Acme AI / Labs", *AS_OF, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Acme-AI-Labs.xlsx").exists()  # the xlwings Lite workbook
    assert "lite formulas" in result.stdout
    classic = xlmargin("new", "Acme AI / Labs", "--formulas", "udf", *AS_OF, cwd=tmp_path)
    assert classic.returncode == 0, classic.stderr
    assert (tmp_path / "Acme-AI-Labs.xlsm").exists()
    wrong = xlmargin("new", "Acme", "--formulas", "native", "-o", "acme.xlsm", cwd=tmp_path)
    assert wrong.returncode == 2
    assert "writes a .xlsx file" in wrong.stderr


def test_bad_roster_stops_before_writing(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue\n"
                      "A,customer_support,ten,gpt-4o,100\n"
                      "B,customer_support,-1,gpt-4o,100\n"
                      "C,nonsense,1,gpt-9000,100\n", encoding="utf-8")
    result = xlmargin("new", "Acme", "--roster", str(roster), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for expected in ("row 2, column interactions_per_day", "row 3, column interactions_per_day",
                     "row 4, column use_case", "row 4, column model", "4 problems"):
        assert expected in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]


def test_report_json_from_workbook_and_from_roster_agree(tmp_path: Path) -> None:
    templates = ROOT / "templates"
    made = xlmargin("new", "Acme", "--formulas", "native", "-o", "acme.xlsx", "--settings",
                    str(templates / "agency.toml"), *AS_OF, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    from_workbook = xlmargin("report", "acme.xlsx", "--json", cwd=tmp_path)
    from_roster = xlmargin("report", str(templates / "roster.csv"), "--settings",
                           str(templates / "agency.toml"), *AS_OF, "--json", cwd=tmp_path)
    assert from_workbook.returncode == from_roster.returncode == 0
    a, b = json.loads(from_workbook.stdout), json.loads(from_roster.stdout)
    assert a["warnings"] == b["warnings"] == []
    assert a["crossover"] == b["crossover"] == 2
    assert a["totals"] == pytest.approx(b["totals"])
    assert [c["client"] for c in a["clients"]] == [c["client"] for c in b["clients"]]
    for x, y in zip(a["clients"], b["clients"], strict=True):
        assert {k: v for k, v in x.items() if k != "client"} == pytest.approx(
            {k: v for k, v in y.items() if k != "client"})
    assert sum(c["ft_cost"] for c in a["clients"]) == pytest.approx(a["totals"]["ft_cogs"])
    # ft_cogs = ft_cost(12 clients) with the starter settings' 20% buffer.
    assert a["totals"]["ft_cogs"] == pytest.approx((3 * 14.5 + 80 + 10 + 5 * 12) * 1.2)
    text = xlmargin("report", "acme.xlsx", cwd=tmp_path)
    assert "Lumen Analytics" in text.stdout and "Underwater" in text.stdout
    assert "crossover: 2 clients" in text.stdout


def test_new_and_report_without_settings_both_take_the_articles_defaults(
        tmp_path: Path) -> None:
    made = xlmargin("new", "Acme", "--formulas", "native", "-o", "acme.xlsx", *AS_OF,
                    cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    book = load_workbook(tmp_path / "acme.xlsx")
    assumptions = {row[2]: row[1] for row in book["Assumptions"].iter_rows(values_only=True)
                   if len(row) > 2 and isinstance(row[2], str)}
    assert assumptions["Buffer"] == 0 and assumptions["TargetMargin"] == 0.6
    assert "OpenWeightModel" in assumptions and not assumptions["OpenWeightModel"]  # off
    from_workbook = xlmargin("report", "acme.xlsx", "--json", cwd=tmp_path)
    from_roster = xlmargin("report", str(ROOT / "templates" / "roster.csv"), *AS_OF, "--json",
                           cwd=tmp_path)
    a, b = json.loads(from_workbook.stdout), json.loads(from_roster.stdout)
    # ft_cogs = ft_cost(12 clients) with the article's buffer of 0.
    assert a["totals"]["ft_cogs"] == b["totals"]["ft_cogs"] == pytest.approx(
        3 * 14.5 + 80 + 10 + 5 * 12)
    assert a["totals"] == pytest.approx(b["totals"])
    assert a["crossover"] == b["crossover"]
    assert "open_weight_model" not in a and "open_weight_model" not in b


def test_report_names_bad_cells_and_keeps_good_rows(tmp_path: Path) -> None:
    out = tmp_path / "acme.xlsm"
    assert main(["new", "Acme", "--formulas", "udf", "-o", str(out), *AS_OF]) == 0
    wb = load_workbook(out, keep_vba=True)
    ws = wb["Clients"]
    ws.delete_rows(lay.FIRST_ROW + 1)            # a client removed
    col = lay.COL
    ws[f"{col['monthly_revenue']}7"] = "n/a"     # text where a number belongs
    ws[f"{col['model']}8"] = "gpt-17"            # a model not on the Pricing sheet
    ws[f"{col['use_case']}9"] = "astrology"      # a use case not on Assumptions
    wb["Assumptions"]["B8"] = "two"              # RetryRate? see below
    wb.save(out)
    assert wb["Assumptions"]["C8"].value == "RetryRate"
    result = xlmargin("report", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # reported, but incomplete
    data = json.loads(result.stdout)
    assert len(data["clients"]) == 12 - 1 - 3
    warnings = "\n".join(data["warnings"])
    assert "Clients!H7: expected a number, got 'n/a'" in warnings
    assert "Clients!E8: model 'gpt-17' is not on the Pricing sheet" in warnings
    assert "Clients!B9: unknown use case 'astrology'" in warnings
    assert "Assumptions!B8: expected a number, got 'two'; using the default" in warnings
    assert "Clients!H7" in result.stderr  # the text output's warnings go to stderr too
    assert data["complete"] is False
    assert data["skipped"] == [
        {"row": 7, "cell": "Clients!H7", "message": "expected a number, got 'n/a'"},
        {"row": 8, "cell": "Clients!E8", "message": "model 'gpt-17' is not on the Pricing sheet"},
        {"row": 9, "cell": "Clients!B9", "message": "unknown use case 'astrology'"}]
    # Every client reported carries its model and status.
    assert all(set(c) >= {"model", "status"} for c in data["clients"])
    text = xlmargin("report", str(out), cwd=tmp_path)
    assert text.returncode == 1
    assert text.stdout.startswith("INCOMPLETE: 3 rows (rows 7, 8, 9) left out of every total")
    sens = xlmargin("sensitivity", str(out), "--json", cwd=tmp_path)
    assert sens.returncode == 1
    assert json.loads(sens.stdout)["skipped"] == data["skipped"]
    sens_text = xlmargin("sensitivity", str(out), cwd=tmp_path)
    assert sens_text.returncode == 1 and sens_text.stdout.startswith("INCOMPLETE: 3 rows")


def test_report_of_a_complete_workbook_exits_0_and_of_nothing_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "acme.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(out), *AS_OF]) == 0
    done = xlmargin("report", str(out), "--json", cwd=tmp_path)
    assert done.returncode == 0 and json.loads(done.stdout)["complete"] is True
    wb = load_workbook(out)
    ws = wb["Clients"]
    for row in range(lay.FIRST_ROW, lay.FIRST_ROW + 12):
        ws[f"{lay.COL['monthly_revenue']}{row}"] = "tbd"
    wb.save(out)
    none = xlmargin("report", str(out), cwd=tmp_path)
    assert none.returncode == 2
    assert "no client could be reported (Clients!H5: expected a number, got 'tbd'" in none.stderr


def test_report_on_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    bogus = tmp_path / "x.xlsx"
    bogus.write_text("hello")
    result = xlmargin("report", str(bogus), cwd=tmp_path)
    assert result.returncode == 2
    assert "not an Excel workbook" in result.stderr and "Traceback" not in result.stderr


def test_new_refuses_an_infinite_setting_naming_file_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "agency.toml"
    settings.write_text("[infra]\nbuffer = inf\n", encoding="utf-8")  # TOML's infinity
    out = tmp_path / "acme.xlsx"
    code = main(["new", "Acme", "--formulas", "native", "--settings", str(settings), "-o",
                 str(out), *AS_OF])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{settings}: 1 problem" in err and "infra.buffer: input should be a finite number" \
        in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("text", ["inf", "1e400", "nan"])
def test_new_refuses_an_infinite_roster_number_naming_row_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue\n"
                      "A,customer_support,10,gpt-4o,100\n"
                      f"B,customer_support,{text},gpt-4o,100\n", encoding="utf-8")
    out = tmp_path / "acme.xlsx"
    code = main(["new", "Acme", "--formulas", "native", "--roster", str(roster), "-o",
                 str(out), *AS_OF])
    err = capsys.readouterr().err
    assert code == 2
    assert (f"row 3, column interactions_per_day: expected a finite number, got {text!r}"
            in err), err
    assert not out.exists()


STARTER_REVENUE = (1200 + 2500 + 900 + 3000 + 1500 + 1500 + 2800 + 2000 + 450 + 500 + 1600
                   + 2200)  # templates/roster.csv, 12 clients


def test_report_skips_a_client_whose_numbers_overflow_and_keeps_the_rest(
        tmp_path: Path) -> None:
    settings = tmp_path / "agency.toml"
    settings.write_text("[infra]\nbuffer = 0.2\n", encoding="utf-8")
    out = tmp_path / "acme.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "--settings", str(settings), "-o",
                 str(out), *AS_OF]) == 0
    wb = load_workbook(out)
    ws = wb["Clients"]
    assert ws["A10"].value == "Atlas Manufacturing"  # $1,500 a month
    ws[f"{lay.COL['interactions_per_day']}10"] = 1e308  # finite, but its month overflows
    wb.save(out)
    result = xlmargin("report", str(out), "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # reported, but incomplete
    data = json.loads(result.stdout)
    assert data["warnings"] == ["Clients!A10: client 'Atlas Manufacturing' skipped: API cost: "
                                "too large to compute (the inputs overflow a float)"]
    assert data["skipped"] == [{"row": 10, "cell": "Clients!A10", "message": (
        "client 'Atlas Manufacturing': API cost: too large to compute (the inputs overflow a "
        "float)")}]
    assert len(data["clients"]) == 11
    assert "Atlas Manufacturing" not in [c["client"] for c in data["clients"]]
    assert data["totals"]["revenue"] == STARTER_REVENUE - 1500
    assert data["totals"]["ft_cogs"] == pytest.approx((3 * 14.5 + 80 + 10 + 5 * 11) * 1.2)


def test_a_roster_row_whose_numbers_overflow(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue\n"
                      "A,customer_support,100,gpt-4o,1500\n"
                      "B,customer_support,1e308,gpt-4o,900\n", encoding="utf-8")
    report = xlmargin("report", "roster.csv", "--json", *AS_OF, cwd=tmp_path)
    assert report.returncode == 1, report.stderr  # reported, but incomplete
    data = json.loads(report.stdout)
    assert data["warnings"] == ["roster.csv: row 3: client 'B' skipped: API cost: too large to "
                                "compute (the inputs overflow a float)"]
    assert [c["client"] for c in data["clients"]] == ["A"]
    assert data["totals"]["revenue"] == 1500
    made = xlmargin("new", "Acme", "--roster", "roster.csv", "-o", "acme.xlsx", "--formulas",
                    "native", cwd=tmp_path)
    assert made.returncode == 2
    assert made.stderr == ("xlmargin new: error: roster.csv: 1 problem\n"
                           "  row 3, column interactions_per_day: API cost: too large to "
                           "compute (the inputs overflow a float)\n")
    assert not (tmp_path / "acme.xlsx").exists()


def test_new_where_the_os_refuses_to_write_is_one_line_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # /proc takes no new files: mkstemp fails with FileNotFoundError.
    assert main(["new", "Acme", "--formulas", "udf", "-o", "/proc/a.xlsm", *AS_OF]) == 2
    assert capsys.readouterr().err == ("xlmargin new: error: /proc/a.xlsm: cannot write here: "
                                       "No such file or directory\n")
    # A folder named like the workbook, with --force: os.replace fails with IsADirectoryError.
    folder = tmp_path / "somedir.xlsm"
    folder.mkdir()
    assert main(["new", "Acme", "--formulas", "udf", "-o", str(folder), "--force", *AS_OF]) == 2
    assert capsys.readouterr().err == (f"xlmargin new: error: {folder}: cannot write: Is a "
                                       "directory\n")
    assert folder.is_dir() and list(tmp_path.iterdir()) == [folder]  # no temp file left
