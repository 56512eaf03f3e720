"""`xlmargin import-usage` end to end: the JSON shape of the issue, the table, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlmargin.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
FIELDS = {"client", "requests", "input_tokens", "cached_input_tokens", "output_tokens",
          "cost_usd", "monthly_cost_usd"}


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import-usage", str(FIXTURES / "litellm_spend_logs.csv"), "--clients",
                 str(FIXTURES / "clients_map.csv"), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"period", "months", "clients", "unattributed", "unpriced", "warnings"}
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
