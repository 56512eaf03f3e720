"""The Assumptions sheet: multipliers, the self-hosted inputs, capacity and the GPU presets,
the hidden self-hosting costs, the hosted open-weight model, the margin target, the use-case
token table and the client types, each a named cell or range the formulas use."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin import article
from xlmargin.models import AgencySettings
from xlmargin.presets import CLIENT_TYPES, USE_CASES, ClientType
from xlmargin.sheets import layout, page
from xlmargin.sheets.cells import (
    MUTED,
    SUBTITLE,
    Formula,
    define,
    header_row,
    put,
    section,
    title,
    widths,
)

NAMED_HEADERS = ["Assumption", "Value", "Name", "", "Why, and the article's figure"]
NOTE_WIDTH = 62
MIDDLE = Alignment(vertical="center")

MULTIPLIER_ROWS = (
    ("system_prompt_tokens", "System prompt tokens per interaction", "xm_input_number",
     f"Sent with every call. The article: {article.SYSTEM_PROMPT_RANGE.text}; its example "
     f"uses {article.SYSTEM_PROMPT.text}."),
    ("context_multiplier", "Context multiplier", "xm_input_decimal",
     "Multi-turn chats resend the history (1 = single-turn). The article: "
     f"{article.CONTEXT_RANGE.text} for multi-turn chatbots; its example: "
     f"{article.CONTEXT_MULTIPLIER.text}."),
    ("retry_rate", "Retry rate", "xm_input_percent",
     "Calls retried after rate limits, timeouts, malformed output. The article: "
     f"{article.RETRY_RANGE.text} of calls; add {article.RETRY_RATE.text}."),
    ("power_user_multiplier", "Power-user multiplier", "xm_input_decimal",
     f"A few heavy users skew volume up. The article: {article.POWER_USER_SHARE.text} "
     "generate 50%+ of the tokens; its example: "
     f"{article.POWER_USER_MULTIPLIER.text}."),
    ("days", "Billing days per month", "xm_input_number",
     f"A calendar month. The article: {article.DAYS.text}."),
    ("cached_input_share", "Cached input share", "xm_input_percent",
     "Share of input tokens billed at the cache-read price. Not in the article: 0 = off."),
    ("embeddings_overhead", "Embeddings overhead", "xm_input_percent",
     "Embedding cost as a share of chat cost, on retrieval (RAG) clients only. The article: "
     f"{article.EMBEDDINGS_RANGE.text}. 0 = off."),
)
INFRA_ROWS = (
    ("seats", "Seats (team size)", "xm_input_number",
     "Fine-tuning platform seats: one per person on the team."),
    ("seat_usd", "Seat price / month", "xm_input_usd",
     f"The article: {article.SEAT_USD.text} a month."),
    ("gpu_server_usd", "GPU server / month", "xm_input_usd",
     f"A VPS with a GPU; the article: {article.GPU_SERVER_RANGE.text}. With a GPU chosen "
     "under capacity below, that GPU's price is used instead."),
    ("other_fixed_usd", "Other fixed costs / month", "xm_input_usd",
     f"Domains, SSL, monitoring; the article: {article.OTHER_FIXED_RANGES.text}."),
    ("per_client_usd", "Per-client cost / month", "xm_input_usd",
     f"Adapter storage, endpoint, domain; the article: {article.PER_CLIENT_RANGE.text}."),
    ("buffer", "Buffer", "xm_input_percent",
     "Added for retraining, monitoring, maintenance; the article's step 6: "
     f"{article.BUFFER.text}. 0 = off."),
)
BASE_NOTE = (f"Seats x seat price + one GPU server + other fixed (computed). The article: "
             f"{article.BASE_MONTHLY.text}.")

HIDDEN_ROWS = (
    ("labor_usd_per_hour", "Labor / hour", "xm_input_usd",
     "What an hour of your team's time costs (0 = labor not counted)."),
    ("gpu_usd_per_hour", "Retraining compute / hour", "xm_input_usd",
     "GPU rent per hour for retraining runs."),
    ("retraining_compute_minutes", "Retraining compute, minutes / client / quarter",
     "xm_input_number",
     f"The article: {article.RETRAINING_COMPUTE.text} per client per quarter."),
    ("retraining_labor_hours", "Retraining labor, hours / client / quarter", "xm_input_decimal",
     f"The article: {article.RETRAINING_LABOR.text} of data preparation per client per "
     "quarter."),
    ("setup_labor_hours", "Setup labor, hours / new client", "xm_input_decimal",
     f"The article: {article.SETUP_LABOR.text}."),
    ("setup_fee_usd", "Setup fee / new client", "xm_input_usd",
     f"What you charge once to recover it; the article: {article.SETUP_FEE.text}."),
)


def build(wb: Workbook, ws: Worksheet, settings: AgencySettings) -> None:
    title(ws, "Assumptions",
          "Yellow cells are inputs: change one and every sheet recalculates. "
          "Each value is a named cell (column C) the formulas refer to.")
    widths(ws, {"A": 40, "B": 17, "C": 21, "D": 13, "E": NOTE_WIDTH})
    row = 4
    section(ws, f"A{row}", "API usage: the hidden multipliers")
    row += 1
    header_row(ws, row, NAMED_HEADERS)
    values = settings.multipliers.model_dump()
    for field, label, style, note in MULTIPLIER_ROWS:
        row += 1
        _named_value(wb, ws, row, layout.MULTIPLIER_NAMES[field], label, values[field], style, note)

    row += 2
    section(ws, f"A{row}", "Self-hosted fine-tuned models")
    row += 1
    header_row(ws, row, NAMED_HEADERS)
    infra = settings.infra.model_dump()
    for field, label, style, note in INFRA_ROWS[:4]:
        row += 1
        _named_value(wb, ws, row, layout.INFRA_NAMES[field], label, infra[field], style, note)
    row += 1
    base = Formula(f"=Seats*SeatUSD+{layout.SERVER_USD}+OtherFixedUSD")
    _named_value(wb, ws, row, layout.BASE_MONTHLY, "Fixed base / month", base, "xm_usd",
                 BASE_NOTE)
    for field, label, style, note in INFRA_ROWS[4:]:
        row += 1
        _named_value(wb, ws, row, layout.INFRA_NAMES[field], label, infra[field], style, note)

    row = _capacity(wb, ws, row + 2, settings)
    row = _hidden_costs(wb, ws, row + 2, settings)

    row += 2
    section(ws, f"A{row}", "The third option: a hosted open-weight model")
    row += 1
    _named_value(wb, ws, row, layout.OPEN_WEIGHT_MODEL, "Hosted open-weight model",
                 settings.open_weight_model or "", "xm_input_text",
                 "An open-weight model on a per-token host, priced on the Pricing sheet "
                 "(e.g. llama-3.1-8b-instant). Blank: off. On, it gets a column on Clients and "
                 "a line on the Crossover chart when the workbook is made.")
    _dropdown(ws, f"B{row}", layout.PRICE_MODELS, "a model from the Pricing sheet")

    row += 2
    section(ws, f"A{row}", "Margin target")
    row += 1
    _named_value(wb, ws, row, layout.TARGET_MARGIN, "Target gross margin", settings.target_margin,
                 "xm_input_percent", "Clients below it are flagged on the Clients sheet; the "
                 "Summary gives the price that reaches it.")

    row += 2
    section(ws, f"A{row}", "Tokens per interaction by use case (the article's table)")
    row += 1
    header_row(ws, row, ["Use case", "Input tokens", "Output tokens", "In a CSV", "Source"])
    first = row + 1
    for case in USE_CASES:
        row += 1
        # The article's label is what the Clients dropdown offers and the formulas match.
        put(ws, f"A{row}", case.label, "xm_input_text")
        put(ws, f"B{row}", case.input_tokens, "xm_input_number")
        put(ws, f"C{row}", case.output_tokens, "xm_input_number")
        # Typed on Clients, the roster CSV's name finds the row as the label does.
        put(ws, f"D{row}", case.key).font = Font(name="Calibri", size=9, color=MUTED)
        _note(ws, f"E{row}", f"The article: {article.USE_CASE_ROWS[case.key].text} input/output "
            "tokens.")
    define(wb, layout.USE_CASE_KEYS, ws.title, f"$A${first}:$A${row}")
    define(wb, layout.USE_CASE_INPUT, ws.title, f"$B${first}:$B${row}")
    define(wb, layout.USE_CASE_OUTPUT, ws.title, f"$C${first}:$C${row}")
    define(wb, layout.USE_CASE_CSV_KEYS, ws.title, f"$D${first}:$D${row}")

    row += 2
    section(ws, f"A{row}", "Client types: interactions per day (the article's table)")
    row += 1
    header_row(ws, row, ["Client type", "Low", "High", "", "Source"])
    first = row + 1
    for kind in CLIENT_TYPES:
        row += 1
        put(ws, f"A{row}", client_type_label(kind), "xm_input_text")
        put(ws, f"B{row}", kind.low, "xm_input_number")
        put(ws, f"C{row}", kind.high, "xm_input_number")
        _note(ws, f"E{row}", f"The article: {kind.label}, "
            f"{article.CLIENT_TYPE_ROWS[kind.key].text} interactions a day. In a roster CSV: "
            f"{kind.key}.")
    define(wb, layout.CLIENT_TYPE_KEYS, ws.title, f"$A${first}:$A${row}")
    ws.freeze_panes = "A4"
    page.fit_width(ws)


def client_type_label(kind: ClientType) -> str:
    """'Mid-market': the article's client type without its head count, as Clients shows it."""
    return kind.label.split(" (")[0]


