"""`xlmargin chargeback` end to end: usage exports through import_usage, a roster with markups
and fixed fees, the month's invoice lines as JSON and CSV; bad input refused, nothing
overwritten."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from xlmargin.cli import main

ROOT = Path(__file__).parents[1]
CENT = Decimal("0.01")
EVIL = '=HYPERLINK("http://example.invalid","click")'
# Billed amounts (cost_usd), so every dollar is worked out by hand.
USAGE = """date,key,model,input_tokens,output_tokens,cost_usd,requests
2026-09-03,key-harbor,gpt-4o-mini,1000000,200000,50.00,100
2026-10-02,key-harbor,gpt-4o-mini,1000000,200000,70.00,80
2026-10-20,key-harbor,gpt-4o-mini,500000,100000,50.00,40
2026-10-05,key-northwind,gpt-4o-mini,2000000,100000,80.40,300
2026-10-06,key-evil,gpt-4o,10,10,2.00,1
2026-10-07,key-nobody,gpt-4o,100000,10000,5.55,3
2026-10-31,key-pinecrest,gpt-4o,100,10,9.99,1
"""
CLIENT_MAP = f"""identifier,client
key-harbor,Harbor Dental Group
key-northwind,Northwind Logistics
key-pinecrest,pinecrest clinics
key-evil,"{EVIL.replace('"', '""')}"
"""
ROSTER = """client,use_case,interactions_per_day,model,monthly_revenue,markup,fixed_ai_fee
Harbor Dental Group,customer_support,40,gpt-4o-mini,1200,25%,
Northwind Logistics,data_extraction,250,gpt-4o-mini,2500,,150
Pinecrest Clinics,customer_support,120,gpt-4o,2000,0.1,
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    found = {}
    for name, text in (("usage.csv", USAGE), ("map.csv", CLIENT_MAP), ("roster.csv", ROSTER)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        found[name] = tmp_path / name
    return found


def run(files: dict[str, Path], *extra: str, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["chargeback", str(files["usage.csv"]), "--clients", str(files["map.csv"]),
                 "--roster", str(files["roster.csv"]), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_october_by_hand(files: dict[str, Path], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    out_csv = tmp_path / "chargeback.csv"
    code, out, err = run(files, "--month", "2026-10", "-o", str(out_csv), "--json",
                         capsys=capsys)
    assert code == 0, err
    data = json.loads(out)
    assert (data["month"], data["currency"], data["partial"]) == ("2026-10", "USD", False)
    lines = {line["client"]: line for line in data["clients"]}
    harbor = lines["Harbor Dental Group"]
    assert harbor["cost_usd"] == 70.00 + 50.00  # September's 50.00 is another month
    assert harbor["billable_usd"] == 150.00  # 120.00 * (1 + 0.25)
    assert (harbor["requests"], harbor["input_tokens"]) == (80 + 40, 1_000_000 + 500_000)
    northwind = lines["Northwind Logistics"]
    assert (northwind["basis"], northwind["billable_usd"]) == ("fixed fee", 150.00)
    assert northwind["markup_usd"] == 69.60  # 150.00 - 80.40
    pinecrest = lines["Pinecrest Clinics"]  # mapped as "pinecrest clinics": matched as MATCH does
    assert pinecrest["billable_usd"] == 10.99  # 9.99 * 1.1 = 10.989 -> 10.99
    evil = lines[EVIL]
    assert (evil["on_roster"], evil["basis"], evil["billable_usd"]) == (False, "at cost", 2.00)
    assert data["unattributed"]["cost_usd"] == 5.55
    assert data["unattributed"]["billable_usd"] is None
    assert Decimal(str(data["total"]["billable_usd"])) == (
        Decimal("150.00") + Decimal("150.00") + Decimal("10.99") + Decimal("2.00"))
    assert Decimal(str(data["all_usage_cost_usd"])) == (
        Decimal("120.00") + Decimal("80.40") + Decimal("9.99") + Decimal("2.00")
        + Decimal("5.55"))
    assert data["output"] == str(out_csv)
    assert f"Wrote 4 client line(s) and the total for 2026-10 to {out_csv}" in err

    with open(out_csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["client"] for r in rows] == ["Harbor Dental Group", "Northwind Logistics",
                                           "Pinecrest Clinics", "'" + EVIL, "TOTAL",
                                           "(unattributed)"]
    total = rows[4]
    assert total["billable"] == "312.99"  # 150.00 + 150.00 + 10.99 + 2.00
    assert sum(Decimal(r["billable"]) for r in rows[:4]) == Decimal(total["billable"])
    assert rows[5]["billable"] == "" and rows[5]["ai_cost"] == "5.55"


def test_the_text_output_and_its_warnings(files: dict[str, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(files, "--month", "2026-09", capsys=capsys)
    assert code == 0, err
    assert out.startswith("Chargeback for 2026-09 (USD, partial: 28 days)\n")
    harbor = next(line for line in out.splitlines() if line.startswith("Harbor"))
    assert "$50.00" in harbor and "$62.50" in harbor  # 50.00 * 1.25
    assert "warning: 2026-09 is a partial month: the usage covers 28 of its days" in err
    assert "warning: Northwind Logistics" not in err  # a fee above a zero cost is no warning


def test_an_existing_output_is_kept_without_force(files: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out_csv = tmp_path / "chargeback.csv"
    out_csv.write_text("last month's", encoding="utf-8")
    code, _out, err = run(files, "--month", "2026-10", "-o", str(out_csv), capsys=capsys)
    assert (code, err) == (2, f"xlmargin chargeback: error: {out_csv}: already exists; use "
                              "--force to replace it\n")
    assert out_csv.read_text(encoding="utf-8") == "last month's"
    code, _out, err = run(files, "--month", "2026-10", "-o", str(out_csv), "--force",
                          capsys=capsys)
    assert code == 0, err
    assert out_csv.read_text(encoding="utf-8-sig").startswith("month,client,description,")


@pytest.mark.parametrize(("month", "message"), [
    ("2026-11", "--month: 2026-11 is not in the usage, which covers 2026-09 to 2026-10"),
    ("10/2026", "--month: expected a month like 2026-10 (YYYY-MM), got '10/2026'"),
])
def test_a_month_the_usage_does_not_cover(files: dict[str, Path], month: str, message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(files, "--month", month, capsys=capsys)
    assert (code, out, err) == (2, "", f"xlmargin chargeback: error: {message}\n")


def test_a_roster_row_with_both_is_refused_by_row(files: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    files["roster.csv"].write_text(ROSTER.replace("0.1,", "0.1,99"), encoding="utf-8")
    out_csv = tmp_path / "chargeback.csv"
    code, _out, err = run(files, "--month", "2026-10", "-o", str(out_csv), capsys=capsys)
    assert code == 2
    assert err == (f"xlmargin chargeback: error: {files['roster.csv']}: 1 problem\n"
                   "  row 4, column fixed_ai_fee: given with a markup: a client is billed one "
                   "way, keep one of markup and fixed_ai_fee\n")
    assert not out_csv.exists()


def test_the_shipped_sample_against_its_own_rows(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The starter roster on the sample LiteLLM log: October's cost summed here from the log's
    own rows (spend of each key's October requests), then billed by hand."""
    sample = ROOT / "templates" / "usage" / "litellm_spend_logs.csv"
    with open(sample, encoding="utf-8", newline="") as handle:
        spend: dict[str, Decimal] = {}
        for row in csv.DictReader(handle):
            if row["startTime"].startswith("2026-10"):
                spend[row["api_key"]] = spend.get(row["api_key"], Decimal(0)) + Decimal(
                    row["spend"])
    cost = {key: value.quantize(CENT, ROUND_HALF_UP) for key, value in spend.items()}
    capsys.readouterr()
    assert main(["chargeback", str(sample), "--clients",
                 str(ROOT / "templates" / "usage" / "clients.csv"), "--roster",
                 str(ROOT / "templates" / "roster.csv"), "--month", "2026-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lines = {line["client"]: line for line in data["clients"]}
    harbor = cost["sk-hash-harbor"]
    assert lines["Harbor Dental Group"]["cost_usd"] == float(harbor)
    assert lines["Harbor Dental Group"]["billable_usd"] == float(
        harbor + (harbor * Decimal("0.25")).quantize(CENT, ROUND_HALF_UP))
    assert lines["Northwind Logistics"]["billable_usd"] == 20.00  # the fixed fee
    pinecrest = cost["sk-hash-pinecrest"]
    assert lines["Pinecrest Clinics"]["billable_usd"] == float(
        pinecrest + (pinecrest * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP))
    assert data["unattributed"]["cost_usd"] == float(cost["sk-hash-sandbox"])
    assert lines["Atlas Manufacturing"]["note"].startswith("no usage in 2026-10")
