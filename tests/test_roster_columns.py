"""Roster headers and rows that could be read more than one way: a column named twice, a
column and its alias, cells past the header, a quote that never closes. Each is refused with
the row (and columns) to fix; nothing is guessed or silently dropped."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from xlmargin.catalog import Catalog
from xlmargin.cli import main
from xlmargin.roster import ProblemsError, read_roster

CATALOG = Catalog(as_of=date(2026, 11, 1))
HEADER = "client,use_case,interactions_per_day,model,monthly_revenue\n"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        read_roster(path, CATALOG)
    return caught.value.problems


def test_a_column_named_twice(tmp_path: Path) -> None:
    found = problems(tmp_path, "client,use_case,interactions_per_day,model,monthly_revenue,"
                               "Monthly Revenue\nA,customer_support,10,gpt-4o,1000,2000\n")
    assert found == ["row 1: columns 'monthly_revenue' and 'Monthly Revenue' all mean "
                     "monthly_revenue (columns 5, 6): keep one, so it is clear which to read"]


def test_the_same_name_twice(tmp_path: Path) -> None:
    found = problems(tmp_path, HEADER.strip() + ",notes,notes\n"
                               "A,customer_support,10,gpt-4o,1000,x,y\n")
    assert found == ["row 1: column notes appears 2 times (columns 6, 7): keep one, so it is "
                     "clear which to read"]


def test_a_column_and_its_alias(tmp_path: Path) -> None:
    # 'revenue' is an alias of monthly_revenue, 'name' of client
    found = problems(tmp_path, "name,client,use_case,interactions_per_day,model,revenue,"
                               "monthly_revenue\nA,B,customer_support,10,gpt-4o,1000,1200\n")
    assert found == [
        "row 1: columns 'name' and 'client' all mean client (columns 1, 2): keep one, so it "
        "is clear which to read",
        "row 1: columns 'revenue' and 'monthly_revenue' all mean monthly_revenue (columns 6, "
        "7): keep one, so it is clear which to read"]


def test_cells_past_the_header(tmp_path: Path) -> None:
    # 'Acme, Inc' unquoted: every cell after it moves one to the right
    found = problems(tmp_path, HEADER + "Good,customer_support,10,gpt-4o,1000\n"
                                        "Acme, Inc,customer_support,10,gpt-4o,1000\n")
    assert found == ["row 3: 6 cells where the header has 5: a delimiter (a comma) inside a "
                     "cell that is not quoted?"]


def test_a_value_under_a_column_without_a_name(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(HEADER.strip() + ",\nA,customer_support,10,gpt-4o,1000,\n", encoding="utf-8")
    (client,) = read_roster(path, CATALOG)  # a blank unnamed column: nothing to read there
    assert client.client == "A"
    found = problems(tmp_path, HEADER.strip() + ",\nA,customer_support,10,gpt-4o,1000,oops\n")
    assert found == ["row 2: a value under a column with no name in the header: name the "
                     "column or clear the cell"]


def test_a_quote_that_never_closes(tmp_path: Path) -> None:
    found = problems(tmp_path, HEADER + '"Acme,customer_support,10,gpt-4o,1000\n'
                                        "Beta,customer_support,10,gpt-4o,1000\n")
    assert found == ["row 2: a quote opened on this line never closes: it runs to the end of "
                     "the file"]


def test_a_cut_off_last_row(tmp_path: Path) -> None:
    found = problems(tmp_path, HEADER + "Acme,customer_support,10,gpt-4o,1000\nBeta,custo")
    assert found == ["row 3: the file ends inside this row (2 of the header's 5 cells): cut "
                     "short?"]


def test_new_refuses_them_in_one_line_each(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,name,use_case,interactions_per_day,model,monthly_revenue\n"
                      "A,B,customer_support,10,gpt-4o,1000\n", encoding="utf-8")
    out = tmp_path / "acme.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "--roster", str(roster), "-o",
                 str(out), "--as-of", "2026-11-01"]) == 2
    err = capsys.readouterr().err
    assert "columns 'client' and 'name' all mean client" in err and not out.exists()
