"""The Functions sheet of the xlwings Lite workbook: each xlmargin function typed into a cell,
with what it should answer beside it, and the Lite set-up in plain words.

The function cells are written the way Excel stores a call to an add-in's custom function in a
file (``_xldudf_`` before the name, seen in workbooks Excel saved with add-in functions), so
they bind to the functions xlwings Lite registers from the workbook's ``main.py``. Nothing else
in the workbook depends on them: every other sheet computes with built-in functions, so the
numbers are there before (and without) the add-in.
"""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from xlmargin.sheets import layout
from xlmargin.sheets.cells import Formula, header_row, landscape, put, section, title, widths
from xlmargin.sheets.guide import FUNCTIONS

# Excel's prefix for a custom function of an Office add-in inside a formula stored in a file.
ADDIN_FUNCTION = "_xldudf_"

SETUP = (
    "1. Install the free xlwings Lite add-in once: Home > Add-ins, search for xlwings Lite, "
    "Add (Excel on Windows, Mac, or the web).",
    "2. Open this workbook and click xlwings Lite on the Home tab. The first time, it installs "
    "xlmargin from the workbook's requirements.txt (a few seconds), then runs main.py, which "
    "registers the functions below.",
    "3. The Answer column then computes. If a cell still shows #NAME?, select it, press F2 and "
    "Enter (or Ctrl+Alt+F9 to recalculate everything).",
    "4. Type the functions in any cell, like =API_COST(\"gpt-4o\", 350, 250, 100), or point "
    "them at cells: =API_COST(E5, F5, G5, D5) on the Clients sheet.",
    "Every other sheet computes with Excel's built-in functions, so its numbers are right even "
    "before the add-in starts, and in any spreadsheet program.",
    "Prices: the functions use the price catalog bundled with xlmargin. To use your own "
    "(negotiated) prices, pass them as API_COST's input_price and output_price arguments, for "
    "example from the Pricing sheet, as the last row of the table shows.",
)


def _live(example: str) -> Formula:
    """The example as a formula calling the add-in's function."""
    return Formula("=" + ADDIN_FUNCTION + example.lstrip("="))


def build(ws: Worksheet) -> None:
    title(ws, "Functions", "xlmargin's Excel functions, running in Python inside Excel "
                           "through xlwings Lite.")
    widths(ws, {"A": 20, "B": 50, "C": 14, "D": 14, "E": 60})
    wrap = Alignment(wrap_text=True, vertical="top")
    section(ws, "A4", "Setting up")
    row = 4
    for line in SETUP:
        row += 1
        put(ws, f"A{row}", line)
    row += 2
    section(ws, f"A{row}", "The functions at work")
    row += 1
    header_row(ws, row, ["Function", "Typed in the Answer cell", "Answer", "Should show",
                         "What it does"])
    for name, example, what, result in FUNCTIONS:
        row += 1
        put(ws, f"A{row}", name).alignment = wrap
        put(ws, f"B{row}", example).alignment = wrap  # the text, to copy
        put(ws, f"C{row}", _live(example), "xm_text")
        put(ws, f"D{row}", result).alignment = Alignment(horizontal="right", vertical="top")
        put(ws, f"E{row}", what).alignment = wrap
        ws.row_dimensions[row].height = 28
    row += 1
    first = layout.FIRST_ROW
    c = {key: f"{layout.CLIENTS}!${letter}${first}" for key, letter in layout.COL.items()}
    match = f"MATCH({c['model']},{layout.PRICE_MODELS},0)"
    own_prices = (f"=API_COST({c['model']},{c['input_tokens']},{c['output_tokens']},"
                  f"{c['interactions_per_day']},SystemPromptTokens,ContextMultiplier,RetryRate,"
                  f"PowerUserMultiplier,DaysPerMonth,INDEX({layout.PRICE_INPUT},{match}),"
                  f"INDEX({layout.PRICE_OUTPUT},{match}),CachedInputShare,"
                  f"INDEX({layout.PRICE_CACHE},{match}),EmbeddingsOverhead)")
    put(ws, f"A{row}", "API_COST").alignment = wrap
    put(ws, f"B{row}", own_prices).alignment = wrap
    put(ws, f"C{row}", _live(own_prices), "xm_text")
    put(ws, f"D{row}", Formula(f"={c['api_cost']}"), "xm_usd")
    put(ws, f"E{row}", "The first client on the Clients sheet, priced from the Pricing sheet "
                       "and the Assumptions: the same as its API cost / month (Should show "
                       "reads it from there).").alignment = wrap
    ws.row_dimensions[row].height = 100
    landscape(ws, one_page=True)
