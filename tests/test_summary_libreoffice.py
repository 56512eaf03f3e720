"""The Summary's answer, recalculated by LibreOffice, equals the Python engine: the clients from
the lowest API margin up (ties in the Clients sheet's order), the price each needs for the
target margin (calc.price_for_margin), the raise, the self-hosted side, and the sentences that
name them; and it follows an edit. The Crossover chart's marked points too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook

from xlmargin import calc
from xlmargin.portfolio import ClientResult, Portfolio
from xlmargin.sheets import LITE, NATIVE, UDF, summary_list
from xlmargin.sheets import layout as lay
from xlmargin.sheets.crossover import CROSSING_COLUMN, TABLE_FIRST, TODAY_COLUMN
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.read import read_report

AS_OF = date(2026, 11, 1)
TARGET = 0.6  # the default settings' target margin

# Twins A and B cost and pay the same, so their margins tie: the list keeps A before B. Lumen
# pays $450 for gpt-4o data extraction at 1,200 a day: underwater. Atlas is below 60%.
ROSTER = """client,use_case,interactions_per_day,model,monthly_revenue
Twin A,customer_support,100,gpt-4o,900
Lumen Analytics,data_extraction,1200,gpt-4o,450
Harbor,customer_support,40,gpt-4o-mini,1200
Twin B,customer_support,100,gpt-4o,900
Atlas,document_qa,900,gpt-4o,1500
Solo,lead_qualification,35,claude-3-5-haiku-latest,900
"""


def build(tmp_path: Path, mode: str = NATIVE) -> Path:
    tmp_path.mkdir(exist_ok=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    wb, _count = build_from_files("Test Agency", roster=roster, mode=mode, as_of=AS_OF,
                                  extra_rows=5)
    path = tmp_path / f"agency.{'xlsm' if mode == UDF else 'xlsx'}"
    save_workbook(wb, path, mode)
    return path


def expected_list(report: Portfolio) -> list[ClientResult]:
    """Lowest API margin first; Python's sort is stable, so ties keep the roster's order."""
    return sorted(report.clients, key=lambda c: c.api_margin)


def named(path: Path, name: str) -> str:
    return load_workbook(path).defined_names[name].attr_text.split("!")[1].replace("$", "")


def assert_summary_matches(values: dict[str, dict[str, object]], report: Portfolio,
                           path: Path) -> None:
    summary = values[lay.SUMMARY]
    ws = load_workbook(path)[lay.SUMMARY]
    header = next(r for r in range(1, 40) if ws[f"A{r}"].value == summary_list.HEADERS[0])
    ordered = expected_list(report)
    for offset, client in enumerate(ordered):
        row = header + 1 + offset
        price = calc.price_for_margin(client.api_cost, TARGET)  # cost / (1 - 0.6)
        assert summary[f"A{row}"] == client.client, row
        assert summary[f"B{row}"] == client.status
        assert summary[f"C{row}"] == pytest.approx(client.revenue)
        assert summary[f"D{row}"] == pytest.approx(client.api_cost, rel=1e-12)
        assert summary[f"E{row}"] == pytest.approx(client.api_margin, rel=1e-12)
        assert summary[f"F{row}"] == pytest.approx(price, rel=1e-12)
        assert summary[f"G{row}"] == pytest.approx(max(0.0, price - client.revenue), abs=1e-9)
        assert summary[f"H{row}"] == pytest.approx(client.ft_margin, rel=1e-12)
        assert summary[f"I{row}"] == pytest.approx(client.api_cost - client.ft_cost, rel=1e-9)
    # The spare rows below stay empty.
    spare = header + 1 + len(ordered)
    assert summary.get(f"A{spare}") in (None, "") and summary.get(f"F{spare}") in (None, "")

    raise_needed = sum(max(0.0, calc.price_for_margin(c.api_cost, TARGET) - c.revenue)
                       for c in report.clients)
    assert summary[named(path, lay.TARGET_RAISE)] == pytest.approx(raise_needed, rel=1e-9)
    underwater = [c.client for c in ordered if c.status == "Underwater"]
    assert summary[named(path, lay.UNDERWATER_CLIENTS)] == len(underwater)
    sentences = " ".join(str(summary.get(f"A{r}", "")) for r in range(5, 10))
    pays = "it pays" if len(underwater) == 1 else "they pay"
    assert f"underwater, costing more on the API than {pays}: {', '.join(underwater)}." \
        in sentences
    assert f"moving saves ${report.api_cogs - report.ft_cogs:,.0f} a month" in sentences


@pytest.mark.parametrize("mode", [NATIVE, LITE])
def test_summary_answers_as_the_engine(tmp_path: Path, mode: str) -> None:
    path = build(tmp_path, mode)
    report = read_report(path)
    ordered = [c.client for c in expected_list(report)]
    # The fixture is what it claims: one underwater client, a tie kept in roster order.
    assert ordered[0] == "Lumen Analytics" and ordered.index("Twin A") + 1 == \
        ordered.index("Twin B")
    assert [c.status for c in report.clients].count("Underwater") == 1
    values = recalculated_values(path, tmp_path / "lo")
    assert_summary_matches(values, report, path)

    # The Crossover chart's points: the crossover on the self-hosted line, today on the API's.
    cross = values[lay.CROSSOVER]
    assert cross[f"{CROSSING_COLUMN}{TABLE_FIRST}"] == report.crossover
    assert cross[f"{CROSSING_COLUMN}{TABLE_FIRST + 1}"] == pytest.approx(
        cross[f"B{TABLE_FIRST + report.crossover - 1}"])
    count = len(report.clients)
    assert cross[f"{TODAY_COLUMN}{TABLE_FIRST}"] == count
    assert cross[f"{TODAY_COLUMN}{TABLE_FIRST + 1}"] == pytest.approx(
        count * report.average_api_cost, rel=1e-12)


def test_summary_follows_an_edit(tmp_path: Path) -> None:
    """Harbor's revenue cut to $1: it is underwater now and heads the list, named first."""
    path = build(tmp_path)
    wb = load_workbook(path)
    ws = wb[lay.CLIENTS]
    row = next(r for r in range(lay.FIRST_ROW, lay.FIRST_ROW + 10) if ws[f"A{r}"].value == "Harbor")
    ws[f"{lay.COL['monthly_revenue']}{row}"] = 1
    wb.save(path)
    report = read_report(path)
    harbor = next(c for c in report.clients if c.client == "Harbor")
    assert harbor.status == "Underwater" and expected_list(report)[0].client == "Harbor"
    assert_summary_matches(recalculated_values(path, tmp_path / "lo"), report, path)


