"""Capacity in the workbook: with a GPU chosen, the native workbook recalculated by LibreOffice
equals `xlmargin report` and calc: the servers, the staircase in the Crossover table, each
scenario's first and for-good crossover (the hidden search cells), the hosted open-weight
column and totals, retraining and the setup payback. Also what the sheets offer the user."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook

from xlmargin import calc
from xlmargin.sheets import NATIVE, UDF
from xlmargin.sheets import layout as lay
from xlmargin.sheets.crossover import (
    OPEN_WEIGHT_COLUMN,
    SCENARIO_ROW,
    SERVERS_COLUMN,
    TABLE_FIRST,
    scenario_columns,
)
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.read import read_report

AS_OF = date(2026, 11, 1)
# Big clients, so that one A10G holds only a few of them and the servers step up within the
# Crossover sheet's 30 clients.
ROSTER = """client,use_case,interactions_per_day,model,monthly_revenue
Support A,customer_support,2500,gpt-4o-mini,3000
Support B,customer_support,1500,gpt-4.1-mini,2500
Docs,document_qa,600,gpt-4o-mini,2500
Leads,lead_qualification,1500,claude-3-5-haiku,2000
"""
SETTINGS = """target_margin = 0.7
open_weight_model = "Llama 3.1 8B Instant 128k"
[capacity]
gpu = "a10g"
utilization = 0.5
[hidden_costs]
labor_usd_per_hour = 50
gpu_usd_per_hour = 1.0
retraining_compute_minutes = 30
retraining_labor_hours = 0.25
setup_labor_hours = 8
setup_fee_usd = 100
"""


def build(tmp_path: Path, mode: str = NATIVE, roster: str = ROSTER) -> Path:
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    (tmp_path / "agency.toml").write_text(SETTINGS, encoding="utf-8")
    wb, _count = build_from_files("Cap", roster=tmp_path / "roster.csv",
                                  settings=tmp_path / "agency.toml", mode=mode, as_of=AS_OF,
                                  extra_rows=3)
    path = tmp_path / f"cap.{'xlsx' if mode == NATIVE else 'xlsm'}"
    save_atomic(wb, path)
    return path


def close(a: object, b: float | None) -> bool:
    return isinstance(a, int | float) and b is not None and a == pytest.approx(b, rel=1e-9)


def named(path: Path, values: dict[str, dict[str, object]]) -> dict[str, object]:
    """Every single-cell defined name's value after recalculation."""
    wb = load_workbook(path)
    found = {}
    for name, defined in wb.defined_names.items():
        for sheet, ref in defined.destinations:
            if ":" not in ref:
                found[name] = values[sheet].get(ref.replace("$", ""))
    return found


def test_report_of_a_capacity_workbook(tmp_path: Path) -> None:
    report = read_report(build(tmp_path))
    assert not report.warnings
    assert report.gpu == "A10G" and report.open_weight_model == "llama-3.1-8b-instant"
    # 4 clients: (30 min * $1 + 0.25 h * $50) / 3 = (0.50 + 12.50) / 3 = $4.3333 a month each.
    assert report.retraining_usd == pytest.approx(4 * 13 / 3)
    # A hand-derived anchor: Leads, lead qualification on Claude 3.5 Haiku ($0.80 / $4 per 1M
    # in this catalog), 1,500 a day, the article's multipliers: (200 + 1000) in, 150 out.
    k = 1500 * 30 * 2.5 * 1.05 * 1.15
    leads = next(c for c in report.clients if c.client == "Leads")
    assert leads.output_tokens_per_month == pytest.approx(150 * k)
    assert leads.open_weight_cost == pytest.approx(((200 + 1000) * 0.05 + 150 * 0.08) * k / 1e6)


def test_capacity_workbook_equals_report(tmp_path: Path) -> None:
    path = build(tmp_path)
    report = read_report(path)
    values = recalculated_values(path, tmp_path / "lo")
    names = named(path, values)
    clients = values["Clients"]
    for result in report.clients:
        row = result.where.split("!A")[1]
        assert close(clients[f"{lay.COL['output_tokens_per_month']}{row}"],
                     result.output_tokens_per_month)
        assert close(clients[f"{lay.COL['open_weight_cost']}{row}"], result.open_weight_cost)
        assert close(clients[f"{lay.COL['ft_cost']}{row}"], result.ft_cost)

    assert names[lay.SERVERS] == report.servers
    assert close(names[lay.FT_COGS], report.ft_cogs)
    assert names[lay.CROSSOVER_CLIENTS] == report.crossover
    assert names[lay.CROSSOVER_STAYS] == report.crossover_stays_from
    assert close(names[lay.OPEN_WEIGHT_COGS], report.open_weight_cogs)
    assert close(names[lay.OPEN_WEIGHT_MARGIN], report.open_weight_margin)
    assert close(names[lay.SETUP_PAYBACK], report.setup_payback_months)
    assert close(names[lay.RETRAINING_USD] * len(report.clients), report.retraining_usd)

    # The Crossover sheet: the same server share for every scenario, from the average client.
    base, per, buffer = (names[n] for n in (lay.BASE_MONTHLY, "PerClientUSD", "Buffer"))
    server, retraining = names[lay.SERVER_USD], names[lay.RETRAINING_USD]
    assert server == pytest.approx(1.006 * 730)
    count = len(report.clients)
    share = calc.server_share(sum(c.input_tokens_per_month for c in report.clients) / count,
                              sum(c.output_tokens_per_month for c in report.clients) / count,
                              2500, 500, 0.5)
    cross = values["Crossover"]
    assert cross["I7"] == pytest.approx(float(share), rel=1e-12)
    scenarios = [(report.average_api_cost, report.revenue / count),
                 *((cost, lay.ARTICLE_RETAINER) for _label, cost in lay.SCENARIOS)]
    flips = 0
    for index, (cost, revenue) in enumerate(scenarios):
        found = calc.crossover_at_capacity(cost, base, per, buffer, server_usd=server,
                                           servers_per_client=share, retraining_usd=retraining)
        row = SCENARIO_ROW + index
        assert cross[f"D{row}"] == (found.first or "never"), row
        assert cross[f"E{row}"] == (found.stays_from or "never"), row
        flips += found.first is not None and not found.stays_cheaper
        table = calc.crossover_table(cost, range(1, 31), revenue_per_client=revenue,
                                     base_monthly_usd=base, per_client_usd=per, buffer=buffer,
                                     server_usd=server, servers_per_client=share,
                                     retraining_usd=retraining)
        api, _api_margin, ft_margin = scenario_columns(index)
        for line in table:
            r = TABLE_FIRST + line.clients - 1
            assert cross[f"{SERVERS_COLUMN}{r}"] == line.servers
            assert close(cross[f"B{r}"], line.ft_cogs)
            assert close(cross[f"{api}{r}"], line.api_cogs)
            assert close(cross[f"{ft_margin}{r}"], line.ft_margin)
            assert close(cross[f"{OPEN_WEIGHT_COLUMN}{r}"],
                         line.clients * report.open_weight_cogs / count)
    assert report.crossover is not None and flips >= 1  # the search went both ways
    servers = [cross[f"{SERVERS_COLUMN}{TABLE_FIRST + n}"] for n in range(30)]
    assert servers[0] == 1 and servers[-1] >= 3  # a staircase, not a flat line


