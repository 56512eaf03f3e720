"""What xlwings Lite does with a workbook's main.py, run the same way in Pyodide and in CPython.

Lite imports the workbook's ``main.py`` as the module ``main``, asks xlwings for the functions'
metadata (``custom_functions_meta``) to register them with Excel, and answers each cell's call
with ``custom_functions_call``. This file does exactly that for a job (JSON: the main.py texts
and the calls, each argument already in the shape Office.js sends) and returns JSON-able
results. ``run.mjs`` runs it inside Pyodide; ``python payload.py JOB OUT`` runs it in CPython,
so the tests compare the two answer for answer.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

# Before xlwings is imported (inside run()): this is what makes xlwings.func the Lite/Server
# implementation.
os.environ["XLWINGS_ON_SERVER"] = "true"
# xlwings' Office.js code sits in its `pro` package, which asks for a key; "noncommercial" is
# what xlwings Server's browser mode sets. What the Lite add-in sets is not documented.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
if sys.platform != "emscripten":
    # xlwings imports pyodide.ffi.JsNull once per cell it reads, to tell Pyodide's null from a
    # value; outside Pyodide each failing import searches sys.path again (20 s for a
    # 100,000-row column). A JsNull nothing is an instance of answers the same, at once.
    ffi = ModuleType("pyodide.ffi")
    ffi.JsNull = type("JsNull", (), {})  # type: ignore[attr-defined]
    sys.modules.setdefault("pyodide", ModuleType("pyodide"))
    sys.modules.setdefault("pyodide.ffi", ffi)

# Modules whose presence tells which path ran: Pyodide must do without them.
WATCHED = ("numpy", "pyarrow", "openpyxl", "pandas")


def load_main(text: str) -> ModuleType:
    """``text`` imported as the module ``main`` from a file, as Lite imports the workbook's."""
    folder = Path(tempfile.mkdtemp(prefix="lite-"))
    path = folder / "main.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("main", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    return module


def call_data(name: str, args: list[Any], version: str) -> dict[str, Any]:
    """The request Lite builds for one cell's call (omitted arguments travel as null)."""
    return {"func_name": name, "args": args, "version": version, "client": "Office.js",
            "runtime": "1.4", "caller_address": "Sheet1!A1", "culture_info_name": "en-US",
            "date_format": "M/d/yyyy"}


async def answer(data: dict[str, Any], module: ModuleType) -> dict[str, Any]:
    from xlwings.server import custom_functions_call

    try:
        return {"value": await custom_functions_call(data, module)}
    except Exception as error:  # the tests want to see it, not lose the other answers
        return {"raised": f"{type(error).__name__}: {error}"}


def black_keeps(text: str) -> bool | None:
    """Whether black (which Lite's Format button runs) leaves ``text`` as it is."""
    try:
        import black
    except ImportError:
        return None
    return black.format_str(text, mode=black.Mode()) == text


async def run(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    import xlwings
    from xlwings.server import custom_functions_meta

    out: dict[str, Any] = {
        "xlwings": xlwings.__version__,
        "func": f"{xlwings.func.__module__}.{xlwings.func.__qualname__}",
        "platform": sys.platform,
        "python": sys.version.split()[0],
        "programs": {},
    }
    for program in job["programs"]:
        module = load_main(program["main_py"])
        meta = custom_functions_meta(module)
        answers, seconds = [], []
        for call in program["calls"]:
            since = time.perf_counter()
            answers.append(await answer(call_data(call["func"], call["args"],
                                                  xlwings.__version__), module))
            seconds.append(time.perf_counter() - since)
        out["programs"][program["label"]] = {
            "meta": meta, "answers": answers, "seconds": seconds,
            "black_keeps": black_keeps(program["main_py"])}
    out["imported"] = sorted(name for name in WATCHED if name in sys.modules)
    out["importable"] = sorted(name for name in WATCHED if importlib.util.find_spec(name))
    out["payload_s"] = time.perf_counter() - started
    return out


if __name__ == "__main__":
    job_path, out_path = sys.argv[1:3]
    result = asyncio.run(run(json.loads(Path(job_path).read_text(encoding="utf-8"))))
    Path(out_path).write_text(json.dumps(result), encoding="utf-8")
