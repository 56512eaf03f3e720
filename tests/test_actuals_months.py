"""The Actuals sheet's months: each client's months as columns, the trend, projection and budget
flag, the line chart of the largest clients; checked from an import's JSON built by hand (the
months shape import-usage gives), through LibreOffice recalculation and openpyxl's cached
values, and end to end from a real usage export."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook
from openpyxl.chart import LineChart

from xlmargin.cli import main
from xlmargin.sheets import page
from xlmargin.sheets.actuals import ACTUALS, write_actuals
from xlmargin.sheets.actuals_months import NOT_WITHIN, largest

ROOT = Path(__file__).parents[1]
EVIL = '=HYPERLINK("http://example.invalid","click")'
MONTHS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
# Client -> cost of month i (0..11): base + step * i, so every sum is worked out by hand.
COSTS = {"Harbor Dental Group": (10.0, 1.0), "Atlas Manufacturing": (600.0, 0.0),
         "Initech Labs": (50.0, 2.0), EVIL: (5.0, 0.5), "Lumen Analytics": (200.0, -5.0),
         "Pinecrest Clinics": (1.0, 0.25)}


def months_of(base: float, step: float) -> list[dict[str, Any]]:
    last = len(MONTHS) - 1
    return [{"month": m, "cost_usd": base + step * i, "input_tokens": 1000 * i,
             "cached_input_tokens": 0, "output_tokens": 100 * i, "requests": i,
             "partial": i == last, "days": 12 if i == last else 30}
            for i, m in enumerate(MONTHS)]


def entry(name: str, **extra: Any) -> dict[str, Any]:
    base, step = COSTS[name]
    months = months_of(base, step)
    cost = sum(m["cost_usd"] for m in months)
    return {"client": name, "requests": 1, "input_tokens": 1, "cached_input_tokens": 0,
            "output_tokens": 1, "cost_usd": cost, "monthly_cost_usd": cost / 11.4,
            "months": months, "trend": None, "projection": None, "budget": None, **extra}


DATA: dict[str, Any] = {
    "period": {"start": "2025-11-01", "end": "2026-10-12"}, "months": 11.4,
    "month_list": MONTHS,
    "clients": [
        entry("Harbor Dental Group",
              trend={"method": "least squares", "full_months": 11, "monthly_growth": 0.08,
                     "note": None},
              projection={"revenue_usd": 1200.0, "target_margin": 0.6,
                          "below_target": "2027-01", "below_zero": None, "note": ""},
              budget={"monthly_ai_budget_usd": 150.0, "month": "2026-10", "to_date_usd": 60.0,
                      "projected_usd": 155.0, "over": True}),
        entry("Atlas Manufacturing",
              trend={"method": "least squares", "full_months": 1, "monthly_growth": None,
                     "note": None},
              budget={"monthly_ai_budget_usd": 700.0, "month": "2026-10",
                      "to_date_usd": 240.0, "projected_usd": 600.0, "over": False}),
        entry("Initech Labs"), entry(EVIL), entry("Lumen Analytics"),
        entry("Pinecrest Clinics")],
    "unattributed": {**entry("Harbor Dental Group"), "client": "unattributed"},
    "unpriced": [], "files": [], "duplicates": {"dropped": 0, "conflicts": []},
    "warnings": []}


def cost(name: str, i: int) -> float:
    base, step = COSTS[name]
    return base + step * i


@pytest.fixture(scope="module")
def sheet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("months") / "acme.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(path), "--as-of",
                 "2026-11-01"]) == 0
    write_actuals(path, DATA, sources=["usage.csv"])
    return path


def find(ws: Any, text: str, column: str = "A") -> int:
    for cell in ws[column]:
        if cell.value == text:
            return cell.row
    raise AssertionError(f"{text!r} not in column {column}")


def rows_under(ws: Any, header: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for r in range(header + 1, header + 40):
        name = ws[f"A{r}"].value
        if name is None:
            break
        found[name] = r
    return found


def test_months_as_columns_with_the_partial_month_labelled(sheet_file: Path) -> None:
    ws = load_workbook(sheet_file)[ACTUALS]
    header = find(ws, "API cost per client, month by month") + 2
    # Ten months to a block, the rest in a second block below: columns A..K print one page wide.
    assert [ws.cell(header, c).value for c in range(1, 12)] == ["Client", *MONTHS[:10]]
    rows = rows_under(ws, header)
    roster = [c.value for c in load_workbook(sheet_file)["Clients"]["A"][4:16]]
    assert list(rows)[:12] == roster  # every roster client, in the Clients order
    assert list(rows)[12:] == ["Initech Labs", EVIL, "(unattributed)", "All imported usage"]
    harbor = rows["Harbor Dental Group"]
    assert [ws.cell(harbor, 2 + i).value for i in range(10)] == [10.0 + i for i in range(10)]
    assert ws.cell(rows["Northwind Logistics"], 2).value == 0  # on the roster, no usage
    evil = ws[f"A{rows[EVIL]}"]
    assert evil.data_type == "s" and evil.value == EVIL and evil.quotePrefix
    second = rows["All imported usage"] + 2
    assert [ws.cell(second, c).value for c in range(1, 4)] == [
        "Client", "2026-09", "2026-10 (12 days)"]
    assert ws.cell(second + 1 + list(rows).index("Harbor Dental Group"), 3).value == 10.0 + 11


def test_totals_and_budget_flags_compute_in_libreoffice(sheet_file: Path,
                                                        tmp_path: Path) -> None:
    values = recalculated_values(sheet_file, tmp_path / "lo")[ACTUALS]
    ws = load_workbook(sheet_file)[ACTUALS]
    header = find(ws, "API cost per client, month by month") + 2
    total = rows_under(ws, header)["All imported usage"]
    # Month i: every client's base + step * i, unattributed (Harbor's figures) counted too.
    for i in range(10):
        by_hand = sum(cost(name, i) for name in COSTS) + cost("Harbor Dental Group", i)
        assert values[f"{chr(66 + i)}{total}"] == pytest.approx(by_hand), MONTHS[i]
    trend = find(ws, "Trend, projection and AI budget") + 2
    rows = rows_under(ws, trend)
    assert values[f"K{rows['Harbor Dental Group']}"] == "Over budget"  # 155.00 > 150.00
    assert values[f"K{rows['Atlas Manufacturing']}"] == "Within budget"  # 600.00 < 700.00
    assert values[f"K{rows['Initech Labs']}"] == "no budget"
    # The chart's data: formulas over the month tables, one row per month.
    data_row = find(ws, "Month", "M")
    assert values[f"M{data_row + 1}"] == "2025-11"
    assert values[f"M{data_row + 12}"] == "2026-10 (12 days)"
    assert values[f"N{data_row + 12}"] == pytest.approx(cost("Atlas Manufacturing", 11))


def test_the_formulas_are_saved_with_their_results(sheet_file: Path) -> None:
    """A reader that does not recalculate (openpyxl data_only, pandas, a preview) sees the
    totals, the budget flags and the chart's data, not blanks."""
    ws = load_workbook(sheet_file, data_only=True)[ACTUALS]
    header = find(ws, "API cost per client, month by month") + 2
    total = rows_under(ws, header)["All imported usage"]
    by_hand = sum(cost(name, 0) for name in COSTS) + cost("Harbor Dental Group", 0)
    assert ws[f"B{total}"].value == pytest.approx(by_hand)
    trend = rows_under(ws, find(ws, "Trend, projection and AI budget") + 2)
    assert ws[f"K{trend['Harbor Dental Group']}"].value == "Over budget"
    data_row = find(ws, "Month", "M")
    assert ws[f"M{data_row + 12}"].value == "2026-10 (12 days)"
    assert ws[f"N{data_row + 1}"].value == cost("Atlas Manufacturing", 0)


