"""`xlmargin chargeback`'s lines from an import's JSON (the months shape import-usage gives),
amounts worked out by hand; the CSV as a billing tool and a spreadsheet read it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xlmargin.chargeback import AT_COST, FIXED, MARKUP, NOT_BILLED, Terms, chargeback
from xlmargin.chargeback_csv import HEADER, csv_text, write_csv
from xlmargin.errors import InputError


def month(name: str, cost: float, *, requests: int = 0, input_tokens: int = 0,
          cached: int = 0, output: int = 0, partial: bool = False, days: int = 31
          ) -> dict[str, Any]:
    return {"month": name, "cost_usd": cost, "input_tokens": input_tokens,
            "cached_input_tokens": cached, "output_tokens": output, "requests": requests,
            "partial": partial, "days": days}


def client(name: str, sep: float, octo: float, **octo_counts: Any) -> dict[str, Any]:
    return {"client": name, "cost_usd": sep + octo,
            "months": [month("2026-09", sep, days=30), month("2026-10", octo, **octo_counts)]}


def data(*clients: dict[str, Any], unattributed: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    return {"month_list": ["2026-09", "2026-10"], "clients": list(clients),
            "unattributed": unattributed}


IMPORT = data(
    client("Harbor Dental Group", 90.00, 120.00, requests=400, input_tokens=3_000_000,
           cached=1_000_000, output=500_000),
    client("Northwind Logistics", 10.00, 80.40, requests=50, input_tokens=700, output=60),
    client("Pinecrest Clinics", 5.00, 33.333, requests=9),
    client("Initech Labs", 0.00, 12.345, requests=2),  # mapped, but not on the roster
    unattributed=client("unattributed", 1.00, 4.56, requests=7, input_tokens=1000, output=10))
ROSTER = [("Harbor Dental Group", Terms(markup=0.25)),
          ("Northwind Logistics", Terms(fixed_ai_fee=150)),
          ("Pinecrest Clinics", Terms()),
          ("Lumen Analytics", Terms(fixed_ai_fee=99.995))]  # no usage at all: the fee alone


def test_markup_fixed_fee_at_cost_and_unattributed_by_hand() -> None:
    result = chargeback(IMPORT, "2026-10", ROSTER)
    lines = {line.client: line for line in result.lines}
    assert list(lines) == ["Harbor Dental Group", "Northwind Logistics", "Pinecrest Clinics",
                           "Lumen Analytics", "Initech Labs"]  # roster order, then the others
    harbor = lines["Harbor Dental Group"]
    assert harbor.basis == MARKUP and harbor.markup == 0.25
    assert harbor.cost_usd == Decimal("120.00")
    assert harbor.markup_usd == Decimal("30.00")  # 120.00 * 0.25
    assert harbor.billable_usd == Decimal("150.00")  # 120.00 * (1 + 0.25)
    assert harbor.counts == {"requests": 400, "input_tokens": 3_000_000,
                             "cached_input_tokens": 1_000_000, "output_tokens": 500_000}
    northwind = lines["Northwind Logistics"]
    assert northwind.basis == FIXED and northwind.billable_usd == Decimal("150.00")
    assert northwind.markup_usd == Decimal("69.60")  # 150.00 - 80.40
    pinecrest = lines["Pinecrest Clinics"]
    assert pinecrest.basis == AT_COST
    assert pinecrest.cost_usd == pinecrest.billable_usd == Decimal("33.33")  # 33.333 to cents
    lumen = lines["Lumen Analytics"]
    assert (lumen.cost_usd, lumen.billable_usd) == (Decimal("0.00"), Decimal("100.00"))  # half up
    assert lumen.note == "no usage in 2026-10"
    assert harbor.note == ""
    initech = lines["Initech Labs"]
    assert not initech.on_roster and initech.basis == AT_COST
    assert initech.billable_usd == Decimal("12.35")  # 12.345 half up
    rest = result.unattributed
    assert rest is not None and rest.basis == NOT_BILLED and rest.billable_usd is None
    assert rest.cost_usd == Decimal("4.56")

    total = result.total
    assert total["cost_usd"] == Decimal("120.00") + Decimal("80.40") + Decimal("33.33") + \
        Decimal("0.00") + Decimal("12.35")
    assert total["billable_usd"] == Decimal("150.00") + Decimal("150.00") + Decimal("33.33") + \
        Decimal("100.00") + Decimal("12.35")
    assert total["requests"] == 400 + 50 + 9 + 2  # the unattributed 7 are not billed
    # Nothing lost: every dollar of the month is on a line or listed as unattributed.
    assert result.all_usage_usd == total["cost_usd"] + Decimal("4.56")
    assert result.all_usage_usd == Decimal("250.64")  # 120.00 + 80.40 + 33.33 + 12.35 + 4.56

    text = "\n".join(result.warnings)
    assert "not on the roster, billed at cost: Initech Labs" in text
    assert "billed at cost: Pinecrest Clinics" in text
    assert "$4.56 of usage in 2026-10 is unattributed" in text
    assert not result.partial and result.days == 31


def test_the_json_says_month_currency_and_total() -> None:
    out = chargeback(IMPORT, "2026-09", ROSTER).as_json()
    assert (out["month"], out["currency"], out["days"], out["partial"]) == (
        "2026-09", "USD", 30, False)
    harbor = out["clients"][0]
    assert harbor["billable_usd"] == 112.50  # 90.00 * (1 + 0.25)
    assert out["total"]["billable_usd"] == 367.50  # 112.50 + 150.00 + 5.00 + 100.00 + 0.00
    assert out["unattributed"]["billable_usd"] is None
    assert out["all_usage_cost_usd"] == 106.00  # 90.00 + 10.00 + 5.00 + 0.00 + 1.00


def test_a_fixed_fee_below_cost_is_said() -> None:
    result = chargeback(data(client("A", 0, 300.00)), "2026-10",
                        [("A", Terms(fixed_ai_fee=250))])
    line = result.lines[0]
    assert line.billable_usd == Decimal("250.00")
    assert line.markup_usd == Decimal("-50.00")  # 250.00 - 300.00
    assert "A: fixed AI fee $250.00 is below the month's AI cost $300.00" in result.warnings


def test_rounding_is_per_line_and_the_total_adds_the_lines() -> None:
    # 3 clients at $0.125 with 25%: each 0.13 (half up) + 0.03 (0.0325) = 0.16; total 0.48,
    # not 3 * 0.125 * 1.25 = 0.46875 rounded to 0.47.
    clients = [client(name, 0, 0.125) for name in "ABC"]
    result = chargeback(data(*clients), "2026-10", [(n, Terms(markup=0.25)) for n in "ABC"])
    assert [line.billable_usd for line in result.lines] == [Decimal("0.16")] * 3
    assert result.total["billable_usd"] == Decimal("0.48")


def test_names_match_as_excel_matches_them_and_case_twins_add_up() -> None:
    result = chargeback(data(client("harbor dental group", 0, 10.00),
                             client("Harbor Dental Group", 0, 5.00)), "2026-10",
                        [("Harbor Dental Group", Terms(markup=0.1)),
                         ("HARBOR DENTAL GROUP", Terms(markup=0.5))])
    assert len(result.lines) == 1
    assert result.lines[0].cost_usd == Decimal("15.00")  # 10.00 + 5.00, billed once
    assert result.lines[0].billable_usd == Decimal("16.50")  # 15.00 * 1.1, the first row's
    assert any("on the roster twice" in w for w in result.warnings)


def test_a_partial_month_is_said_in_warnings_and_lines() -> None:
    partial = {"client": "A", "months": [month("2026-11", 40.00, partial=True, days=12)]}
    result = chargeback({"month_list": ["2026-11"], "clients": [partial]}, "2026-11",
                        [("A", Terms(markup=0.5))])
    assert result.partial and result.days == 12
    assert result.warnings[0].startswith("2026-11 is a partial month: the usage covers 12 ")
    rows = list(csv.reader(io.StringIO(csv_text(result))))
    assert rows[1][2] == "AI usage 2026-11 (12 days): cost + 50% markup"
    assert rows[1][HEADER.index("billable")] == "60.00"  # 40.00 * (1 + 0.5)


@pytest.mark.parametrize(("month_text", "problem"), [
    ("2026-12", "--month: 2026-12 is not in the usage, which covers 2026-09 to 2026-10"),
    ("2026-8", "--month: expected a month like 2026-10 (YYYY-MM), got '2026-8'"),
    ("October", "--month: expected a month like 2026-10 (YYYY-MM), got 'October'"),
])
def test_a_month_outside_the_usage_is_refused(month_text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        chargeback(IMPORT, month_text, ROSTER)
    assert str(caught.value) == problem


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_lines_total_and_unattributed() -> None:
    rows = read_csv(csv_text(chargeback(IMPORT, "2026-10", ROSTER)))
    assert list(rows[0]) == list(HEADER)
    assert [r["client"] for r in rows] == ["Harbor Dental Group", "Northwind Logistics",
                                           "Pinecrest Clinics", "Lumen Analytics",
                                           "Initech Labs", "TOTAL", "(unattributed)"]
    assert {r["month"] for r in rows} == {"2026-10"} and {r["currency"] for r in rows} == {"USD"}
    harbor = rows[0]
    assert (harbor["ai_cost"], harbor["markup"], harbor["markup_amount"], harbor["billable"]) == (
        "120.00", "25%", "30.00", "150.00")
    assert (harbor["requests"], harbor["input_tokens"], harbor["cached_input_tokens"],
            harbor["output_tokens"]) == ("400", "3000000", "1000000", "500000")
    assert harbor["description"] == "AI usage 2026-10: cost + 25% markup"
    assert rows[1]["description"] == "AI fee 2026-10: fixed" and rows[1]["markup"] == ""
    total = rows[5]
    assert total["billable"] == "445.68"  # 150.00 + 150.00 + 33.33 + 100.00 + 12.35
    billed = sum(Decimal(r["billable"]) for r in rows[:5])
    assert Decimal(total["billable"]) == billed
    rest = rows[6]
    assert (rest["ai_cost"], rest["billable"], rest["markup_amount"]) == ("4.56", "", "")
    assert "not billed" in rest["description"]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://example.invalid","x")', "+1-555", "-x",
                                  "@SUM(A1)", "\tTab"])
def test_a_name_that_starts_like_a_formula_stays_text(name: str) -> None:
    rows = read_csv(csv_text(chargeback(data(client(name, 0, 1.00)), "2026-10",
                                        [(name, Terms(markup=0.1))])))
    assert rows[0]["client"] == "'" + name
    assert rows[0]["billable"] == "1.10"  # 1.00 * (1 + 0.1): a number stays a number


def test_a_negative_amount_is_a_number_not_quoted() -> None:
    rows = read_csv(csv_text(chargeback(data(client("A", 0, 300.00)), "2026-10",
                                        [("A", Terms(fixed_ai_fee=250))])))
    assert rows[0]["markup_amount"] == "-50.00"


def test_the_file_is_never_overwritten_without_force(tmp_path: Path) -> None:
    result = chargeback(IMPORT, "2026-10", ROSTER)
    path = tmp_path / "chargeback.csv"
    path.write_text("my invoice notes", encoding="utf-8")
    with pytest.raises(InputError, match="already exists; use --force to replace it"):
        write_csv(result, path, force=False)
    assert path.read_text(encoding="utf-8") == "my invoice notes"
    write_csv(result, path, force=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfmonth,client,")  # a BOM: Excel reads it as UTF-8
    assert read_csv(raw.decode("utf-8-sig"))[0]["billable"] == "150.00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chargeback.csv"]  # no temp left


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "new.csv"
    write_csv(chargeback(IMPORT, "2026-10", ROSTER), path, force=False)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]