def test_sheets_offer_the_gpu_presets_and_the_open_weight_model(tmp_path: Path) -> None:
    for mode in (NATIVE, UDF):
        wb = load_workbook(build(tmp_path, mode), keep_vba=mode == UDF)
        ws = wb["Assumptions"]
        lists = {v.formula1 for v in ws.data_validations.dataValidation if v.type == "list"}
        assert lists == {"=GpuNames", "=PriceModels"}
        names = {n: d.attr_text for n, d in wb.defined_names.items()}
        cells = names[lay.GPU_NAMES].split("!")[1]
        first, last = (c.replace("$A$", "") for c in cells.split(":"))
        presets = [ws[f"A{r}"].value for r in range(int(first), int(last) + 1)]
        assert presets == ["L4", "A10G", "RTX4090", "A100-80GB", "H100"]
        assert all(ws[f"E{r}"].value for r in range(int(first), int(last) + 1))  # sources
        gpu = names[lay.GPU_NAME].split("!")[1].replace("$", "")
        assert ws[gpu].value == "A10G"
        model = names[lay.OPEN_WEIGHT_MODEL].split("!")[1].replace("$", "")
        assert ws[model].value == "llama-3.1-8b-instant"  # the Pricing sheet's id
        assert "llama-3.1-8b-instant" in [c.value for c in wb["Pricing"]["A"]]
        servers = wb["Summary"][names[lay.SERVERS].split("!")[1].replace("$", "")].value
        # Built-in functions in the .xlsm too: the Summary holds where the add-in is missing.
        assert "GPU_SERVERS(" not in servers and "-INT(-(" in servers


def test_report_text_shows_the_three_options(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from xlmargin.cli import main

    path = build(tmp_path)
    report = read_report(path)
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Open-weight" in out and "Hosted open-weight model: llama-3.1-8b-instant" in out
    assert (f"GPU servers: {report.servers} x A10G; self-hosting cheaper for good from: "
            f"{report.crossover_stays_from} clients") in out
    assert "Setup payback, average client:" in out


def test_udf_capacity_workbook_equals_report(tmp_path: Path) -> None:
    """The .xlsm with a GPU chosen, evaluated by the `formulas` package with the xlmargin
    functions (GPU_SERVERS included) answered through xlwings' Windows call path."""
    import formulas
    from test_workbook_formulas import UDFS, bridge
    from xlwings_windows import load_udf_module

    load_udf_module("xlmargin.udfs")
    registry = formulas.get_functions()
    used = (*UDFS, "GPU_SERVERS")
    saved = {name: registry.get(name) for name in used}
    registry.update({name: bridge(name) for name in used})
    # Three times the load: 0.44 of an A10G becomes 1.3, so GPU_SERVERS answers 2.
    heavier = ROSTER.replace(",2500,", ",7500,").replace(",1500,", ",4500,").replace(
        ",600,", ",1800,")
    path = build(tmp_path, UDF, heavier)
    try:
        solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    finally:
        for name, function in saved.items():
            if function is None:
                registry.pop(name, None)
            else:
                registry[name] = function
    wb = load_workbook(path, keep_vba=True)
    prefix = f"'[{path.name}]"

    def value(name: str) -> object:
        sheet, ref = wb.defined_names[name].attr_text.split("!")
        found = solution[f"{prefix}{sheet.upper()}'!{ref.replace('$', '')}"].value[0, 0]
        return found.item() if hasattr(found, "item") else found

    report = read_report(path)
    assert report.servers == 2
    assert value(lay.SERVERS) == report.servers
    assert value(lay.FT_COGS) == pytest.approx(report.ft_cogs, rel=1e-9)
    assert value(lay.CROSSOVER_CLIENTS) == report.crossover
    assert value(lay.CROSSOVER_STAYS) == report.crossover_stays_from
    assert value(lay.OPEN_WEIGHT_COGS) == pytest.approx(report.open_weight_cogs, rel=1e-9)