def test_trend_projection_and_budget_cells(sheet_file: Path) -> None:
    ws = load_workbook(sheet_file)[ACTUALS]
    header = find(ws, "Trend, projection and AI budget") + 2
    rows = rows_under(ws, header)
    assert "(unattributed)" not in rows  # no retainer, no budget, no client to project
    harbor = rows["Harbor Dental Group"]
    assert ws[f"B{harbor}"].value == 0.08 and ws[f"B{harbor}"].number_format == "0.0%"
    assert [ws[f"{c}{harbor}"].value for c in "CDEFGHIJ"] == [
        11, 1200.0, 0.6, "2027-01", NOT_WITHIN, 150.0, "2026-10", 155.0]
    atlas = rows["Atlas Manufacturing"]
    assert ws[f"B{atlas}"].value == "no rate: 1 full month"
    assert ws[f"D{atlas}"].value == "no retainer"
    assert ws[f"B{rows['Northwind Logistics']}"].value == "no usage"


def test_the_line_chart_shows_the_five_largest_clients(sheet_file: Path) -> None:
    ws = load_workbook(sheet_file)[ACTUALS]
    charts = ws._charts
    assert sorted(type(c).__name__ for c in charts) == ["BarChart", "LineChart"]
    line = next(c for c in charts if isinstance(c, LineChart))
    assert len(line.series) == 5
    data_row = find(ws, "Month", "M")
    names = [ws.cell(data_row, c).value for c in range(14, 19)]
    # Over the 12 months: Atlas 600 * 12 = 7200; Lumen 200 * 12 - 5 * 66 = 2070;
    # Initech 50 * 12 + 2 * 66 = 732; Harbor 10 * 12 + 66 = 186; EVIL 5 * 12 + 0.5 * 66 = 93;
    # Pinecrest 1 * 12 + 0.25 * 66 = 28.5 is sixth and left out.
    assert names == ["Atlas Manufacturing", "Lumen Analytics", "Initech Labs",
                     "Harbor Dental Group", EVIL]
    assert ws.cell(data_row, 18).data_type == "s"  # a name as a header stays text
    refs = [s.val.numRef.f for s in line.series]
    assert refs[0] == f"'Actuals'!$N${data_row + 1}:$N${data_row + 12}"


