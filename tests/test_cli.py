"""The command line as an engineer at a terminal uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlmargin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's --help/--version/usage errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_cost_json_is_the_articles_realistic_gpt4o_client(capsys) -> None:
    code, out, _ = run(capsys, "cost", "--model", "gpt-4o", "--input-tokens", "350",
                       "--output-tokens", "250", "--interactions", "100", "--json")
    assert code == 0
    data = json.loads(out)
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    assert data["input_tokens_per_month"] == pytest.approx((350 + 1000) * k)  # 12,225,937.5
    assert data["output_tokens_per_month"] == pytest.approx(250 * k)  # 2,264,062.5
    assert data["monthly_cost"] == pytest.approx(((350 + 1000) * k * 2.5 + 250 * k * 10) / 1e6)


def test_cost_from_a_use_case_with_the_articles_base_formula(capsys) -> None:
    code, out, _ = run(capsys, "cost", "--model", "GPT-4o", "--use-case", "Customer support "
                       "chatbot", "--interactions", "100", "--system-prompt-tokens", "0",
                       "--context-multiplier", "1", "--retry-rate", "0",
                       "--power-user-multiplier", "1", "--json")
    assert code == 0
    assert json.loads(out)["monthly_cost"] == pytest.approx(2.625 + 7.5)


def test_cost_human_output_is_a_table(capsys) -> None:
    code, out, _ = run(capsys, "cost", "--model", "gpt-4o", "--use-case", "customer_support",
                       "--interactions", "100")
    assert code == 0
    assert "Monthly API cost" in out and "$53.21" in out and "12,225,938" in out


@pytest.mark.parametrize(("api_cost", "expected"), [("180", 1), ("40", 4), ("350", 1)])
def test_crossover_json(capsys, api_cost: str, expected: int) -> None:
    code, out, _ = run(capsys, "crossover", "--api-cost", api_cost, "--json")
    assert code == 0
    assert json.loads(out)["crossover"] == expected


def test_crossover_never_is_null(capsys) -> None:
    code, out, _ = run(capsys, "crossover", "--api-cost", "5", "--json")
    assert code == 0 and json.loads(out)["crossover"] is None


def test_crossover_table_includes_the_crossover_and_margins(capsys) -> None:
    code, out, _ = run(capsys, "crossover", "--api-cost", "40")
    assert code == 0
    assert "Crossover: 4 clients" in out
    assert "$153.50" in out  # 133.50 + 4 x 5 at the crossover row


def test_crossover_margins_only_at_a_revenue_that_was_typed(capsys) -> None:
    code, out, _ = run(capsys, "crossover", "--api-cost", "285")
    assert code == 0
    assert "margin" not in out.split("give --revenue for margins.")[1]
    assert "Crossover: 1 client. From 1 client on" in out  # singular, both times
    code, out, _ = run(capsys, "crossover", "--api-cost", "285", "--json")
    data = json.loads(out)
    assert data["revenue_per_client"] is None
    assert all(r["api_margin"] is None and r["ft_margin"] is None for r in data["table"])
    code, out, _ = run(capsys, "crossover", "--api-cost", "180", "--revenue", "1500",
                       "--clients", "1", "--json")
    row = json.loads(out)["table"][0]
    # The article's table: (1500 - 180) / 1500 = 88.0% and (1500 - 138.50) / 1500 = 90.8%.
    assert row["api_margin"] == pytest.approx((1500 - 180) / 1500)
    assert row["ft_margin"] == pytest.approx((1500 - 138.50) / 1500)
    code, out, _ = run(capsys, "crossover", "--api-cost", "180", "--revenue", "1500")
    assert "margins at $1,500.00 revenue per client" in out and "88.0%" in out


def test_prices_per_million_tokens_read_the_same_everywhere(capsys) -> None:
    _, out, _ = run(capsys, "cost", "--model", "gpt-4o-mini", "--use-case",
                    "customer_support", "--interactions", "100")
    assert "$0.15 / 1M" in out and "$0.60 / 1M" in out
    _, out, _ = run(capsys, "prices", "gpt-4o-mini")
    mini = next(line for line in out.splitlines() if line.split()[1:2] == ["gpt-4o-mini"])
    assert mini.split()[2:] == ["$0.15", "/", "1M", "$0.60", "/", "1M", "$0.075", "/", "1M"]


def test_counts_are_singular_for_one() -> None:
    from xlmargin.render import count, per_mtok

    assert [count(1, "client"), count(2, "client"), count(1200, "row")] == [
        "1 client", "2 clients", "1,200 rows"]
    assert [per_mtok(2.5), per_mtok(0.075), per_mtok(0.0375), per_mtok(15)] == [
        "$2.50 / 1M", "$0.075 / 1M", "$0.0375 / 1M", "$15.00 / 1M"]


def test_prices_json_fields(capsys) -> None:
    code, out, _ = run(capsys, "prices", "gpt-4o-mini", "--json")
    assert code == 0
    rows = json.loads(out)
    mini = next(r for r in rows if r["provider"] == "openai" and r["model"] == "gpt-4o-mini")
    assert (mini["input_per_mtok"], mini["output_per_mtok"]) == (0.15, 0.60)
    assert mini["cache_read_per_mtok"] == 0.075


def test_prices_without_query_lists_popular_models(capsys) -> None:
    code, out, _ = run(capsys, "prices")
    assert code == 0 and "claude-3-5-sonnet" in out and "gpt-4o" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["cost", "--model", "gpt4o", "--use-case", "rag", "--interactions", "10"],
     "did you mean gpt-4o"),
    (["cost", "--model", "gpt-4o", "--interactions", "abc"], "--interactions"),
    (["cost", "--model", "gpt-4o", "--interactions", "10"], "--input-tokens"),
    (["cost", "--model", "gpt-4o", "--use-case", "poetry", "--interactions", "10"],
     "unknown use case 'poetry'"),
    (["cost", "--model", "gpt-4o", "--use-case", "rag", "--interactions", "-3"],
     "interactions_per_day: must be at least 0"),
    (["crossover", "--api-cost", "40", "--clients", "0,2"], "--clients"),
    # 1e300 tokens x 1e300 interactions overflows: an error, not "$nan".
    (["cost", "--model", "gpt-4o", "--input-tokens", "1e300", "--output-tokens", "1e300",
      "--interactions", "1e300"], "result: too large to compute"),
    (["prices", "--prices", "missing.toml"], "price file not found"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err


def test_every_command_has_help_with_an_example(capsys) -> None:
    from xlmargin.cli import COMMANDS

    for command in COMMANDS:
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "Example:" in out, command


def test_console_script_and_module_entry_point() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    result = subprocess.run([sys.executable, "-m", "xlmargin", "--version"], env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("xlmargin ")


@pytest.mark.parametrize("command", ["report", "sensitivity"])
def test_csv_only_options_are_refused_for_a_workbook(capsys, command: str) -> None:
    workbook = str(Path(__file__).parents[1] / "workbook" / "example-agency.xlsx")
    code, out, err = run(capsys, command, workbook, "--settings", "agency.toml")
    assert code == 2 and out == ""
    assert "--settings: applies to a roster CSV" in err


@pytest.mark.parametrize(("name", "text", "where"), [
    ("prices.toml", '[[model]]\nmodel = "gpt-4o"\ninput_usd_per_mtok = 1e400\n'
                    "output_usd_per_mtok = 10\n", "[[model]] #1, column input_usd_per_mtok"),
    ("prices.csv", "model,input_usd_per_mtok,output_usd_per_mtok\ngpt-4o,2.5,1e400\n",
     "row 2, column output_usd_per_mtok"),
])
def test_a_price_too_large_for_a_float_is_refused(tmp_path: Path, capsys, name: str, text: str,
                                                  where: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")  # 1e400 reads as inf
    for argv in (["prices", "gpt-4o", "--prices", str(path)],
                 ["cost", "--model", "gpt-4o", "--use-case", "rag", "--interactions", "10",
                  "--prices", str(path)]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == ""
        assert err.strip() == (f"xlmargin {argv[0]}: error: {path}: {where}: "
                               "input should be a finite number")


def test_an_os_error_is_one_line_and_exit_2(capsys, monkeypatch) -> None:
    import xlmargin.cli.crossover

    def refused(args: object) -> int:
        raise PermissionError(13, "Permission denied", "/srv/roster.csv")

    monkeypatch.setattr(xlmargin.cli.crossover, "run", refused)
    code, out, err = run(capsys, "crossover", "--api-cost", "40")
    assert (code, out) == (2, "")
    assert err == "xlmargin crossover: error: /srv/roster.csv: Permission denied\n"
