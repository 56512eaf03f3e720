"""Where each client's AI cost is heading: the growth fitted over full months, the months its
margin falls below the target and zero, the month's budget, self-hosting's month, and
import-usage's terminal lines for them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from xlmargin.cli import main
from xlmargin.usage.outlook import MonthCost, Plan, first_month_over, projection, trend

HEADER = "date,client,model,input_tokens,output_tokens,cached_input_tokens,requests,cost_usd\n"
DAY = 86400


def month(name: str, cost: float, partial: bool = False, days: int = 30) -> MonthCost:
    return MonthCost(name, cost, partial, (10 if partial else days) * DAY, days * DAY)


def test_growth_fitted_over_full_months_only() -> None:
    # 100, 110, 121: exactly +10% a month; the partial months either side are left out
    found = trend([month("2026-07", 5.0, partial=True), month("2026-08", 100.0),
                   month("2026-09", 110.0), month("2026-10", 121.0),
                   month("2026-11", 1.0, partial=True)])
    assert found.full_months == 3
    assert found.monthly_growth == pytest.approx(0.10, abs=1e-12)
    assert found.base is not None and found.base.month == "2026-10"
    assert found.as_json()["method"] == "log-linear least squares over full months"


def test_growth_needs_three_full_months_from_the_first_with_cost() -> None:
    two = trend([month("2026-08", 100.0), month("2026-09", 110.0)])
    assert two.monthly_growth is None and two.full_months == 2
    assert two.note == "2 full months: a growth rate needs at least 3"
    # a client that started in September: August's zero is before it, not a fall
    late = trend([month("2026-08", 0.0), month("2026-09", 50.0), month("2026-10", 100.0),
                  month("2026-11", 200.0)])
    assert late.full_months == 3 and late.monthly_growth == pytest.approx(1.0)
    assert late.note == "fitted over 2026-09 to 2026-11 from its first with cost, 2026-09"
    gap = trend([month("2026-08", 10.0), month("2026-09", 0.0), month("2026-10", 10.0)])
    assert gap.monthly_growth is None and gap.note is not None and "2026-09" in gap.note


def test_least_squares_of_the_logarithm() -> None:
    # ln 100, ln 200, ln 200: slope = ((-1)(ln100 - m) + (1)(ln200 - m)) / 2 = ln2 / 2
    found = trend([month("2026-01", 100.0, days=31), month("2026-02", 200.0, days=28),
                   month("2026-03", 200.0, days=31)])
    assert found.monthly_growth == pytest.approx(math.sqrt(2) - 1)


def test_projection_months() -> None:
    base = month("2026-10", 121.0)
    found = trend([month("2026-08", 100.0), month("2026-09", 110.0), base])
    result = projection(found, Plan(revenue_usd=500.0), 0.6)
    assert result is not None
    # below target: 121 * 1.1^k > 500 * (1 - 0.6) = 200; 1.1^5 * 121 = 194.87, 1.1^6 * 121 =
    # 214.36: k = 6, 2026-10 + 6 = 2027-04. Below zero: 121 * 1.1^k > 500; 1.1^14 * 121 =
    # 459.5, 1.1^15 * 121 = 505.4: k = 15, 2028-01
    assert (result["below_target"], result["below_zero"]) == ("2027-04", "2028-01")
    assert projection(found, None, 0.6) is None
    flat = projection(trend([base]), Plan(revenue_usd=500.0), 0.6)
    assert flat is not None and flat["below_target"] is None and flat["below_zero"] is None
    assert str(flat["note"]).startswith("not below target at a flat cost, from 2026-10's $121.00")
    # growing 1% a month, but not enough: 102.01 * 1.01^24 = 129.5 < 200
    slow = projection(trend([month("2026-08", 100.0), month("2026-09", 101.0),
                             month("2026-10", 102.01)]), Plan(revenue_usd=500.0), 0.6)
    assert slow is not None and slow["below_target"] is None
    assert str(slow["note"]).startswith("not below target within 24 months")
    # already below: 121 > 250 * 0.4 = 100
    under = projection(found, Plan(revenue_usd=250.0), 0.6)
    assert under is not None and under["below_target"] == "2026-10"
    # 121 * 1.1^k > 250: 1.1^7 * 121 = 235.8, 1.1^8 * 121 = 259.4: 2027-06
    assert under["below_zero"] == "2027-06"


def test_not_within_24_months() -> None:
    # 1% a month from 100 passes 200 after 70 months: not within 24
    assert first_month_over(month("2026-10", 100.0), 0.01, 200.0) is None
    assert first_month_over(month("2026-10", 100.0), -0.05, 150.0) is None  # falling


def test_import_usage_with_a_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    usage = tmp_path / "usage.csv"
    usage.write_text(HEADER + "2026-08-01,Acme,gpt-4o-mini,1,1,0,1,100\n"
                              "2026-09-01,Acme,gpt-4o-mini,1,1,0,1,110\n"
                              "2026-10-01,Acme,gpt-4o-mini,1,1,0,1,121\n"
                              "2026-10-31,Acme,gpt-4o-mini,0,0,0,0,0\n"
                              "2026-11-01,Acme,gpt-4o-mini,1,1,0,1,30\n"
                              "2026-11-10,Acme,gpt-4o-mini,0,0,0,0,0\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue,"
                      "monthly_ai_budget\nACME ,customer_support,10,gpt-4o-mini,500,80\n")
    assert main(["import-usage", str(usage), "--roster", str(roster), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (acme,) = data["clients"]
    # covered 1 August to 11 November: November is partial, 10 days
    assert data["month_list"] == ["2026-08", "2026-09", "2026-10", "2026-11"]
    assert acme["months"][-1]["partial"] and acme["months"][-1]["days"] == 10
    assert acme["trend"]["full_months"] == 3
    assert acme["trend"]["monthly_growth"] == pytest.approx(0.1)
    assert acme["projection"]["below_target"] == "2027-04"
    assert acme["projection"]["below_zero"] == "2028-01"
    # November straight-line: $30 in 10 of its 30 days -> 30 * 30 / 10 = $90 > $80
    assert acme["budget"] == {"monthly_ai_budget_usd": 80.0, "month": "2026-11",
                              "to_date_usd": 30.0, "projected_usd": 90.0, "over": True}
    # self-hosting one client: 133.50 + 5 = 138.50; 121 * 1.1 = 133.1, 121 * 1.21 = 146.41
    assert data["self_hosting"]["month"] == "2026-12"
    assert data["self_hosting"]["already_cheaper"] is False
    assert main(["import-usage", str(usage), "--roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "2026-11 (10 d)" in out and "$121.00" in out
    assert "Trend: Acme: +10.0% a month (log-linear least squares over full months, " \
           "3 full months;" in out
    assert "Projection: Acme ($500.00 a month, target margin 60%): below target in 2027-04, " \
           "underwater in 2028-01" in out
    assert "Budget: Acme: 2026-11 over budget: $90.00 projected ($30.00 so far) against " \
           "$80.00" in out
    assert "self-hosting is cheaper from 2026-12" in out


def test_a_bad_budget_names_its_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    usage = tmp_path / "usage.csv"
    usage.write_text(HEADER + "2026-08-01,Acme,gpt-4o-mini,1,1,0,1,100\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue,"
                      "monthly_ai_budget\nAcme,customer_support,10,gpt-4o-mini,500,-5\n")
    assert main(["import-usage", str(usage), "--roster", str(roster)]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err and "monthly_ai_budget" in err and "negative" in err


def test_revenue_from_the_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "acme.xlsx"
    assert main(["new", "Acme AI", "-o", str(book), "--as-of", "2026-11-01"]) == 0
    usage = tmp_path / "usage.csv"
    # the starter roster's Harbor Dental Group pays $1,200 a month (matched in any case);
    # Nobody is not on it
    usage.write_text(HEADER + "2026-08-01,harbor dental group,gpt-4o-mini,1,1,0,1,100\n"
                              "2026-09-30,harbor dental group,gpt-4o-mini,1,1,0,1,110\n"
                              "2026-10-31,Nobody,gpt-4o-mini,1,1,0,1,5\n")
    capsys.readouterr()
    assert main(["import-usage", str(usage), "--workbook", str(book), "--json"]) == 0
    clients = {c["client"]: c for c in json.loads(capsys.readouterr().out)["clients"]}
    assert clients["harbor dental group"]["projection"]["revenue_usd"] == 1200.0
    assert clients["Nobody"]["projection"] is None
    assert main(["import-usage", str(usage), "--workbook", str(book)]) == 0
    assert "No revenue for Nobody (not on the roster or workbook by that name)" \
        in capsys.readouterr().out
