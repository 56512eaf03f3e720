"""The Clients sheet: one row per client, inputs on the left (yellow), computed columns on the
right (blue), and empty rows below whose formulas compute as soon as a client is typed in."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.models import Client
from xlmargin.presets import CLIENT_TYPES, USE_CASES
from xlmargin.sheets import assumptions, layout, page
from xlmargin.sheets.cells import (
    AMBER_FILL,
    GREEN_FILL,
    MUTED,
    RED_FILL,
    SUBTITLE,
    define,
    fill,
    header_row,
    put,
    title,
    widths,
    write_text,
)
from xlmargin.sheets.formulas import Formulas

STYLES = {
    "client": "xm_input_text", "use_case": "xm_input_text", "client_type": "xm_input_text",
    "interactions_per_day": "xm_input_number", "model": "xm_input_text",
    "input_tokens": "xm_input_number", "output_tokens": "xm_input_number",
    "monthly_revenue": "xm_input_usd", "tokens_per_month": "xm_tokens", "api_cost": "xm_usd",
    "ft_cost": "xm_usd", "api_margin": "xm_percent", "ft_margin": "xm_percent",
    "status": "xm_text", "notes": "xm_input_text", "output_tokens_per_month": "xm_tokens",
    "open_weight_cost": "xm_usd", "hosting": "xm_input_text", "stored_plan": "xm_text",
    "no_addin_api_cost": "xm_usd", "no_addin_status": "xm_text",
    "no_addin_api_margin": "xm_percent",
}
LAST = layout.CLIENT_COLUMNS[-1].letter
INDEX = {key: column_index_from_string(letter) for key, letter in layout.COL.items()}


def build(wb: Workbook, ws: Worksheet, agency: str, clients: Sequence[Client], f: Formulas,
          extra_rows: int, open_weight: bool = False,
          planned: Sequence[str] | None = None) -> int:
    """Write the sheet; returns the last row the formulas (and defined names) cover. The
    open-weight column shows when ``open_weight`` (the option is on); ``planned`` is where the
    plan put each client when the workbook was written (the Plan sheet's choice with GPU
    capacity on)."""
    title(ws, f"{agency}: clients",
          "Type in the yellow columns; the blue ones compute. Leave input or output tokens to "
          "the use case's formula, or type your own numbers over it.")
    put(ws, "A3", "Inputs").font = SUBTITLE
    put(ws, f"{layout.COL['tokens_per_month']}3", "Computed").font = SUBTITLE
    columns = layout.CLIENT_COLUMNS + (layout.NO_ADDIN_COLUMNS if f.udf else ())
    header_row(ws, layout.HEADER_ROW, [c.header for c in columns])
    ws.row_dimensions[layout.HEADER_ROW].height = 42
    widths(ws, {c.letter: c.width for c in columns})

    cell = ws.cell
    row = layout.FIRST_ROW - 1
    for i, client in enumerate(clients):
        row += 1
        values = client.model_dump()
        values["use_case"] = use_case_label(values["use_case"])
        values["client_type"] = client_type_label(values["client_type"])
        values["stored_plan"] = planned[i] if planned else None
        for key in ("client", "use_case", "client_type", "model", "notes", "hosting",
                    "stored_plan"):
            _text(ws, row, INDEX[key], values[key] or "", STYLES[key])
        for key in ("interactions_per_day", "monthly_revenue"):
            c = cell(row=row, column=INDEX[key], value=values[key])
            c.style = STYLES[key]
        for key, kind in (("input_tokens", "input"), ("output_tokens", "output")):
            typed = values[key]
            c = cell(row=row, column=INDEX[key],
                     value=typed if typed is not None else f.use_case_tokens(row, kind))
            c.style = STYLES[key] if typed is not None else "xm_lookup_number"
        _computed(ws, row, f)
    last = row + extra_rows
    for blank in range(row + 1, last + 1):
        for key in ("client", "use_case", "client_type", "model", "notes",
                    "interactions_per_day", "monthly_revenue", "hosting"):
            cell(row=blank, column=INDEX[key]).style = STYLES[key]
        for key, kind in (("input_tokens", "input"), ("output_tokens", "output")):
            c = cell(row=blank, column=INDEX[key], value=f.use_case_tokens(blank, kind))
            c.style = "xm_lookup_number"
        _computed(ws, blank, f)

    names = {**layout.CLIENT_RANGE_NAMES, **(layout.NO_ADDIN_RANGE_NAMES if f.udf else {})}
    for key, name in names.items():
        letter = layout.COL[key]
        define(wb, name, ws.title, f"${letter}${layout.FIRST_ROW}:${letter}${last}")
    _validation(ws, last)
    _highlights(ws, last)
    ws.freeze_panes = f"B{layout.FIRST_ROW}"
    ws.auto_filter.ref = f"A{layout.HEADER_ROW}:{LAST}{last}"
    # The output-token helper feeds the GPU server count, the stored plan the Plan sheet:
    # nobody needs to read them.
    hidden = [layout.COL["output_tokens_per_month"], layout.COL["stored_plan"],
              *(c.letter for c in columns if c not in layout.CLIENT_COLUMNS)]
    if not open_weight:
        hidden.append(layout.COL["open_weight_cost"])
    page.hide_columns(ws, hidden)
    _print(ws, max(row, layout.FIRST_ROW))
    return last


def _print(ws: Worksheet, last_client: int) -> None:
    """The clients (not the empty rows kept for new ones) on two pages across, the names on
    both: the inputs, then what each costs and earns."""
    ws.print_title_rows = f"{layout.HEADER_ROW}:{layout.HEADER_ROW}"
    ws.print_title_cols = "A:A"
    ws.print_area = f"A1:{LAST}{last_client}"
    page.fit_width(ws, pages_wide=2)


def use_case_label(key: str | None) -> str | None:
    """The article's label of a use-case key ('Customer support chatbot'); others unchanged."""
    found = next((c for c in USE_CASES if c.key == key), None)
    return found.label if found else key


