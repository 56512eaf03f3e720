"""Rows the CSV parser used to drop without a word: a quote that never closes, a quote that runs
over lines, short, cut-off and over-long rows. Every physical line ends up in a counted row, a
blank line, the header, or a malformed row reported with its file and line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.usage import csvfile, litellm_arrow
from xlmargin.usage.aggregate import import_usage
from xlmargin.usage.csvfile import Row, Table

HEADER = "date,client,model,input_tokens,output_tokens,cost_usd\n"
MONTH_DAYS = 365.25 / 12


def write(tmp_path: Path, text: str, name: str = "usage.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def accounted(path: Path) -> tuple[list[int], list[str], int]:
    """(first line of each row, each malformed place, lines accounted for)."""
    table = Table.of_file(path)
    rows, bad = [], []
    for item in table:
        if isinstance(item, Row):
            rows.append(item.line)
        elif hasattr(item, "problem"):
            bad.append(item.where)
    return rows, bad, table.counts.lines


def test_an_unbalanced_quote_no_longer_swallows_the_rows_after_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, HEADER
                 + "2026-09-01,Acme,gpt-4o-mini,1000,100,\n"
                 + '2026-09-02,"Acme,gpt-4o-mini,2000,200,\n'  # the quote never closes
                 + "2026-09-03,Acme,gpt-4o-mini,3000,300,\n"
                 + "2026-09-04,Acme,gpt-4o-mini,4000,400,\n")
    data = import_usage([path]).as_json()
    acme = data["clients"][0]
    assert (acme["input_tokens"], acme["output_tokens"]) == (1000 + 3000 + 4000,
                                                              100 + 300 + 400)
    assert "usage.csv:3: a quote opened on this line never closes: it runs to the end of " \
        "the file" in data["warnings"]
    assert main(["import-usage", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: usage.csv:3: a quote opened on this line never closes" in out
    assert "No usage found" not in out
    assert accounted(path) == ([2, 4, 5], ["usage.csv:3"], 5)


def test_a_quote_that_closes_lines_later_reports_where_it_opened(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + '2026-09-01,"Acme,gpt-4o-mini,1000,100,\n'  # closes on line 4
                 + "2026-09-02,Acme,gpt-4o-mini,2000,200,\n"
                 + '2026-09-03,Acme",gpt-4o-mini,3000,300,\n'
                 + "2026-09-04,Acme,gpt-4o-mini,4000,400,\n")
    data = import_usage([path]).as_json()
    assert any(w.startswith("usage.csv:2: a quote opened on this line runs over 3 lines, to "
                            "line 4") for w in data["warnings"])
    # line 4 read on its own has a client 'Acme"': a client of its own, still counted
    assert sorted((c["client"], c["input_tokens"]) for c in data["clients"]) == [
        ("Acme", 2000 + 4000), ('Acme"', 3000)]


def test_a_line_break_in_a_number_cell_is_a_stray_quote_not_a_row(tmp_path: Path) -> None:
    # Two lines that make a row of the header's six cells, through a quote around a line
    # break in input_tokens: csv reads one row; no real export writes one.
    path = write(tmp_path, HEADER + '2026-09-01,Acme,gpt-4o-mini,"1000\n2000",100,\n'
                 + "2026-09-02,Acme,gpt-4o-mini,5,5,\n")
    rows, bad, lines = accounted(path)
    # line 3 read again alone: '2000",100,' is three cells, a row cut short
    assert bad == ["usage.csv:2", "usage.csv:3"] and rows == [4] and lines == 4


def test_a_cut_off_last_line_is_malformed_and_covers_no_time(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2026-09-01,Acme,gpt-4o-mini,1000,100,\n"
                 + "2026-09-30,Ac")  # the download stopped here
    actuals = import_usage([path])
    assert actuals.malformed == 1
    assert any(w.startswith("usage.csv:3: the file ends inside this row (2 of the header's 6 "
                            "cells)") for w in actuals.warnings)
    assert actuals.as_json()["period"] == {"start": "2026-09-01", "end": "2026-09-01"}
    assert float(actuals.months) == pytest.approx(1 / MONTH_DAYS, abs=1e-4)


def test_a_short_row_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2026-09-01,Acme,gpt-4o-mini,1000,100,\n"
                 + "2026-09-29,Acme,gpt-4o-mini\n"  # no tokens: no zero usage for a day
                 + "2026-09-02,Acme,gpt-4o-mini,5,5\n"  # a line split inside its cost...
                 + "5\n")  # ...would be 5 tokens without a cost, and a row of its own
    actuals = import_usage([path])
    assert actuals.malformed == 3
    assert ("usage.csv:3: 3 cells where the header has 6, none for input_tokens, "
            "output_tokens, cost_usd: a short or cut-off row") in actuals.warnings
    assert ("usage.csv:4: 5 cells where the header has 6, none for cost_usd: a short or "
            "cut-off row") in actuals.warnings
    assert actuals.clients["Acme"].input_tokens == 1000
    assert actuals.as_json()["period"] == {"start": "2026-09-01", "end": "2026-09-01"}


def test_extra_cells_past_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + "2026-09-01,Acme,gpt-4o-mini,1000,100,1,25\n"  # a decimal comma unquoted
                 # 'Acme, Inc' unquoted pushes the blank cost past the header, and every cell
                 # from the client on one to the right: the row says why it is wrong
                 + "2026-09-02,Acme, Inc,gpt-4o-mini,1000,100,\n"
                 + "2026-09-03,Acme,gpt-4o-mini,5,5,,\n")  # blank past the header: harmless
    actuals = import_usage([path])
    assert ("usage.csv:2: 7 cells where the header has 6: a delimiter (a comma) inside a cell "
            "that is not quoted?") in actuals.warnings
    assert ("usage.csv:3: input_tokens: expected a count, got 'gpt-4o-mini' (7 cells where the "
            "header has 6: a delimiter (a comma) inside a cell that is not quoted?)"
            ) in actuals.warnings
    assert actuals.malformed == 2
    assert actuals.clients["Acme"].input_tokens == 5


def test_every_line_is_accounted_for(tmp_path: Path) -> None:
    path = write(tmp_path, "\n" + HEADER + "\n"
                 + "2026-09-01,Acme,gpt-4o-mini,1,1,\n"
                 + "   \n"
                 + '2026-09-02,"Ac\nme",gpt-4o-mini,1,1,\n'  # a line break inside a name
                 + "2026-09-03,Acme,gpt-4o-mini,1,1,,x\n"
                 + '2026-09-04,"Acme,gpt-4o-mini,1,1,\n')
    table = Table.of_file(path, single_line=())  # any cell may hold a line break here
    items = list(table)
    counts = table.counts
    # lines: 1 blank, 2 header, 3 blank, 4 row, 5 blank, 6-7 one row, 8 and 9 malformed
    assert (counts.blank, counts.header, counts.row_lines, counts.malformed_lines) == (
        3, 1, 1 + 2, 2)
    assert counts.lines == 9 == len(path.read_text().splitlines())
    rows = [i for i in items if isinstance(i, Row)]
    assert [(r.line, r.lines, r.cells[1]) for r in rows] == [(4, 1, "Acme"), (6, 2, "Ac\nme")]


def test_a_runaway_quoted_cell_stops_at_the_field_limit(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    limit = csv.field_size_limit()
    try:
        csv.field_size_limit(1000)  # as if the cell passed FIELD_LIMIT
        path = write(tmp_path, HEADER + '2026-09-01,"Acme' + "x" * 2000 + "\n"
                     + "2026-09-02,Acme,gpt-4o-mini,5,5,\n")
        rows, bad, lines = accounted(path)
    finally:
        csv.field_size_limit(limit)
    assert bad == ["usage.csv:2"] and rows == [3] and lines == 3
    assert csvfile.FIELD_LIMIT >= 16 << 20


def test_a_header_whose_quote_never_closes_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'date,"client,model,input_tokens,output_tokens\n'
                 "2026-09-01,Acme,gpt-4o,1,1\n")
    with pytest.raises(InputError, match=r"usage\.csv:1: a quote in the header row never "
                                         "closes"):
        import_usage([path])


def test_litellm_messages_over_several_lines_stay_one_row(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "spend.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["request_id", "api_key", "spend", "prompt_tokens", "completion_tokens",
                         "startTime", "model", "metadata", "messages"])
        writer.writerow(["r1", "k", "0.5", "10", "5", "2026-09-01", "gpt-4o", "{}",
                         json.dumps([{"role": "user", "content": "a"}], indent=2)])
        writer.writerow(["r2", "k", "0.25", "20", "5", "2026-09-01", "gpt-4o", "{}", "[]"])
    assert litellm_arrow.summed(path, "api_key") is not None
    for summed in (litellm_arrow.summed, lambda path, by, index=None: None):
        monkeypatch.setattr(litellm_arrow, "summed", summed)
        actuals = import_usage([path])
        assert actuals.clients["k"].requests == 2 and actuals.malformed == 0


def test_litellm_stray_quote_in_a_read_column_is_reported_on_both_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("request_id,api_key,spend,prompt_tokens,completion_tokens,startTime,model,"
                    "metadata\n"
                    'r1,k,0.5,10,5,2026-09-01,gpt-4o,"{}\n'  # the metadata quote runs on...
                    'r2,k,0.25,20,5,2026-09-01,gpt-4o,"{}"\n'  # ...to this line's first one
                    "r3,k,0.125,40,5,2026-09-01,gpt-4o,{}\n", encoding="utf-8")
    assert litellm_arrow.summed(path, "api_key") is None  # a line break in metadata
    actuals = import_usage([path])
    assert any(w.startswith("spend.csv:2: a quote opened on this line runs over")
               for w in actuals.warnings)
    # line 3 read again on its own; line 4 as it is
    assert actuals.clients["k"].requests == 2
    assert actuals.clients["k"].input_tokens == 20 + 40


def test_a_misspelt_column_is_refused_not_ignored(tmp_path: Path) -> None:
    # Ignored, 'cached_input_token' would price every cached token at the full input price.
    path = write(tmp_path, "date,client,model,input_tokens,output_tokens,cached_input_token\n"
                           "2026-09-01,Acme,gpt-4o-mini,1000,100,400\n")
    with pytest.raises(InputError, match=r"column 'cached_input_token' is not one xlmargin "
                                         r"reads; did you mean cached_input_tokens\?"):
        import_usage([path])
    # a column of the user's own, like no column the format reads, is simply not read
    other = write(tmp_path, "date,client,model,input_tokens,output_tokens,notes\n"
                            "2026-09-01,Acme,gpt-4o-mini,1000,100,first day\n", "notes.csv")
    assert import_usage([other]).clients["Acme"].input_tokens == 1000