def _named_value(wb: Workbook, ws: Worksheet, row: int, name: str, label: str,
                 value: float | Formula, style: str, note: str) -> None:
    put(ws, f"A{row}", label).alignment = MIDDLE
    put(ws, f"B{row}", value, style)
    cell = put(ws, f"C{row}", name)
    cell.font, cell.alignment = Font(name="Calibri", size=9, color=MUTED), MIDDLE
    _note(ws, f"E{row}", note)
    define(wb, name, ws.title, f"$B${row}")


def _note(ws: Worksheet, coordinate: str, text: str) -> None:
    put(ws, coordinate, text)
    page.wrapped(ws, coordinate, NOTE_WIDTH)
    ws[coordinate].alignment = Alignment(wrap_text=True, vertical="center")


def _dropdown(ws: Worksheet, cell: str, source: str, what: str) -> None:
    dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True,
                        showErrorMessage=True, errorStyle="warning",
                        errorTitle="Not in the list", error=f"Pick {what}, or add it there.")
    dv.add(cell)
    ws.add_data_validation(dv)


def _capacity(wb: Workbook, ws: Worksheet, row: int, settings: AgencySettings) -> int:
    """The GPU choice, utilization and the preset table; returns the last row written."""
    section(ws, f"A{row}", "Self-hosted capacity: servers as the load needs them")
    row += 1
    header_row(ws, row, NAMED_HEADERS)
    row += 1
    _named_value(wb, ws, row, layout.GPU_NAME, "GPU", settings.gpu_name(
        settings.capacity.gpu) if settings.capacity.gpu else "", "xm_input_text",
        "A GPU from the table below: self-hosting then runs as many as the month's tokens "
        "need. Blank: one server at the GPU server price above, as the article.")
    gpu_cell = f"B{row}"
    row += 1
    _named_value(wb, ws, row, layout.UTILIZATION, "Planned utilization",
                 settings.capacity.utilization, "xm_input_percent",
                 "Average share of each server's month kept busy; the rest absorbs peak hours.")
    # The preset table's first row: below three computed values, a gap, a note and a header.
    first = row + 7
    last = first + len(settings.gpus) - 1
    lookup = f"MATCH({layout.GPU_NAME},$A${first}:$A${last},0)"
    for name, label, column, style, note in (
            (layout.SERVER_USD, "GPU server in use / month", "B", "xm_usd",
             "The chosen GPU's price, else the GPU server price above (computed)."),
            (layout.PREFILL_TPS, "Prefill tokens / s (input)", "C", "xm_whole",
             "The chosen GPU's batched input throughput (computed)."),
            (layout.DECODE_TPS, "Decode tokens / s (output)", "D", "xm_whole",
             "The chosen GPU's batched output throughput (computed).")):
        row += 1
        fallback = "GPUServerUSD" if name == layout.SERVER_USD else '""'
        value = Formula(f'=IF({layout.GPU_NAME}="",{fallback},IFERROR(INDEX(${column}${first}:'
                        f'${column}${last},{lookup}),"#unknown GPU"))')
        _named_value(wb, ws, row, name, label, value, style, note)
    _dropdown(ws, gpu_cell, layout.GPU_NAMES, "a GPU from the table")

    row += 2
    put(ws, f"A{row}", "GPU presets for a 7-8B model: batched planning throughput of one "
        "server, not one chat stream's speed; edit or add rows.").font = SUBTITLE
    row += 1
    header_row(ws, row, ["GPU", "Server $ / month", "Prefill tok/s", "Decode tok/s", "Source"])
    for name, gpu in settings.gpus.items():
        row += 1
        put(ws, f"A{row}", name, "xm_input_text")
        put(ws, f"B{row}", gpu.monthly_usd, "xm_input_usd")
        put(ws, f"C{row}", gpu.prefill_tps, "xm_input_number")
        put(ws, f"D{row}", gpu.decode_tps, "xm_input_number")
        _note(ws, f"E{row}", gpu.source)
    for name, column in ((layout.GPU_NAMES, "A"), (layout.GPU_MONTHLY, "B"),
                         (layout.GPU_PREFILL, "C"), (layout.GPU_DECODE, "D")):
        define(wb, name, ws.title, f"${column}${first}:${column}${last}")
    return row


def _hidden_costs(wb: Workbook, ws: Worksheet, row: int, settings: AgencySettings) -> int:
    section(ws, f"A{row}", "Hidden self-hosting costs: retraining and setup (0 = off)")
    row += 1
    header_row(ws, row, NAMED_HEADERS)
    values = settings.hidden_costs.model_dump()
    for field, label, style, note in HIDDEN_ROWS:
        row += 1
        _named_value(wb, ws, row, layout.HIDDEN_NAMES[field], label, values[field], style, note)
    row += 1
    _named_value(wb, ws, row, layout.RETRAINING_USD, "Retraining / client / month",
                 Formula("=(RetrainComputeMinutes/60*GpuUSDPerHour"
                         "+RetrainLaborHours*LaborUSDPerHour)/3"), "xm_usd",
                 "A quarter's compute and labor over 3; added to self-hosted COGS per client, "
                 "outside the buffer (computed).")
    row += 1
    _named_value(wb, ws, row, layout.SETUP_USD, "Setup labor / new client",
                 Formula("=SetupLaborHours*LaborUSDPerHour"), "xm_usd",
                 "Paid back by the setup fee, the rest by monthly margin: Summary (computed).")
    return row