def client_type_label(key: str | None) -> str | None:
    found = next((k for k in CLIENT_TYPES if k.key == key), None)
    return assumptions.client_type_label(found) if found else key


def _text(ws: Worksheet, row: int, column: int, value: str, style: str) -> None:
    """User text as a text cell, never a formula (see cells.write_text)."""
    c = ws.cell(row=row, column=column)
    c.style = style
    if value:
        write_text(c, value, f"{ws.title}!{c.coordinate}")


def _computed(ws: Worksheet, row: int, f: Formulas) -> None:
    cell = ws.cell
    for key, formula in (("tokens_per_month", f.tokens(row)), ("api_cost", f.api_cost(row)),
                         ("ft_cost", f.ft_share(row)),
                         ("api_margin", f.client_margin(row, "api_cost")),
                         ("ft_margin", f.client_margin(row, "ft_cost")),
                         ("status", f.status(row)),
                         ("output_tokens_per_month", f.output_tokens(row)),
                         ("open_weight_cost", f.open_weight_cost(row)),
                         *(f.no_addin_columns(row).items() if f.udf else ())):
        c = cell(row=row, column=INDEX[key], value=formula)
        c.style = STYLES[key]


def _validation(ws: Worksheet, last: int) -> None:
    first = layout.FIRST_ROW
    for key, source, what in (("model", layout.PRICE_MODELS, "a model from the Pricing sheet"),
                              ("use_case", layout.USE_CASE_KEYS, "a use case from Assumptions"),
                              ("client_type", layout.CLIENT_TYPE_KEYS,
                               "a client type from Assumptions")):
        dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True,
                            showErrorMessage=True, errorStyle="warning",
                            errorTitle="Not in the list", error=f"Pick {what}, or add it there.")
        dv.add(f"{layout.COL[key]}{first}:{layout.COL[key]}{last}")
        ws.add_data_validation(dv)
    hosting = DataValidation(type="list", formula1='"api,self,open_weight"', allow_blank=True,
                             showErrorMessage=True, errorStyle="warning",
                             errorTitle="Not a hosting choice",
                             error="api (stays on the API), self (must self-host), open_weight "
                                   "(the hosted open-weight model), or blank: the plan decides.")
    hosting.add(f"{layout.COL['hosting']}{first}:{layout.COL['hosting']}{last}")
    ws.add_data_validation(hosting)
    for key, low, message in (("interactions_per_day", 0, "Interactions per day: 0 or more."),
                              ("input_tokens", 0, "Tokens per interaction: 0 or more."),
                              ("output_tokens", 0, "Tokens per interaction: 0 or more."),
                              ("monthly_revenue", 0, "Monthly revenue: more than 0.")):
        operator = "greaterThan" if key == "monthly_revenue" else "greaterThanOrEqual"
        dv = DataValidation(type="decimal", operator=operator, formula1=str(low),
                            allow_blank=True, showErrorMessage=True, errorTitle="Check the number",
                            error=message)
        dv.add(f"{layout.COL[key]}{first}:{layout.COL[key]}{last}")
        ws.add_data_validation(dv)


def _highlights(ws: Worksheet, last: int) -> None:
    first = layout.FIRST_ROW
    s = layout.COL["status"]
    rows = f"A{first}:{layout.COL['status']}{last}"
    ws.conditional_formatting.add(rows, FormulaRule(
        formula=[f'${s}{first}="Underwater"'], fill=fill(RED_FILL),
        font=Font(color="9B1C1C", bold=True)))
    ws.conditional_formatting.add(rows, FormulaRule(
        formula=[f'${s}{first}="Below target"'], fill=fill(AMBER_FILL)))
    ws.conditional_formatting.add(f"{s}{first}:{s}{last}", FormulaRule(
        formula=[f'${s}{first}="OK"'], fill=fill(GREEN_FILL)))
    ws.conditional_formatting.add(f"{s}{first}:{s}{last}", FormulaRule(
        formula=[f'LEFT(${s}{first},1)="#"'], font=Font(color=MUTED, italic=True)))
