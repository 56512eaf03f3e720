"""The agency workbook, generated with openpyxl: ``build_workbook(...) -> Workbook``.

Sheets: Clients, Pricing, Assumptions, Crossover, Sensitivity, Summary, Plan, Guide; Functions
in the ``lite`` mode (whose xlwings Lite parts ``files.py`` adds when saving), xlwings.conf in
the ``udf`` mode. Nothing here saves a file; ``xlmargin new`` does, atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook, load_workbook

from xlmargin.errors import InputError
from xlmargin.models import AgencySettings, Client, ModelPrice
from xlmargin.sheets import (
    assumptions,
    clients,
    crossover,
    functions_sheet,
    guide,
    layout,
    plan,
    pricing,
    sensitivity,
    summary,
)
from xlmargin.sheets.cells import named_styles, put
from xlmargin.sheets.formulas import LITE, MODES, NATIVE, UDF, Formulas

__all__ = ["LITE", "MODES", "NATIVE", "UDF", "build_workbook", "check_sheet_name",
           "quickstart_path"]

EXTRA_CLIENT_ROWS = 50
EXTRA_PRICE_ROWS = 30
UDF_MODULE = "xlmargin.udfs"
SHEET_NAME_FORBIDDEN = set(':\\/?*[]')


def check_sheet_name(name: str) -> str:
    """Excel's sheet-name rules (openpyxl only enforces some of them)."""
    problem = None
    if not 1 <= len(name) <= 31:
        problem = "must be 1 to 31 characters"
    elif SHEET_NAME_FORBIDDEN & set(name):
        problem = "must not contain : \\ / ? * [ ]"
    elif name.startswith("'") or name.endswith("'"):
        problem = "must not begin or end with an apostrophe"
    elif name.lower() == "history":
        problem = "'History' is reserved by Excel"
    if problem:
        raise InputError(f"sheet name {name!r}", problem)
    return name


def quickstart_path() -> Path:
    """xlwings' standalone quickstart workbook: its VBA project holds the whole xlwings module,
    so the generated .xlsm needs no add-in."""
    import xlwings

    return Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"


def build_workbook(agency: str, roster: Sequence[Client], settings: AgencySettings,
                   prices: Sequence[ModelPrice], *, mode: str = UDF, as_of: date,
                   extra_rows: int = EXTRA_CLIENT_ROWS) -> Workbook:
    """The workbook for ``agency``. ``prices`` must hold every roster model (the Pricing sheet
    lists them in this order); ``as_of`` dates the prices and the file's properties, so a
    rebuild with the same inputs gives the same workbook."""
    f = Formulas(mode)
    if mode == UDF:
        wb = load_workbook(quickstart_path(), keep_vba=True)
        # Reuse the template's sheets so their VBA code names (Sheet1, Sheet2) stay attached.
        first, conf = wb.worksheets[0], wb["_xlwings.conf"]
        first.title = layout.CLIENTS
        _xlwings_conf(conf)
    else:
        wb = Workbook()
        first, conf = wb.active, None
        first.title = layout.CLIENTS
    named_styles(wb)
    sheets = {layout.CLIENTS: first}
    names = list(layout.SHEETS[1:])
    if mode == LITE:
        names.insert(names.index(layout.GUIDE), layout.FUNCTIONS)
    for name in names:
        sheets[name] = wb.create_sheet(check_sheet_name(name))
    if conf is not None:
        wb.move_sheet(conf, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(conf.title))

    last_row = clients.build(wb, sheets[layout.CLIENTS], agency, roster, f, extra_rows,
                             open_weight=bool(settings.open_weight_model),
                             planned=planned_hosting(roster, settings, prices))
    pricing.build(wb, sheets[layout.PRICING], prices, as_of, EXTRA_PRICE_ROWS)
    assumptions.build(wb, sheets[layout.ASSUMPTIONS], settings)
    crossover.build(wb, sheets[layout.CROSSOVER], f, settings)
    summary.build(wb, sheets[layout.SUMMARY], agency, f, clients=len(roster))
    plan.build(wb, sheets[layout.PLAN], agency, f.plain(), last_row, len(roster), as_of)
    sensitivity.build(wb, sheets[layout.SENSITIVITY], f.plain())
    if mode == LITE:
        functions_sheet.build(sheets[layout.FUNCTIONS])
    guide.build(sheets[layout.GUIDE], mode)

    wb.active = 0
    stamp = datetime.combine(as_of, time(0))
    wb.properties.title = f"{agency}: AI cost and margin"
    wb.properties.creator = "xlmargin"
    wb.properties.lastModifiedBy = "xlmargin"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.calculation.fullCalcOnLoad = True
    return wb


def planned_hosting(roster: Sequence[Client], settings: AgencySettings,
                    prices: Sequence[ModelPrice]) -> list[str] | None:
    """Where ``xlmargin plan`` puts each client, priced as the workbook prices it: the Plan
    sheet's choice when GPU capacity is on (a knapsack, not a formula). None with capacity
    off, where the sheet's formulas are the plan (turned on later, the sheet self-hosts the
    pinned clients only, and ``report`` says the plan is stale), or when a client's numbers
    do not compute (``new`` has refused such rosters already)."""
    if settings.gpu is None:
        return None
    from xlmargin.plan import compute
    from xlmargin.portfolio import OpenWeightPrices
    from xlmargin.roster import preset_use_cases, price_roster

    by_model = {p.model.lower(): p for p in prices}
    open_weight = None
    if settings.open_weight_model and settings.open_weight_model.lower() in by_model:
        found = by_model[settings.open_weight_model.lower()]
        open_weight = OpenWeightPrices(found.model, found.input_usd_per_mtok,
                                       found.output_usd_per_mtok,
                                       found.cache_read_or_input_usd_per_mtok)
    # The pins, as the Plan sheet reads them: open_weight without the model counts as blank.
    priced = [replace(p, hosting=None if c.hosting == "open_weight" and open_weight is None
                      else c.hosting)
              for p, c in zip(price_roster(roster, by_model, preset_use_cases()), roster,
                              strict=True)]
    planned = compute(priced, settings, open_weight=open_weight)
    if len(planned.clients) != len(roster):
        return None
    return [c.hosting for c in planned.clients]


def _xlwings_conf(ws: object) -> None:
    """Activate the template's settings sheet: named xlwings.conf, keys from A1 down with no
    gaps (xlwings stops reading at the first blank), our module under UDF Modules."""
    ws.title = layout.CONF_SHEET  # type: ignore[attr-defined]
    settings = (
        ("Interpreter_Win", "python"),
        ("Interpreter_Mac", None),
        ("PYTHONPATH", None),
        ("Conda Path", None),
        ("Conda Env", None),
        ("UDF Modules", UDF_MODULE),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
    )
    ws.delete_rows(1, ws.max_row)  # type: ignore[attr-defined]
    for row, (key, value) in enumerate(settings, start=1):
        put(ws, f"A{row}", key)  # type: ignore[arg-type]
        if value is not None:
            cell = ws[f"B{row}"]  # type: ignore[index]
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    notes = (
        "Notes (below the gap on purpose: xlwings reads settings from A1 down to the first "
        "blank row):",
        "UDF Modules names the Python module with the xlmargin functions. Interpreter_Win: the "
        "full path of python.exe in the environment where xlmargin is installed, if not on PATH.",
    )
    for offset, text in enumerate(notes):
        put(ws, f"A{len(settings) + 3 + offset}", text)  # type: ignore[arg-type]
