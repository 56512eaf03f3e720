"""Months per client: each client's calendar months (UTC) side by side, partial months marked,
a record across a month boundary shared by the seconds it covers in each."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from xlmargin.usage.actuals import Totals
from xlmargin.usage.aggregate import import_usage
from xlmargin.usage.months import add_months, covered_months, split_count
from xlmargin.usage.record import UsageRecord

PLAIN = "date,client,model,input_tokens,output_tokens,cached_input_tokens,requests,cost_usd\n"


def test_each_client_lists_every_covered_month(tmp_path: Path) -> None:
    usage = tmp_path / "usage.csv"
    usage.write_text(PLAIN + "2026-08-30,Acme,gpt-4o-mini,1000,100,200,2,1.50\n"
                             "2026-08-31,Acme,gpt-4o-mini,500,50,0,1,0.25\n"
                             "2026-09-01,Globex,gpt-4o-mini,4000,400,0,5,3.00\n"
                             "2026-10-15,Acme,gpt-4o-mini,10,1,0,1,2.00\n")
    data = import_usage([usage]).as_json()
    # covered: 2026-08-30 00:00 to 2026-10-16 00:00: 2 days of August, all of September,
    # 15 days of October
    assert data["month_list"] == ["2026-08", "2026-09", "2026-10"]
    acme, globex = data["clients"]  # type: ignore[misc]
    assert acme["months"] == [
        {"month": "2026-08", "cost_usd": 1.50 + 0.25, "input_tokens": 1000 + 500,
         "cached_input_tokens": 200, "output_tokens": 100 + 50, "requests": 2 + 1,
         "partial": True, "days": 2},
        {"month": "2026-09", "cost_usd": 0.0, "input_tokens": 0, "cached_input_tokens": 0,
         "output_tokens": 0, "requests": 0, "partial": False, "days": 30},
        {"month": "2026-10", "cost_usd": 2.0, "input_tokens": 10, "cached_input_tokens": 0,
         "output_tokens": 1, "requests": 1, "partial": True, "days": 15}]
    assert [(m["month"], m["cost_usd"], m["requests"]) for m in globex["months"]] == [
        ("2026-08", 0.0, 0), ("2026-09", 3.0, 5), ("2026-10", 0.0, 0)]
    # the months add up to the client's total
    assert sum(m["cost_usd"] for m in acme["months"]) == acme["cost_usd"] == 3.75


def test_a_record_across_a_month_boundary_is_shared_by_its_seconds() -> None:
    # 29 August to 2 September: 3 days in August, 1 in September
    record = UsageRecord(source="plain", where="x", start=datetime(2026, 8, 29, tzinfo=UTC),
                         end=datetime(2026, 9, 2, tzinfo=UTC), requests=3, input_tokens=10,
                         cached_input_tokens=1, output_tokens=7, cost_usd=Decimal("1.00"))
    totals = Totals()
    totals.add_record(record, record.cost_usd)
    august, september = totals.by_month["2026-08"], totals.by_month["2026-09"]
    # floor(10 * 3/4) = 7 and 10 - 7 = 3; floor(3 * 3/4) = 2; floor(7 * 3/4) = 5; 1 * 3/4 -> 0
    assert (august.input_tokens, september.input_tokens) == (7, 3)
    assert (august.requests, september.requests) == (2, 1)
    assert (august.output_tokens, september.output_tokens) == (5, 2)
    assert (august.cached_input_tokens, september.cached_input_tokens) == (0, 1)
    assert (august.cost_usd, september.cost_usd) == (Decimal("0.75"), Decimal("0.25"))
    assert totals.cost_usd == Decimal("1.00") and totals.input_tokens == 10


def test_split_count_adds_up() -> None:
    for n in (0, 1, 7, 1000, 10**15):
        for weights in ((1,), (1, 1, 1), (86400 * 3, 3600), (5, 0, 5)):
            assert sum(split_count(n, weights)) == n


def test_partial_days_count_a_day_covered_in_part() -> None:
    # hourly buckets from 3 November 10:00 to 15 November 00:00: days 3 to 14 are touched
    months = covered_months(datetime(2026, 11, 3, 10, tzinfo=UTC),
                            datetime(2026, 11, 15, tzinfo=UTC))
    assert [(m.month, m.days, m.partial) for m in months] == [("2026-11", 12, True)]
    whole = covered_months(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert [(m.month, m.days, m.partial) for m in whole] == [("2026-02", 28, False)]
    assert add_months("2026-11", 2) == "2027-01" and add_months("2027-01", -1) == "2026-12"
