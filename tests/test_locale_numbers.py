"""Numbers written with a decimal comma (European Excel: 1.234,5 with semicolons between cells)
are read as such, and one that reads both ways where nothing says which is refused by file,
line and column, never guessed: '1,25' was once $125 and '1.000' tokens 1."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from xlmargin.catalog import Catalog
from xlmargin.roster import ProblemsError, read_roster
from xlmargin.usage import litellm_arrow
from xlmargin.usage.aggregate import import_usage
from xlmargin.usage.numbers import COMMA, DOT, MIXED, UNKNOWN, Convention, NumberError

CATALOG = Catalog(as_of=date(2026, 11, 1))


def convention(delimiter: str = ",", cells: tuple[str, ...] = ()) -> Convention:
    return Convention(delimiter=delimiter, cells=lambda: cells)


@pytest.mark.parametrize(("text", "value"), [
    ("1234", "1234"), ("0.5", "0.5"), ("59200.0", "59200"), (".5", "0.5"),  # a point
    ("1,25", "1.25"), ("0,500", "0.5"), ("1234,5", "1234.5"),  # a comma
    ("1,234.5", "1234.5"), ("1.234,5", "1234.5"),  # both: the last is the decimal
    ("1,234,567", "1234567"), ("1.234.567", "1234567"),  # thousands only
    ("1.5e-05", "0.000015"), ("-3", "-3"), ("1_000", "1000"),
])
def test_numbers_that_say_which_they_are_read_the_same_anywhere(text: str, value: str) -> None:
    for delimiter in (",", ";", "\t"):
        assert convention(delimiter).decimal(text) == Decimal(value)


@pytest.mark.parametrize(("delimiter", "cells", "read_as", "value"), [
    (";", (), COMMA, "1500"),  # European Excel: semicolons, decimal comma, dot thousands
    (",", (), DOT, "1.5"),
    ("\t", ("0,25",), COMMA, "1500"),  # the file's other numbers say
    (";", ("0.25",), DOT, "1.5"),  # they outrank the delimiter
])
def test_one_that_reads_both_ways_takes_the_files_convention(
        delimiter: str, cells: tuple[str, ...], read_as: str, value: str) -> None:
    numbers = convention(delimiter, cells)
    assert numbers.decimal("1.500") == Decimal(value)
    assert numbers.value == read_as


@pytest.mark.parametrize(("delimiter", "cells", "why"), [
    ("\t", (), UNKNOWN),  # a tab says nothing, and no number shows one
    (";", ("0,25", "0.5"), MIXED),
])
def test_or_is_refused_where_nothing_says(delimiter: str, cells: tuple[str, ...],
                                          why: str) -> None:
    numbers = convention(delimiter, cells)
    with pytest.raises(NumberError, match=r"reads as 1\.5 or as 1500"):
        numbers.decimal("1.500")
    assert numbers.value == why


def test_a_decimal_comma_in_json_text_is_refused() -> None:
    with pytest.raises(NumberError, match="has a decimal comma"):
        Convention(fixed=DOT).decimal("1,25")
    assert Convention(fixed=DOT).decimal("1,250") == 1250  # thousands


def _plain(tmp_path: Path, text: str, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_european_excel_plain_csv(tmp_path: Path) -> None:
    path = _plain(tmp_path, "date;client;model;input_tokens;output_tokens;cost_usd\n"
                            "2026-09-01;Acme;gpt-4o;1.000;200;1,25\n"
                            "2026-09-02;Acme;gpt-4o;2.500.000;1.000;\n")
    actuals = import_usage([path])
    acme = actuals.clients["Acme"]
    assert acme.input_tokens == 1000 + 2_500_000
    assert acme.output_tokens == 200 + 1000
    # $1.25 billed on the first day; the second priced at gpt-4o's $2.50 in / $10 out
    assert acme.cost_usd == Decimal("1.25") + (Decimal(2_500_000) * Decimal("2.5")
                                                + Decimal(1000) * 10) / 1_000_000
    assert any("decimal comma" in w for w in actuals.warnings)  # said, not silent


def test_a_comma_file_reads_thousands_and_a_decimal_point(tmp_path: Path) -> None:
    path = _plain(tmp_path, "date,client,model,input_tokens,output_tokens,cost_usd\n"
                            '2026-09-01,Acme,gpt-4o,"1,000",200,1.500\n')
    acme = import_usage([path]).clients["Acme"]
    assert (acme.input_tokens, acme.cost_usd) == (1000, Decimal("1.5"))


def test_a_tab_file_with_nothing_to_say_which_refuses_by_line_and_column(
        tmp_path: Path) -> None:
    path = _plain(tmp_path, "date\tclient\tmodel\tinput_tokens\toutput_tokens\tcost_usd\n"
                            "2026-09-01\tAcme\tgpt-4o\t1000\t200\t\n"
                            "2026-09-02\tAcme\tgpt-4o\t1.000\t200\t\n", "usage.tsv")
    actuals = import_usage([path])
    assert actuals.malformed == 1
    assert ("usage.tsv:3: input_tokens: '1.000' reads as 1 or as 1000: no other number in the "
            "file has a decimal point or a decimal comma, and its delimiter does not say; "
            "write it without a thousands separator") in actuals.warnings
    assert actuals.clients["Acme"].input_tokens == 1000


def test_litellm_semicolon_dump_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["request_id", "api_key", "spend", "prompt_tokens", "completion_tokens",
                         "startTime", "model", "metadata"])
        writer.writerow(["r1", "k", "0,0015", "1000", "200", "2026-09-01", "gpt-4o", "{}"])
        writer.writerow(["r2", "k", "1.500", "10", "1", "2026-09-01", "gpt-4o", "{}"])
    assert litellm_arrow.summed(path, "api_key") is None  # the row reader settles these
    key = import_usage([path]).clients["k"]
    assert key.cost_usd == Decimal("0.0015") + 1500  # 0,0015 says: a decimal comma file


def test_semicolons_with_decimal_points_stay_on_the_fast_path(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["request_id", "api_key", "spend", "prompt_tokens", "completion_tokens",
                         "startTime", "model", "metadata"])
        writer.writerow(["r1", "k", "0.0015", "1000", "200", "2026-09-01", "gpt-4o", "{}"])
    assert litellm_arrow.summed(path, "api_key") is not None
    assert import_usage([path]).clients["k"].cost_usd == Decimal("0.0015")


ROSTER = "client{d}use_case{d}interactions_per_day{d}model{d}monthly_revenue\n"


def test_a_semicolon_roster_reads_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER.format(d=";") + "Acme;customer_support;40,5;gpt-4o;1.500\n",
                    encoding="utf-8")
    notes: list[str] = []
    (client,) = read_roster(path, CATALOG, notify=notes.append)
    assert (client.interactions_per_day, client.monthly_revenue) == (40.5, 1500.0)
    assert any("decimal comma" in n for n in notes)


def test_a_comma_roster_with_a_quoted_decimal_comma(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER.format(d=",") + 'Acme,customer_support,"40,5",gpt-4o,1.500\n'
                                           'Beta,customer_support,10,gpt-4o,"$2.000,50"\n',
                    encoding="utf-8")
    acme, beta = read_roster(path, CATALOG, notify=lambda note: None)
    # '40,5' shows the roster's decimal comma, so 1.500 is 1500 here
    assert (acme.interactions_per_day, acme.monthly_revenue) == (40.5, 1500.0)
    assert beta.monthly_revenue == 2000.5


def test_a_tab_roster_refuses_what_it_cannot_tell(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER.format(d="\t") + "Acme\tcustomer_support\t10\tgpt-4o\t1.500\n",
                    encoding="utf-8")
    with pytest.raises(ProblemsError) as caught:
        read_roster(path, CATALOG)
    assert caught.value.problems == [
        "row 2, column monthly_revenue: '1.500' reads as 1.5 or as 1500: no other number in "
        "the file has a decimal point or a decimal comma, and its delimiter does not say; "
        "write it without a thousands separator"]
