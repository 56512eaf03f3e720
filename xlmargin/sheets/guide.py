"""The Guide sheet: how to use the workbook, each function with an example, and the setup for
the xlwings functions."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import page
from xlmargin.sheets.cells import header_row, put, section, title, widths
from xlmargin.sheets.formulas import LITE, UDF

STEPS = (
    "1. Clients: one row per client. Type the name, pick a use case and a model from the "
    "dropdowns, type interactions per day and the monthly revenue. The blue columns compute.",
    "2. Input and output tokens come from the use case (Assumptions). Type a number over the "
    "formula when you have measured your own.",
    "3. Pricing: the source of truth for prices. Edit a price, or add a model in an empty row; "
    "every cost that uses it changes.",
    "4. Assumptions: the hidden multipliers (system prompt, multi-turn context, retries, power "
    "users), your team and GPU server, and the margin target.",
    "5. Summary: which clients are underwater, the price each needs to reach the target margin, "
    "and what self-hosting saves. Crossover: from how many clients self-hosting beats the API.",
    "6. Plan: each client on the API, self-hosted or the hosted open-weight model, wherever the "
    "month's COGS is lowest, the order to move them and the price for the target margin. Pin a "
    "client in the Hosting column of Clients (api, self, open_weight).",
    "7. Red rows are underwater (the API costs more than the client pays); amber rows are below "
    "the target margin; a status starting with # names an input to fix.",
    "8. From a terminal: `xlmargin report this-file.xlsx` recomputes every number in Python and "
    "lists any cell it could not read; `xlmargin plan this-file.xlsx` gives the plan.",
)

FUNCTIONS = (
    ("API_COST", '=API_COST("gpt-4o", 350, 250, 100)',
     "Monthly API cost of one client: model, input and output tokens per interaction, "
     "interactions per day; then optional multipliers and prices.", "53.21"),
    ("FT_COST", "=FT_COST(10, 133.5, 5, 0)",
     "Monthly cost of self-hosted fine-tuned models for a number of clients.", "183.50"),
    ("CROSSOVER", "=CROSSOVER(40)",
     "Smallest client count where self-hosting costs less than the API.", "4"),
    ("MARGIN", "=MARGIN(1500, 180)", "Gross margin: (revenue - cost) / revenue.", "88.0%"),
    ("PRICE_FOR_MARGIN", "=PRICE_FOR_MARGIN(180, 0.9)",
     "The monthly retainer that leaves the target margin over a cost.", "1,800.00"),
    ("MODEL_PRICE", '=MODEL_PRICE("gpt-4o", "output")',
     "Catalog price of a model, USD per 1M tokens: input, output or cache_read.", "10.00"),
    ("USE_CASE_TOKENS", '=USE_CASE_TOKENS("customer_support", "input")',
     "Tokens per interaction for a use case from the article's table.", "350"),
    ("GPU_SERVERS", "=GPU_SERVERS(5832000000, 1, 4500, 1000)",
     "GPU servers a month's tokens need: input / prefill speed + output / decode speed, over "
     "30 days at the planned utilization (0.5), rounded up.", "2"),
)

SETUP = (
    "The .xlsm workbook's computed cells call the xlmargin functions through xlwings "
    "(Windows desktop Excel). Once per computer:",
    "   pip install xlmargin          (in the Python environment Excel should use)",
    "   xlwings addin install         (only if you use the add-in instead of this workbook's "
    "own VBA module)",
    "Then in this workbook: the xlwings.conf sheet names the functions' module (UDF Modules = "
    "xlmargin.udfs) and the Python interpreter (Interpreter_Win: the python.exe or pythonw.exe "
    "of that environment).",
    "Open the workbook with macros enabled and press Import Functions on the xlwings tab (needs "
    "File > Options > Trust Center > Trust access to the VBA project object model). Until then "
    "the Clients and Crossover cells that call the functions show #NAME?; the Summary, Plan and "
    "Sensitivity sheets compute in built-in functions and hold without them.",
    "Excel on a Mac or the web: use the .xlsx from `xlmargin new AGENCY`, which computes with "
    "built-in functions and runs these functions through the free xlwings Lite add-in.",
)

NATIVE_SETUP = (
    "This .xlsx computes with built-in functions only: it needs nothing installed and opens in "
    "any Excel, LibreOffice or Google Sheets.",
    "To type the functions above into cells: the workbook from `xlmargin new AGENCY` carries "
    "them for the free xlwings Lite add-in (Excel on Windows, Mac and the web); the .xlsm from "
    "`xlmargin new AGENCY --formulas udf` runs them through classic xlwings on Windows with a "
    "local Python.",
)

LITE_SETUP = (
    "This workbook computes with built-in functions, and carries the functions above for the "
    "free xlwings Lite add-in (Excel on Windows, Mac and the web): the Functions sheet has the "
    "set-up in four steps and each function at work.",
    "The Python code is stored inside the workbook (main.py and requirements.txt, in the xlwings "
    "Lite editor); nothing needs to be installed but the add-in.",
    "On Windows with a local Python, the .xlsm from `xlmargin new AGENCY --formulas udf` runs "
    "the same functions through classic xlwings instead.",
)


TEXT_WIDTH = 20 + 44 + 70 + 12


def build(ws: Worksheet, mode: str) -> None:
    title(ws, "Guide", "How the workbook works, and the functions behind it.")
    widths(ws, {"A": 20, "B": 44, "C": 70, "D": 12})  # TEXT_WIDTH in all
    wrap = Alignment(wrap_text=True, vertical="top")
    section(ws, "A4", "How to use it")
    row = 4
    for step in STEPS:
        row += 1
        _line(ws, row, step)
    row += 2
    section(ws, f"A{row}", "The functions (category xlmargin)")
    row += 1
    header_row(ws, row, ["Function", "Example", "What it does", "Example gives"])
    for name, example, what, result in FUNCTIONS:
        row += 1
        put(ws, f"A{row}", name).alignment = wrap
        put(ws, f"B{row}", example).alignment = wrap  # text to copy, not a live formula
        put(ws, f"C{row}", what).alignment = wrap
        put(ws, f"D{row}", result).alignment = Alignment(horizontal="right", vertical="top")
        ws.row_dimensions[row].height = 28
    row += 2
    section(ws, f"A{row}", "Setting up the Python functions (xlwings)")
    for line in {UDF: SETUP, LITE: LITE_SETUP}.get(mode, NATIVE_SETUP):
        row += 1
        _line(ws, row, line)
    ws.print_area = f"A1:D{row}"
    page.fit_width(ws, one_page=True)


def _line(ws: Worksheet, row: int, text: str) -> None:
    """A line of text across the table's width, wrapped, so the page is as wide as the table."""
    put(ws, f"A{row}", text)
    ws.merge_cells(f"A{row}:D{row}")
    page.wrapped(ws, f"A{row}", TEXT_WIDTH)