def test_it_prints_one_page_wide_with_no_part_cut(sheet_file: Path) -> None:
    ws = load_workbook(sheet_file)[ACTUALS]
    assert ws.page_setup.orientation == "landscape"
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    scale = ws.page_setup.scale
    assert scale >= page.MIN_SCALE
    # Columns A..K fit the narrower page (Letter) at this scale, for the wider font.
    assert page.width_px(ws, "A", "K") * scale / 100 <= page.PAGE_WIDTH_IN * page.PIXELS_PER_IN
    assert ws.print_area.replace("$", "").split("!")[1].startswith("A1:K")
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "the sheet is longer than a page"
    room = page.PAGE_HEIGHT_IN * page.POINTS_PER_IN * 100 / scale
    # The parts: each heading (12 pt), each month block's header, each chart.
    charts = {c.anchor._from.row + 1 for c in ws._charts}
    starts = sorted({1, *charts, *(c.row for c in ws["A"] if c.font.sz == 12),
                     *(c.row for c in ws["A"] if c.value == "Client" and c.row > 20)})
    last = max(ws.max_row, *(c.anchor._from.row + 18 for c in ws._charts))
    for first, end in zip(starts, [*(s - 1 for s in starts[1:]), last], strict=True):
        inside = [b for b in breaks if first <= b < end]
        # A part shorter than a page is never cut; a break only ever falls just above one.
        assert not inside or page.height_pt(ws, first, end) > room, (first, end, inside)
    assert set(breaks) <= {s - 1 for s in starts}
    edges = [0, *breaks, last]
    for top, bottom in pairwise(edges):  # and every page is full at most
        parts = [s for s in starts if top < s <= bottom]
        assert page.height_pt(ws, top + 1, bottom) <= room or len(parts) == 1, (top, bottom)


def test_largest_leaves_out_clients_with_no_cost() -> None:
    from xlmargin.sheets.actuals_months import Row

    rows = [Row("A", {"months": [{"month": "2026-10", "cost_usd": 0.0}]}),
            Row("B", {"months": [{"month": "2026-10", "cost_usd": 3.0}]}), Row("C", None),
            Row("(unattributed)", {"months": [{"month": "2026-10", "cost_usd": 99.0}]},
                unattributed=True)]
    assert largest(rows) == [1]


def test_end_to_end_from_the_sample_export(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """import-usage --workbook on the shipped LiteLLM sample: each client's months on the sheet
    are its JSON months, and match the log's own rows summed here by key and month."""
    sample = ROOT / "templates" / "usage" / "litellm_spend_logs.csv"
    spend: dict[tuple[str, str], Decimal] = {}
    with open(sample, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["api_key"], row["startTime"][:7])
            spend[key] = spend.get(key, Decimal(0)) + Decimal(row["spend"])
    path = tmp_path / "acme.xlsx"
    assert main(["new", "Acme", "-o", str(path), "--as-of", "2026-11-01"]) == 0
    capsys.readouterr()
    assert main(["import-usage", str(sample), "--clients",
                 str(ROOT / "templates" / "usage" / "clients.csv"), "--workbook", str(path),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["month_list"] == ["2026-09", "2026-10"]
    values = recalculated_values(path, tmp_path / "lo")[ACTUALS]
    ws = load_workbook(path)[ACTUALS]
    header = find(ws, "API cost per client, month by month") + 2
    assert [ws.cell(header, c).value for c in (2, 3)] == ["2026-09", "2026-10"]
    rows = rows_under(ws, header)
    for name, key in (("Harbor Dental Group", "sk-hash-harbor"),
                      ("Pinecrest Clinics", "sk-hash-pinecrest"),
                      ("(unattributed)", "sk-hash-sandbox")):
        for column, month in (("B", "2026-09"), ("C", "2026-10")):
            assert ws[f"{column}{rows[name]}"].value == pytest.approx(
                float(spend[(key, month)]), abs=1e-9), (name, month)
    total = rows["All imported usage"]
    for column, month in (("B", "2026-09"), ("C", "2026-10")):
        by_hand = sum(v for (_key, m), v in spend.items() if m == month)
        assert values[f"{column}{total}"] == pytest.approx(float(by_hand), abs=1e-9)
    json_months = {c["client"]: [m["cost_usd"] for m in c["months"]] for c in data["clients"]}
    assert [ws[f"{c}{rows['Northwind Logistics']}"].value for c in "BC"] == json_months[
        "Northwind Logistics"]
    # Two full months, September and October: too few for a rate. The workbook's Clients
    # sheet gives each roster client its retainer; the starter's Harbor pays 1,200 a month.
    trend = rows_under(ws, find(ws, "Trend, projection and AI budget") + 2)
    harbor = trend["Harbor Dental Group"]
    assert [ws[f"{c}{harbor}"].value for c in "BCD"] == ["no rate: 2 full months", 2, 1200.0]
    assert [ws[f"{c}{harbor}"].value for c in "FG"] == [NOT_WITHIN, NOT_WITHIN]
    assert ws[f"B{trend['Atlas Manufacturing']}"].value == "no usage"
