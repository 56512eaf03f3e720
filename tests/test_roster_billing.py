"""The roster's billing columns: ``markup`` (a share over AI cost, '25%' or 0.25) and
``fixed_ai_fee`` (USD). A bare 25 is refused with the fix, as every share is; a row with both
is refused naming the row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from xlmargin.catalog import Catalog
from xlmargin.models import Client
from xlmargin.roster import ProblemsError, read_roster

CATALOG = Catalog(as_of=date(2026, 11, 1))
HEADER = "client,use_case,interactions_per_day,model,monthly_revenue,markup,fixed_ai_fee\n"


def roster(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_markup_as_percent_or_share_and_a_fee_in_dollars(tmp_path: Path) -> None:
    clients = read_roster(roster(tmp_path, "A,customer_support,10,gpt-4o,1000,25%,\n"
                                           "B,customer_support,10,gpt-4o,1000,0.25,\n"
                                           "C,customer_support,10,gpt-4o,1000,12.5 %,\n"
                                           'D,customer_support,10,gpt-4o,1000,,"$1,500.50"\n'
                                           "E,customer_support,10,gpt-4o,1000,,\n"),
                          CATALOG)
    assert [(c.markup, c.fixed_ai_fee) for c in clients] == [
        (0.25, None), (0.25, None), (0.125, None), (None, 1500.50), (None, None)]


def test_a_decimal_comma_roster_reads_its_markup_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("client;use_case;interactions_per_day;model;monthly_revenue;markup\n"
                    "A;customer_support;10;gpt-4o;1000,50;0,3\n", encoding="utf-8")
    (client,) = read_roster(path, CATALOG)
    assert (client.monthly_revenue, client.markup) == (1000.5, 0.3)


def test_bad_billing_cells_are_refused_by_row_and_column(tmp_path: Path) -> None:
    path = roster(tmp_path, "A,customer_support,10,gpt-4o,1000,25,\n"
                            "B,customer_support,10,gpt-4o,1000,10%,150\n"
                            "C,customer_support,10,gpt-4o,1000,150%,\n"
                            "D,customer_support,10,gpt-4o,1000,lots,\n"
                            "E,customer_support,10,gpt-4o,1000,-5%,\n"
                            "F,customer_support,10,gpt-4o,1000,,-3\n")
    with pytest.raises(ProblemsError) as caught:
        read_roster(path, CATALOG)
    assert caught.value.problems == [
        "row 2, column markup: 25 is 2500%; did you mean 0.25 (25%)?",
        "row 3, column fixed_ai_fee: given with a markup: a client is billed one way, keep "
        "one of markup and fixed_ai_fee",
        "row 4, column markup: 150% is more than 100%; a markup is at most 100% (a larger "
        "charge is a fixed_ai_fee)",
        "row 5, column markup: expected a share like 0.25 or 25%, got 'lots'",
        "row 6, column markup: expected a share from 0 to 1 (0% to 100%), got '-5%'",
        "row 7, column fixed_ai_fee: must not be negative, got -3"]
    assert str(caught.value).startswith(f"{path}: 6 problems\n")


def test_a_python_caller_gets_the_same_rules() -> None:
    base = {"client": "A", "model": "gpt-4o", "interactions_per_day": 1, "monthly_revenue": 10,
            "use_case": "customer_support"}
    assert Client.model_validate({**base, "markup": "25%"}).markup == 0.25
    with pytest.raises(ValidationError, match=r"25 is 2500%; did you mean 0\.25 \(25%\)\?"):
        Client.model_validate({**base, "markup": 25})
    with pytest.raises(ValidationError, match="both given: a client is billed one way"):
        Client.model_validate({**base, "markup": 0.1, "fixed_ai_fee": 100})


def test_the_starter_roster_bills_three_clients_and_keeps_its_numbers() -> None:
    from xlmargin.roster import starter_roster

    clients = {c.client: c for c in read_roster(starter_roster(), CATALOG)}
    assert len(clients) == 12
    billing = {name: (c.markup, c.fixed_ai_fee) for name, c in clients.items()
               if c.markup is not None or c.fixed_ai_fee is not None}
    assert billing == {"Harbor Dental Group": (0.25, None),
                       "Northwind Logistics": (None, 20.0), "Pinecrest Clinics": (0.3, None)}
    harbor = clients["Harbor Dental Group"]
    assert (harbor.interactions_per_day, harbor.monthly_revenue) == (40, 1200)
