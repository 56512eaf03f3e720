"""The Assumptions sheet: multipliers, the self-hosted inputs, the margin target, the use-case
token table and the client types, each a named cell or range the formulas use."""

from __future__ import annotations

from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.models import AgencySettings
from xlmargin.presets import CLIENT_TYPES, USE_CASES
from xlmargin.sheets import layout
from xlmargin.sheets.cells import (
    MUTED,
    Formula,
    define,
    header_row,
    landscape,
    put,
    section,
    title,
    widths,
)

MULTIPLIER_ROWS = (
    ("system_prompt_tokens", "System prompt tokens per interaction", "xm_input_number",
     "Sent with every call; the article's realistic prompt is 800-1,500."),
    ("context_multiplier", "Context multiplier", "xm_input_decimal",
     "Multi-turn conversations resend the history: 2-3x (1 = single-turn)."),
    ("retry_rate", "Retry rate", "xm_input_percent",
     "Share of calls retried (rate limits, timeouts, malformed output): 5-10%."),
    ("power_user_multiplier", "Power-user multiplier", "xm_input_decimal",
     "Heavy users skew usage up: 1.1-1.2x."),
    ("days", "Billing days per month", "xm_input_number", "30 for a calendar month."),
    ("cached_input_share", "Cached input share", "xm_input_percent",
     "Share of input tokens billed at the cache-read price (0 = no caching)."),
    ("embeddings_overhead", "Embeddings overhead", "xm_input_percent",
     "Embedding cost as a share of chat cost, for retrieval (RAG) workloads: 5-15%."),
)
INFRA_ROWS = (
    ("seats", "Seats (team size)", "xm_input_number", "Fine-tuning platform seats."),
    ("seat_usd", "Seat price / month", "xm_input_usd", "The article: $14.50 per seat."),
    ("gpu_server_usd", "GPU server / month", "xm_input_usd", "VPS with a GPU: $50-120."),
    ("other_fixed_usd", "Other fixed costs / month", "xm_input_usd",
     "Domains, SSL, monitoring."),
    ("per_client_usd", "Per-client cost / month", "xm_input_usd",
     "Adapter storage, endpoint, domain: $2-5 per client."),
    ("buffer", "Buffer", "xm_input_percent",
     "Added for retraining, monitoring, maintenance (the article: 20%)."),
)


def build(wb: Workbook, ws: Worksheet, settings: AgencySettings) -> None:
    title(ws, "Assumptions",
          "Yellow cells are inputs: change one and every sheet recalculates. "
          "Each value is a named cell (column C) the formulas refer to.")
    widths(ws, {"A": 36, "B": 14, "C": 22, "D": 70})
    row = 4
    section(ws, f"A{row}", "API usage: the hidden multipliers")
    row += 1
    header_row(ws, row, ["Assumption", "Value", "Name", "Why"])
    values = settings.multipliers.model_dump()
    for field, label, style, note in MULTIPLIER_ROWS:
        row += 1
        _named_value(wb, ws, row, layout.MULTIPLIER_NAMES[field], label, values[field], style, note)

    row += 2
    section(ws, f"A{row}", "Self-hosted fine-tuned models")
    row += 1
    header_row(ws, row, ["Assumption", "Value", "Name", "Why"])
    infra = settings.infra.model_dump()
    for field, label, style, note in INFRA_ROWS[:4]:
        row += 1
        _named_value(wb, ws, row, layout.INFRA_NAMES[field], label, infra[field], style, note)
    row += 1
    base = Formula("=Seats*SeatUSD+GPUServerUSD+OtherFixedUSD")
    _named_value(wb, ws, row, layout.BASE_MONTHLY, "Fixed base / month", base, "xm_usd",
                 "Seats x seat price + GPU server + other fixed (computed).")
    for field, label, style, note in INFRA_ROWS[4:]:
        row += 1
        _named_value(wb, ws, row, layout.INFRA_NAMES[field], label, infra[field], style, note)

    row += 2
    section(ws, f"A{row}", "Margin target")
    row += 1
    _named_value(wb, ws, row, layout.TARGET_MARGIN, "Target gross margin", settings.target_margin,
                 "xm_input_percent", "Clients below it are flagged on the Clients sheet.")

    row += 2
    section(ws, f"A{row}", "Tokens per interaction by use case (the article's table)")
    row += 1
    header_row(ws, row, ["Use case", "Input tokens", "Output tokens", "Description"])
    first = row + 1
    for case in USE_CASES:
        row += 1
        put(ws, f"A{row}", case.key, "xm_input_text")
        put(ws, f"B{row}", case.input_tokens, "xm_input_number")
        put(ws, f"C{row}", case.output_tokens, "xm_input_number")
        put(ws, f"D{row}", case.label)
    define(wb, layout.USE_CASE_KEYS, ws.title, f"$A${first}:$A${row}")
    define(wb, layout.USE_CASE_INPUT, ws.title, f"$B${first}:$B${row}")
    define(wb, layout.USE_CASE_OUTPUT, ws.title, f"$C${first}:$C${row}")

    row += 2
    section(ws, f"A{row}", "Client types: interactions per day (the article's table)")
    row += 1
    header_row(ws, row, ["Client type", "Low", "High", "Description"])
    first = row + 1
    for kind in CLIENT_TYPES:
        row += 1
        put(ws, f"A{row}", kind.key, "xm_input_text")
        put(ws, f"B{row}", kind.low, "xm_input_number")
        put(ws, f"C{row}", kind.high, "xm_input_number")
        put(ws, f"D{row}", kind.label)
    define(wb, layout.CLIENT_TYPE_KEYS, ws.title, f"$A${first}:$A${row}")
    ws.freeze_panes = "A4"
    landscape(ws, one_page=True)


def _named_value(wb: Workbook, ws: Worksheet, row: int, name: str, label: str,
                 value: float | Formula, style: str, note: str) -> None:
    put(ws, f"A{row}", label)
    put(ws, f"B{row}", value, style)
    put(ws, f"C{row}", name).font = Font(name="Calibri", size=9, color=MUTED)
    put(ws, f"D{row}", note)
    define(wb, name, ws.title, f"$B${row}")
