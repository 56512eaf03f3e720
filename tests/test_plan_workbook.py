"""The Plan sheet, recalculated by LibreOffice, equals `xlmargin plan --json` on the same
workbook: every client's row, the totals and the order; with capacity off after edits too (its
formulas are the closed form), with capacity on as stored, and `report` warns when that stored
plan goes stale."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook

from xlmargin.catalog import Catalog
from xlmargin.cli import main
from xlmargin.models import AgencySettings, Capacity, Client, Infra
from xlmargin.sheets import NATIVE, build_workbook
from xlmargin.sheets import layout as lay
from xlmargin.sheets.files import pricing_list, save_workbook
from xlmargin.sheets.plan import LETTER
from xlmargin.sheets.read import read_report
from xlmargin.sheets.summary import SENTENCES_ROW

AS_OF = date(2026, 11, 1)
OPEN = "llama-3.1-8b-instant"
ROSTER = (  # name, use case, interactions a day, model, revenue, hosting
    ("Harbor Dental", "customer_support", 100, "gpt-4o", 1500, None),
    ("Northwind", "customer_support", 300, "gpt-4o", 2500, "self"),
    ("Keller Law", "document_qa", 200, "claude-3-5-sonnet", 3000, "api"),
    ("Bakery", "lead_qualification", 20, "gpt-4o-mini", 500, None),
    ("Atlas", "content_generation", 900, "gpt-4o", 4000, None),
    ("Lumen", "data_extraction", 400, "claude-3-5-sonnet", 450, None),
    ("Summit", "document_qa", 60, "gpt-4o", 1600, "open_weight"),
)


def workbook(tmp_path: Path, settings: AgencySettings, name: str = "plan.xlsx") -> Path:
    catalog = Catalog(as_of=AS_OF)
    clients = [Client(client=n, use_case=u, interactions_per_day=i,
                      model=catalog.lookup(m).model, monthly_revenue=r, hosting=h)
               for n, u, i, m, r, h in ROSTER]
    extra = [settings.open_weight_model] if settings.open_weight_model else []
    wb = build_workbook("Plan Agency", clients, settings,
                        pricing_list(clients, catalog, extra), mode=NATIVE, as_of=AS_OF,
                        extra_rows=3)
    path = tmp_path / name
    save_workbook(wb, path, NATIVE)
    return path


def plan_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code = main(["plan", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def named(path: Path) -> dict[str, tuple[str, str]]:
    """{defined name: (sheet, first cell or range)} of the workbook as written."""
    found = {}
    for name, defined in load_workbook(path).defined_names.items():
        sheet, ref = defined.attr_text.split("!")
        found[name] = (sheet, ref.replace("$", ""))
    return found


def close(value: object, expected: float | None) -> bool:
    return isinstance(value, int | float) and value == pytest.approx(expected, rel=1e-9,
                                                                     abs=1e-9)


def assert_sheet_is_plan(values: dict[str, dict[str, object]], names: dict, data: dict) -> None:
    sheet = values[lay.PLAN]
    first, last = (int(cell[1:]) for cell in names["PlanClients"][1].split(":"))
    rows = [r for r in range(first, last + 1) if sheet.get(f"{LETTER['client']}{r}")]
    assert [sheet[f"{LETTER['client']}{r}"] for r in rows] == [
        c["client"] for c in data["clients"]]
    for r, expected in zip(rows, data["clients"], strict=True):
        assert sheet[f"{LETTER['hosting']}{r}"] == expected["hosting"]
        for key, column in (("api_cost", "api_cost"), ("plan_cost", "cost"),
                            ("saving_if_moved", "saving"), ("plan_margin", "margin"),
                            ("price_for_target", "price")):
            assert close(sheet[f"{LETTER[column]}{r}"], expected[key]), (expected, key)
        assert (sheet.get(f"{LETTER['pin']}{r}") not in (None, "")) == expected["pinned"]
    reasons = {s["client"]: s["reason"] for s in data["stays"]}
    for r in rows:
        name = sheet[f"{LETTER['client']}{r}"]
        if name in reasons:
            assert sheet[f"{LETTER['why']}{r}"] == reasons[name]

    def total(name: str) -> object:
        return sheet[names[name][1]]

    totals = data["totals"]
    assert close(total(lay.PLAN_COGS), totals["plan_cogs"])
    assert close(total(lay.PLAN_MARGIN), totals["plan_margin"])
    assert total(lay.PLAN_SERVERS) == totals["servers"]
    assert total(lay.PLAN_SELF_CLIENTS) == len(data["order"])
    assert close(total(lay.PLAN_SAVES), totals["saving"])
    summary = values[lay.SUMMARY]
    assert close(summary[names[lay.API_COGS][1]], totals["all_api_cogs"])
    assert close(summary[names[lay.FT_COGS][1]], totals["all_self_cogs"])
    # The Summary's recommendation is the plan's.
    advice = summary[f"A{SENTENCES_ROW + 4}"]
    movers = len(data["order"])
    assert advice.startswith(f"Self-host {movers} client" if movers
                             else "Stay off self-hosting"), advice
    # The order list: step k is the k-th largest saving among the self-hosted clients.
    order_rows = sorted(int(c[1:]) for c, v in sheet.items() if c.startswith("B")
                        and isinstance(v, int | float) and c[1:].isdigit()
                        and int(c[1:]) < first - 1 and sheet.get(f"C{c[1:]}") is not None
                        and isinstance(sheet.get(f"C{c[1:]}"), int | float))
    listed = [sheet[f"A{r}"] for r in order_rows]
    assert listed == [o["client"] for o in data["order"]][:len(listed)]
    assert len(listed) == min(len(data["order"]), 30)


SETTINGS = AgencySettings(infra=Infra(buffer=0.2), target_margin=0.7, open_weight_model=OPEN)


def test_capacity_off_the_sheet_is_the_plan_and_follows_edits(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workbook(tmp_path, SETTINGS)
    data = plan_json(path, capsys)
    assert {c["hosting"] for c in data["clients"]} == {"self", "api", "open_weight"}
    assert_sheet_is_plan(recalculated_values(path, tmp_path / "lo"), named(path), data)

    # Edits: Northwind's pin is lifted, Keller Law's becomes self, a cheaper open-weight price.
    wb = load_workbook(path)
    clients = wb[lay.CLIENTS]
    names = [clients[f"A{r}"].value for r in range(lay.FIRST_ROW, lay.FIRST_ROW + len(ROSTER))]
    row = {name: lay.FIRST_ROW + i for i, name in enumerate(names)}
    clients[f"{lay.COL['hosting']}{row['Northwind']}"] = None
    clients[f"{lay.COL['hosting']}{row['Keller Law']}"] = " Self "
    clients[f"{lay.COL['interactions_per_day']}{row['Bakery']}"] = 2000
    wb.save(path)
    edited = plan_json(path, capsys)
    assert edited != data
    keller = next(c for c in edited["clients"] if c["client"] == "Keller Law")
    assert keller["hosting"] == "self" and keller["pinned"]
    assert_sheet_is_plan(recalculated_values(path, tmp_path / "lo2"), named(path), edited)
    assert not [w for w in read_report(path).warnings if "Plan sheet" in w]


def test_capacity_on_the_sheet_is_the_stored_plan_and_report_warns_when_stale(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Small servers (2% planned utilization), no open-weight model: Atlas, the heaviest
    # client, would need servers that cost more than it saves. Summit's open_weight pin has
    # no model to go to: the plan treats it as blank, and says so.
    settings = SETTINGS.model_copy(update={
        "open_weight_model": None, "capacity": Capacity(gpu="L4", utilization=0.02)})
    path = workbook(tmp_path, settings)
    data = plan_json(path, capsys)
    assert data["exact"] and data["totals"]["servers"] == 1
    assert {s["client"]: s["reason"] for s in data["stays"]}["Atlas"] == "capacity"
    assert any("open_weight, but no open-weight model is set" in w for w in data["warnings"])
    values = recalculated_values(path, tmp_path / "lo")
    assert_sheet_is_plan(values, named(path), data)
    assert "computed by xlmargin when it wrote this workbook (2026-11-01)" in values[lay.PLAN][
        "A3"]
    assert not [w for w in read_report(path).warnings if "Plan sheet" in w]

    # Atlas's volume drops to 50 a day: it now fits on the server, and the stored plan, which
    # leaves it out, is no longer the cheapest.
    wb = load_workbook(path)
    clients = wb[lay.CLIENTS]
    atlas = next(r for r in range(lay.FIRST_ROW, lay.FIRST_ROW + len(ROSTER))
                 if clients[f"A{r}"].value == "Atlas")
    clients[f"{lay.COL['interactions_per_day']}{atlas}"] = 50
    wb.save(path)
    stale = [w for w in read_report(path).warnings if "Plan sheet" in w]
    assert len(stale) == 1 and "should self-host too: Atlas" in stale[0]
    assert "Atlas" in [o["client"] for o in plan_json(path, capsys)["order"]]
    code = main(["report", str(path)])
    assert code == 0 and "Plan sheet: the plan stored when the workbook was written is " \
                         "stale" in capsys.readouterr().err
