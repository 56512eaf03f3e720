"""The arrows point one way: the core never imports xlwings, openpyxl or the CLI, and starting
the CLI imports nothing heavy until a command needs it."""

from __future__ import annotations

import subprocess
import sys

CORE = ("xlmargin.calc", "xlmargin.catalog", "xlmargin.models", "xlmargin.excel.functions",
        "xlmargin.excel.ranges_numpy", "xlmargin.excel.ranges_pure", "xlmargin.presets",
        "xlmargin.price_file", "xlmargin.plan", "xlmargin.knapsack")


def imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    return set(result.stdout.split())


def test_core_imports_neither_xlwings_nor_openpyxl() -> None:
    loaded = imported_after("\n".join(f"import {m}" for m in CORE))
    assert not loaded & {"xlwings", "openpyxl"}
    assert "xlmargin.cli" not in loaded


def test_cli_start_imports_nothing_heavy() -> None:
    loaded = imported_after("from xlmargin.cli import build_parser\nbuild_parser()")
    assert not loaded & {"pydantic", "genai_prices", "openpyxl", "numpy", "xlwings", "httpx2"}


def test_excel_function_server_import_is_light() -> None:
    # What "Import Functions" and the UDF server load: no openpyxl, no genai-prices until a
    # model is first looked up.
    loaded = imported_after("import xlmargin.excel.functions")
    assert not loaded & {"openpyxl", "genai_prices", "pydantic"}


def test_the_first_excel_function_call_is_light() -> None:
    # xlwings Lite compiles every module it imports (no bytecode caches under Pyodide): the
    # first API_COST after a workbook opens must not pull in pydantic or genai-prices.
    loaded = imported_after("import xlmargin.excel.functions as f\n"
                            "assert round(f.API_COST('gpt-4o', 350, 250, 100), 2) == 53.21\n"
                            "assert f.MODEL_PRICE('gpt-4o', 'output') == 10\n"
                            "assert f.API_COST([['gpt-4o'], [None]], 350, 250, 100)[1] == ['']")
    assert not loaded & {"pydantic", "genai_prices", "openpyxl"}  # numpy: ranges use it
