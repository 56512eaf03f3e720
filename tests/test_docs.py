"""Docs that cannot drift: the README's commands exist and CI runs its test command."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from xlmargin.cli import COMMANDS, main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_setup_and_test_commands() -> None:
    commands = re.findall(r"^    (\S.*)$", README.split("## ")[0], flags=re.M)
    assert len(commands) == 2
    setup, test = commands
    assert setup.startswith("python3 -m venv .venv && ") and "xlmargin" in setup
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    assert f"xlmargin {command}" in README


def test_readme_command_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    examples = re.findall(r"^    xlmargin (\w[^#\n]*?)\s*(?:#.*)?$", README, flags=re.M)
    assert examples
    for example in examples:
        argv = shlex.split(example)
        if argv[0] in ("new", "report", "import-usage", "sensitivity", "plan", "chargeback",
                       "pull"):
            continue  # run with files (pull: against a stand-in API) by their own tests
        assert main(argv) == 0, example
        capsys.readouterr()


def test_readme_main_job_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    """The xlmargin steps of the README's first command: generate a workbook, report on it."""
    setup = re.findall(r"^    (\S.*)$", README.split("## ")[0], flags=re.M)[0]
    steps = [shlex.split(part.strip())[1:] for part in setup.split("&&")
             if part.strip().startswith(".venv/bin/xlmargin ")]
    assert [step[0] for step in steps] == ["new", "report"]
    monkeypatch.chdir(tmp_path)
    for part in setup.split("&&"):
        if part.strip().startswith("mkdir -p "):
            for folder in shlex.split(part.strip())[2:]:
                Path(folder).mkdir(parents=True, exist_ok=True)
    for argv in steps:
        assert main(argv) == 0, argv
    assert "crossover" in capsys.readouterr().out


def test_readme_import_examples_run_on_the_shipped_samples(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The import-usage examples that name files under templates/ run as written, the
    --workbook one on the workbook the README's first command makes (out/acme-ai.xlsx)."""
    examples = [shlex.split(line) for line in re.findall(
        r"^    xlmargin (import-usage templates/[^#\n]*?)\s*$", README, flags=re.M)]
    assert len(examples) == 3
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").symlink_to(ROOT / "templates")
    (tmp_path / "out").mkdir()
    assert main(["new", "Acme AI", "-o", "out/acme-ai.xlsx", "--as-of", "2026-11-01"]) == 0
    for argv in examples:
        assert main(argv) == 0, argv
    out = capsys.readouterr().out
    for client in ("Harbor Dental Group", "Northwind Logistics", "Pinecrest Clinics"):
        assert client in out
    from openpyxl import load_workbook

    assert "Actuals" in load_workbook(tmp_path / "out" / "acme-ai.xlsx").sheetnames


def test_readme_chargeback_example_runs_on_the_shipped_samples(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The chargeback example that names files under templates/ runs as written, and bills
    what the README says the starter roster bills."""
    examples = [shlex.split(line) for line in re.findall(
        r"^    xlmargin (chargeback templates/[^#\n]*?)\s*$", README, flags=re.M)]
    assert len(examples) == 1
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").symlink_to(ROOT / "templates")
    assert main(examples[0]) == 0
    import csv

    with open(tmp_path / "chargeback.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["client"]: row for row in csv.DictReader(handle)}
    assert rows["Harbor Dental Group"]["description"] == "AI usage 2026-10: cost + 25% markup"
    assert rows["Northwind Logistics"]["billable"] == "20.00"
    assert rows["Pinecrest Clinics"]["markup"] == "30%"
    assert rows["(unattributed)"]["billable"] == ""
    assert "Wrote 12 client line(s)" in capsys.readouterr().out
