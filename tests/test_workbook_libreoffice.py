"""The native and the xlwings Lite workbooks, recalculated by LibreOffice, equal `xlmargin
report` and calc: every computed cell of every client row, the Summary and the Crossover table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from libreoffice import recalculated_values, soffice
from openpyxl import load_workbook

from xlmargin import calc
from xlmargin.portfolio import Portfolio
from xlmargin.sheets import LITE, NATIVE
from xlmargin.sheets import layout as lay
from xlmargin.sheets.crossover import SCENARIO_ROW, TABLE_FIRST, scenario_columns
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.read import read_report

AS_OF = date(2026, 11, 1)
C = lay.COL


def build(tmp_path: Path, roster: Path | None = None, name: str = "agency.xlsx",
          mode: str = NATIVE) -> Path:
    wb, _count = build_from_files("Test Agency", roster=roster, mode=mode, as_of=AS_OF,
                                  extra_rows=5)
    path = tmp_path / name
    save_workbook(wb, path, mode)
    return path


MODES = pytest.mark.parametrize("mode", [NATIVE, LITE])


def close(a: object, b: float | None) -> bool:
    return isinstance(a, int | float) and b is not None and a == pytest.approx(b, rel=1e-9)


def summary_cells(names: dict[str, str]) -> dict[str, str]:
    """{defined name: cell} of the names on the Summary sheet."""
    return {name: ref.split("!")[1].replace("$", "") for name, ref in names.items()
            if ref.startswith(f"{lay.SUMMARY}!")}


def defined_names(path: Path) -> dict[str, str]:
    return {n: d.attr_text for n, d in load_workbook(path).defined_names.items()}


def assert_matches(values: dict[str, dict[str, object]], report: Portfolio,
                   names: dict[str, str]) -> None:
    clients, summary, cross = values["Clients"], values["Summary"], values["Crossover"]
    rows = {r.where: r for r in report.clients}
    checked = 0
    for row in range(lay.FIRST_ROW, lay.FIRST_ROW + 200):
        expected = rows.get(f"Clients!A{row}")
        if expected is None:
            if clients.get(f"A{row}") is None:
                # An empty row: its formulas show nothing.
                assert all(clients.get(f"{C[k]}{row}") in (None, "")
                           for k in ("api_cost", "ft_cost", "status")), row
            continue
        assert clients[f"A{row}"] == expected.client
        assert close(clients[f"{C['tokens_per_month']}{row}"], expected.tokens_per_month)
        assert close(clients[f"{C['api_cost']}{row}"], expected.api_cost), row
        assert close(clients[f"{C['ft_cost']}{row}"], expected.ft_cost), row
        assert close(clients[f"{C['api_margin']}{row}"], expected.api_margin), row
        assert close(clients[f"{C['ft_margin']}{row}"], expected.ft_margin), row
        assert clients[f"{C['status']}{row}"] == expected.status
        checked += 1
    assert checked == len(report.clients)

    named = summary_cells(names)
    assert summary[named[lay.CLIENT_COUNT]] == len(report.clients)
    for name, number in ((lay.TOTAL_REVENUE, report.revenue), (lay.API_COGS, report.api_cogs),
                         (lay.FT_COGS, report.ft_cogs), (lay.API_MARGIN, report.api_margin),
                         (lay.FT_MARGIN, report.ft_margin),
                         (lay.SAVINGS, report.api_cogs - report.ft_cogs),
                         (lay.AVERAGE_API_COST, report.average_api_cost)):
        assert close(summary[named[name]], number), name
    assert summary[named[lay.CROSSOVER_CLIENTS]] == (
        report.crossover if report.crossover is not None else "never")

    # Crossover: the roster's own average and the article's three scenarios, 1 to 30 clients.
    revenue_per_client = report.revenue / len(report.clients)
    scenarios = [(report.average_api_cost, revenue_per_client),
                 *((cost, lay.ARTICLE_RETAINER) for _label, cost in lay.SCENARIOS)]
    settings = report_settings(values)
    for index, (cost, revenue) in enumerate(scenarios):
        expected_count = calc.crossover(cost, *settings)
        assert cross[f"D{SCENARIO_ROW + index}"] == (
            expected_count if expected_count is not None else "never")
        table = calc.crossover_table(cost, range(1, 31), revenue_per_client=revenue,
                                     base_monthly_usd=settings[0], per_client_usd=settings[1],
                                     buffer=settings[2])
        api, api_margin, ft_margin = scenario_columns(index)
        for line in table:
            row = TABLE_FIRST + line.clients - 1
            assert close(cross[f"B{row}"], line.ft_cogs)
            assert close(cross[f"{api}{row}"], line.api_cogs)
            assert close(cross[f"{api_margin}{row}"], line.api_margin)
            assert close(cross[f"{ft_margin}{row}"], line.ft_margin)


def report_settings(values: dict[str, dict[str, object]]) -> tuple[float, float, float]:
    """(base monthly, per client, buffer) as LibreOffice computed them on Assumptions."""
    found = {v: values["Assumptions"][f"B{k[1:]}"] for k, v in values["Assumptions"].items()
             if k.startswith("C") and v in ("BaseMonthlyUSD", "PerClientUSD", "Buffer")}
    return found["BaseMonthlyUSD"], found["PerClientUSD"], found["Buffer"]


@MODES
def test_starter_workbook_equals_report(tmp_path: Path, mode: str) -> None:
    path = build(tmp_path, mode=mode)
    report = read_report(path)
    assert len(report.clients) >= 10 and not report.warnings
    # One hand-derived anchor so the two engines cannot agree on a shared mistake: Pinecrest
    # Clinics, customer support on gpt-4o ($2.50 / $10 per 1M on the Pricing sheet), 120 a day.
    k = 120 * 30 * 2.5 * 1.05 * 1.15
    pinecrest = next(c for c in report.clients if c.client == "Pinecrest Clinics")
    assert pinecrest.api_cost == pytest.approx(((350 + 1000) * 2.5 + 250 * 10.0) * k / 1e6)
    assert_matches(recalculated_values(path, tmp_path / "lo"), report, defined_names(path))


@MODES
def test_edited_workbook_equals_report(tmp_path: Path, mode: str) -> None:
    """A user's edits: a price changed, text in a number cell, a blank revenue, a new row with
    typed tokens. LibreOffice leaves the bad rows out of the totals; so does report."""
    path = build(tmp_path, mode=mode)
    wb = load_workbook(path)
    ws = wb["Clients"]
    ws[f"{C['interactions_per_day']}7"] = "lots"
    ws[f"{C['monthly_revenue']}9"] = None
    new_row = lay.FIRST_ROW + 12
    for key, value in (("client", "Walk-in Client"), ("use_case", "Content generation"),
                       ("interactions_per_day", 15), ("model", "GPT-4o"),
                       ("monthly_revenue", 800), ("output_tokens", 2000)):
        ws[f"{C[key]}{new_row}"] = value
    wb["Pricing"]["D8"] = 3.0  # gpt-4o's input price (4th model on the sheet)
    assert wb["Pricing"]["A8"].value == "gpt-4o"
    wb.save(path)

    report = read_report(path)
    assert len(report.clients) == 11
    assert any("Clients!D7: expected a number, got 'lots'" in w for w in report.warnings)
    assert any("Clients!H9: expected a number, got blank" in w for w in report.warnings)
    walk_in = next(c for c in report.clients if c.client == "Walk-in Client")
    k = 15 * 30 * 2.5 * 1.05 * 1.15
    # Input tokens still from the use case (300), output typed (2000), gpt-4o input now $3.
    assert walk_in.api_cost == pytest.approx(((300 + 1000) * 3.0 + 2000 * 10.0) * k / 1e6)
    values = recalculated_values(path, tmp_path / "lo")
    assert values["Clients"][f"{C['status']}7"] == "#check inputs"
    assert values["Clients"][f"{C['status']}9"] == "#check inputs"
    assert_matches(values, report, defined_names(path))


def test_formula_injection_stays_text(tmp_path: Path) -> None:
    soffice()
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "client,use_case,interactions_per_day,model,monthly_revenue,notes\n"
        '"=HYPERLINK(""http://x"",""y"")",customer_support,10,gpt-4o,500,"=1+1"\n'
        "+SUM(1),customer_support,10,gpt-4o,500,@cmd\n", encoding="utf-8")
    path = build(tmp_path, roster)
    values = recalculated_values(path, tmp_path / "lo")["Clients"]
    assert values[f"A{lay.FIRST_ROW}"] == '=HYPERLINK("http://x","y")'
    assert values[f"{C['notes']}{lay.FIRST_ROW}"] == "=1+1"
    assert values[f"A{lay.FIRST_ROW + 1}"] == "+SUM(1)"
    assert values[f"{C['notes']}{lay.FIRST_ROW + 1}"] == "@cmd"


def test_missing_libreoffice_fails_in_ci_and_skips_elsewhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import libreoffice

    monkeypatch.setattr(libreoffice.shutil, "which", lambda _name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        libreoffice.soffice()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        libreoffice.soffice()
