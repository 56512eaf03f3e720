"""`xlmargin import-usage` end to end: the JSON shape of the issue, the table, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlmargin.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
FIELDS = {"client", "requests", "input_tokens", "cached_input_tokens", "output_tokens",
          "cost_usd", "monthly_cost_usd", "months", "trend", "projection", "budget"}


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import-usage", str(FIXTURES / "litellm_spend_logs.csv"), "--clients",
                 str(FIXTURES / "clients_map.csv"), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"period", "months", "clients", "unattributed", "unpriced", "files",
                         "duplicates", "warnings", "month_list", "self_hosting", "drift"}
    assert data["files"] == [{"file": str(FIXTURES / "litellm_spend_logs.csv"),
                              "format": "litellm-csv", "records": 4, "malformed": 1,
                              "duplicates": 0, "replaced": 0, "skipped": 0, "same_as": None}]
    assert data["duplicates"] == {"dropped": 0, "conflicts": []}
    assert set(data["period"]) == {"start", "end"}
    assert all(set(c) == FIELDS for c in data["clients"])
    assert set(data["unattributed"]) == FIELDS
    assert [c["client"] for c in data["clients"]] == ["Acme Corp", "Globex"]


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-usage", str(FIXTURES / "plain_usage.csv")]) == 0
    out = capsys.readouterr().out
    assert "Acme" in out and "Unpriced: my-private-finetune" in out
    assert "plain_usage.csv:6" in out


def test_unknown_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-usage", str(FIXTURES / "not_usage.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Known formats" in err


def test_mixed_currency_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-usage", str(FIXTURES / "costs_page.spec_example.json"),
                 str(FIXTURES / "costs_eur.json"), "--json"]) == 2
    assert "mixed currencies" in capsys.readouterr().err


def test_no_usage_says_so_and_exits_0(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("date,client,model,input_tokens,output_tokens\n")  # valid, no rows
    assert main(["import-usage", str(empty)]) == 0
    out = capsys.readouterr().out
    assert out == f"No usage found in {empty} [plain]\n"
    assert main(["import-usage", str(empty), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"period": {"start": None, "end": None}, "months": None, "clients": [],
                    "unattributed": None, "unpriced": [],
                    "files": [{"file": str(empty), "format": "plain", "records": 0,
                               "malformed": 0, "duplicates": 0, "replaced": 0, "skipped": 0,
                               "same_as": None}],
                    "duplicates": {"dropped": 0, "conflicts": []},
                    "warnings": ["no usage in the files"], "month_list": [],
                    "self_hosting": None, "drift": []}


def test_every_row_malformed_lists_them_and_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,client,model,input_tokens,output_tokens\n"
                   "2026-09-01,Acme,gpt-4o,99999999999999999999999999,1\n")
    assert main(["import-usage", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "None" not in captured.out
    assert captured.out.startswith(f"No usage found in {bad} [plain]\n")
    assert "warning: bad.csv:2: input_tokens: count" in captured.out
    assert captured.err.count("\n") == 1 and "1 malformed row(s)" in captured.err
    assert main(["import-usage", str(bad), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["period"] == {"start": None, "end": None} and data["months"] is None


def test_help_says_which_month_each_side_uses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import-usage", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    # actual months of 365.25 / 12 days against the forecast's 30: about 1.5% apart
    assert f"{365.25 / 12:g} days" in text and "30 by default" in text
    assert f"+{(365.25 / 12 / 30 - 1) * 100:.1f}%" in text