def test_classic_workbook_counts_without_the_add_in(tmp_path: Path) -> None:
    """LibreOffice has no xlwings: the .xlsm's API_COST cells are errors there, as on a Mac or
    in a preview, yet the Summary counts every client and totals them as the engine does."""
    path = build(tmp_path, UDF)
    report = read_report(path)
    values = recalculated_values(path, tmp_path / "lo")
    clients = values[lay.CLIENTS]
    cost = lay.COL["api_cost"]
    assert all(str(clients[f"{cost}{lay.FIRST_ROW + i}"]).startswith("#")
               for i in range(len(report.clients)))  # the add-in's cells do not compute here
    summary = values[lay.SUMMARY]
    underwater = sum(c.status == "Underwater" for c in report.clients)
    below = sum(c.status == "Below target" for c in report.clients)
    assert (underwater, below) == (1, 1)  # Lumen; Atlas (see ROSTER)
    raise_needed = sum(max(0.0, calc.price_for_margin(c.api_cost, TARGET) - c.revenue)
                       for c in report.clients)
    expected = {
        lay.CLIENT_COUNT: 6, lay.TOTAL_REVENUE: 900 + 450 + 1200 + 900 + 1500 + 900,
        lay.API_COGS: report.api_cogs, lay.FT_COGS: report.ft_cogs,
        lay.API_MARGIN: report.api_margin, lay.FT_MARGIN: report.ft_margin,
        lay.SAVINGS: report.api_cogs - report.ft_cogs,
        lay.AVERAGE_API_COST: report.api_cogs / 6, lay.CROSSOVER_CLIENTS: report.crossover,
        lay.TOTAL_TOKENS: sum(c.tokens_per_month for c in report.clients),
        lay.UNDERWATER_CLIENTS: underwater, lay.BELOW_TARGET_CLIENTS: below,
        lay.TARGET_RAISE: raise_needed,
    }
    for name, value in expected.items():
        assert summary[named(path, name)] == pytest.approx(value, rel=1e-12), name
    sentences = " ".join(str(summary.get(f"A{r}", "")) for r in range(5, 10))
    assert sentences.startswith(f"6 clients bring in ${expected[lay.TOTAL_REVENUE]:,.0f} a "
                                "month.")
    assert f"moving saves ${report.api_cogs - report.ft_cogs:,.0f} a month" in sentences

    # Beyond the totals: the Summary's list and sentences, the Plan and the Sensitivity sheet
    # read the same as the Lite workbook's (plain formulas throughout) cell for cell.
    lite = recalculated_values(build(tmp_path / "lite", LITE), tmp_path / "lo-lite")
    for sheet in (lay.SUMMARY, lay.PLAN, lay.SENSITIVITY):
        differ = {k: (v, lite[sheet].get(k)) for k, v in values[sheet].items()
                  if v != lite[sheet].get(k)}
        assert not differ, (sheet, list(differ.items())[:5])
