"""xlwings Lite's first impression: start-up and the first API_COST under Pyodide, against CPython.

Run from the repository root (needs node and npm; downloads are cached like the tests'):

    .venv/bin/python benchmarks/bench_lite.py --repeats 5

Each repetition, interleaved, in fresh interpreters:

1. Pyodide as Lite runs it (tests/pyodide/run.mjs: Pyodide offline, xlmargin installed by
   micropip from the lines of ``requirements_txt()``, no .pyc files, no numpy): import what
   Lite's main.py imports (xlwings, ``xlwings.server``, then main.py itself, which imports
   xlmargin's functions), ``custom_functions_meta`` (Lite registering the functions), then the
   FIRST ``API_COST`` through ``custom_functions_call``. Then warm calls, each timed.
2. The same code in a fresh CPython process (this venv, XLWINGS_ON_SERVER=true, .pyc files as
   pip leaves them): the baseline. The target is Pyodide at most 3x CPython.
3. For the breakdown, not the target: CPython with numpy blocked (xlwings imports numpy where
   it is installed; Pyodide has none), Pyodide with site-packages compiled to .pyc first (what
   compiling the .py files costs), and CPython with an empty pycache (``-X pycache_prefix``).

A last run of each with Python's import profiler (``PYTHONPROFILEIMPORTTIME``) attributes the
import time to packages. Prints Markdown tables; exits 1 if the target fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

TARGET_RATIO = 3.0
BEGIN, END = "BENCH-IMPORTS-BEGIN", "BENCH-IMPORTS-END"
ROOT = Path(__file__).resolve().parent.parent
FIRST = ("gpt-4o", 350, 250, 100)  # the README's API_COST example


# --- Measured in the interpreter under test (Pyodide or CPython) ---------------------------------


def _mark(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


async def run(job: dict[str, Any]) -> dict[str, Any]:
    """Import, register and call once, as Lite does on start; then warm calls."""
    import payload  # tests/pyodide/payload.py, beside this file in the job's folder

    compile_s = None
    if job.get("precompile"):
        import compileall
        import sysconfig

        since = time.perf_counter()
        compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1)
        compile_s = time.perf_counter() - since
    if job.get("block_numpy"):  # CPython doing the work Pyodide does: xlwings without numpy
        sys.modules["numpy"] = None  # type: ignore[assignment]
    _mark(BEGIN)
    t0 = time.perf_counter()
    import xlwings
    from xlwings import func  # noqa: F401  (what main.py imports)
    from xlwings.server import custom_functions_call, custom_functions_meta

    t1 = time.perf_counter()
    module = payload.load_main(job["main_py"])
    t2 = time.perf_counter()
    custom_functions_meta(module)
    t3 = time.perf_counter()
    data = payload.call_data("API_COST", job["args"], xlwings.__version__)
    first = await custom_functions_call(data, module)
    t4 = time.perf_counter()
    _mark(END)
    warm = []
    for _ in range(job["warm_calls"]):
        since = time.perf_counter()
        await custom_functions_call(data, module)
        warm.append(time.perf_counter() - since)
    return {"xlwings_s": t1 - t0, "main_s": t2 - t1, "meta_s": t3 - t2, "first_call_s": t4 - t3,
            "start_s": t4 - t0, "first": first, "warm_s": warm, "compile_s": compile_s,
            "numpy": "numpy" in sys.modules, "platform": sys.platform}


# --- The driver (CPython) -----------------------------------------------------------------------


def _median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f} ms" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def _import_profile(stderr: str) -> dict[str, float]:
    """Self import time (s) per top-level package, between the BEGIN and END marks."""
    lines = stderr.splitlines()
    try:
        window = lines[lines.index(BEGIN) + 1:lines.index(END)]
    except ValueError:
        return {}
    totals: dict[str, float] = {}
    for line in window:
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            top = m.group(2).split(".")[0]
            totals[top] = totals.get(top, 0.0) + int(m.group(1)) / 1e6
    return totals


class Bench:
    def __init__(self, warm_calls: int) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        import shutil
        import tempfile

        import pyodide_env as env

        from xlmargin.excel.lite import main_py, requirements_txt

        self.env = env
        self.node = shutil.which("node") or sys.exit("bench_lite needs node and npm")
        wheels = [w for w in env.emscripten_wheels().glob("*.whl")
                  if not w.name.startswith("micropip-")]
        self.folder = Path(tempfile.mkdtemp(prefix="bench-lite-"))
        self.index = env.LocalIndex([*wheels, env.xlmargin_wheel(self.folder)])
        for source in (env.HARNESS / "payload.py", Path(__file__)):
            shutil.copy(source, self.folder / source.name)
        self.lines = env.requirement_lines(requirements_txt())
        self.job = {"main_py": main_py(), "warm_calls": warm_calls,
                    "args": [[[a]] for a in FIRST] + [None] * 10}

    def pyodide(self, *, precompile: bool = False, profile: bool = False) -> dict[str, Any]:
        result = self.env.run_pyodide(
            self.node, index_url=self.index.url, module="bench_lite",
            installs=[{"label": "requirements.txt", "lines": self.lines}],
            module_input={**self.job, "precompile": precompile}, module_dir=self.folder,
            env={"PYTHONPROFILEIMPORTTIME": "1"} if profile else None)
        if "error" in result:
            raise RuntimeError(f"Pyodide run failed: {result['error']}\n{result['stderr']}")
        out = result["run"]
        out["pyodide_start_s"] = result["timings_ms"]["start"] / 1e3
        out["install_s"] = result["timings_ms"]["install:requirements.txt"] / 1e3
        out["imports"] = _import_profile(result["stderr"]) if profile else {}
        return out

    def cpython(self, *, empty_pycache: bool = False, block_numpy: bool = False,
                profile: bool = False) -> dict[str, Any]:
        import subprocess
        import tempfile

        env = {k: v for k, v in os.environ.items() if not k.startswith(("XLMARGIN_", "XLWINGS_"))}
        env["XLWINGS_ON_SERVER"] = "true"
        with tempfile.TemporaryDirectory() as tmp:
            job, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
            job.write_text(json.dumps({**self.job, "block_numpy": block_numpy}),
                           encoding="utf-8")
            flags = ["-X", f"pycache_prefix={tmp}/pycache"] if empty_pycache else []
            flags += ["-X", "importtime"] if profile else []
            done = subprocess.run([sys.executable, *flags, str(self.folder / "bench_lite.py"),
                                   "--child", str(job), str(out)],
                                  env=env, cwd=tmp, capture_output=True, text=True, check=True)
            result = json.loads(out.read_text(encoding="utf-8"))
        result["imports"] = _import_profile(done.stderr) if profile else {}
        return result


def _table(rows: list[tuple[str, ...]]) -> str:
    head = ("Measurement", "Pyodide (median)", "CPython (median)", "Ratio", "Target", "Result")
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(runs: dict[str, list[dict[str, Any]]], profile: dict[str, dict[str, Any]]) -> bool:
    def med(kind: str, key: str) -> float:
        return _median([r[key] for r in runs[kind]])

    def warm(kind: str) -> float:
        return _median([_median(r["warm_s"]) for r in runs[kind]])

    def ours(kind: str) -> float:
        # What xlmargin adds to a Lite start: the add-in has imported xlwings before it loads
        # a workbook's main.py, whatever the workbook holds.
        return _median([r["main_s"] + r["meta_s"] + r["first_call_s"] for r in runs[kind]])

    ratio = ours("pyodide") / ours("cpython")
    passed = ratio <= TARGET_RATIO
    start = med("pyodide", "start_s") / med("cpython", "start_s")
    rows = [("Import main.py + register + first API_COST (what xlmargin adds)",
             _fmt(ours("pyodide")), _fmt(ours("cpython")), f"{ratio:.1f}x",
             f"<= {TARGET_RATIO:g}x", "PASS" if passed else "FAIL"),
            ("Lite's whole start: the same after importing xlwings",
             _fmt(med("pyodide", "start_s")), _fmt(med("cpython", "start_s")), f"{start:.1f}x",
             "", "info")]
    for key, label in (("xlwings_s", "import xlwings, xlwings.server"),
                       ("main_s", "import main.py (xlmargin's functions)"),
                       ("meta_s", "custom_functions_meta"),
                       ("first_call_s", "first API_COST (loads the catalog)")):
        p, c = med("pyodide", key), med("cpython", key)
        rows.append((f"- {label}", _fmt(p), _fmt(c), f"{p / c:.1f}x", "", "info"))
    rows.append(("Warm API_COST through custom_functions_call, per call", _fmt(warm("pyodide")),
                 _fmt(warm("cpython")), f"{warm('pyodide') / warm('cpython'):.1f}x", "", "info"))
    p, c = med("pyodide", "start_s"), med("cpython_nonumpy", "start_s")
    rows.append(("Start, CPython with numpy blocked (the work Pyodide does)", _fmt(p), _fmt(c),
                 f"{p / c:.1f}x", "", "info"))
    p, c = med("pyodide_pyc", "start_s"), med("cpython_nopyc", "start_s")
    rows.append(("Start, Pyodide with site-packages compiled to .pyc first / CPython with an "
                 "empty pycache", _fmt(p), _fmt(c), "", "", "info"))
    print(_table(rows))
    print()
    print(f"Pyodide itself: start {_fmt(med('pyodide', 'pyodide_start_s'))}, micropip install "
          f"from requirements.txt {_fmt(med('pyodide', 'install_s'))}; compiling site-packages "
          f"to .pyc {_fmt(med('pyodide_pyc', 'compile_s'))}. Medians of "
          f"{len(runs['pyodide'])} runs; numpy loaded: Pyodide "
          f"{runs['pyodide'][0]['numpy']}, CPython {runs['cpython'][0]['numpy']}.")
    print()
    print("Self import time by package during the start (one profiled run each):")
    print()
    print("| Package | Pyodide | Pyodide, .pyc compiled first | CPython |\n|---|---:|---:|---:|")
    pyo, pyc, cpy = (profile[k]["imports"] for k in ("pyodide", "pyodide_pyc", "cpython"))
    for name in sorted(pyo, key=lambda n: -pyo[n])[:12]:
        print(f"| {name} | {_fmt(pyo[name])} | {_fmt(pyc.get(name, 0.0))} | "
              f"{_fmt(cpy.get(name, 0.0))} |")
    print(f"| (all) | {_fmt(sum(pyo.values()))} | {_fmt(sum(pyc.values()))} | "
          f"{_fmt(sum(cpy.values()))} |")
    return passed


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warm-calls", type=int, default=200)
    args = parser.parse_args()
    bench = Bench(args.warm_calls)
    runs: dict[str, list[dict[str, Any]]] = {
        "pyodide": [], "cpython": [], "cpython_nonumpy": [], "pyodide_pyc": [],
        "cpython_nopyc": []}
    with bench.index.serving():
        for _ in range(args.repeats):
            runs["pyodide"].append(bench.pyodide())
            runs["cpython"].append(bench.cpython())
            runs["cpython_nonumpy"].append(bench.cpython(block_numpy=True))
            runs["pyodide_pyc"].append(bench.pyodide(precompile=True))
            runs["cpython_nopyc"].append(bench.cpython(empty_pycache=True))
        profile = {"pyodide": bench.pyodide(profile=True),
                   "pyodide_pyc": bench.pyodide(precompile=True, profile=True),
                   "cpython": bench.cpython(profile=True)}
    firsts = {json.dumps(r["first"]) for kind in runs for r in runs[kind]}
    if len(firsts) != 1:
        sys.exit(f"the first API_COST differed between runs: {sorted(firsts)}")
    print(f"First API_COST answered {firsts.pop()} everywhere.\n")
    return 0 if report(runs, profile) else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:  # one CPython measurement, in its own process
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        job_path, out_path = sys.argv[2:4]
        result = asyncio.run(run(json.loads(Path(job_path).read_text(encoding="utf-8"))))
        Path(out_path).write_text(json.dumps(result), encoding="utf-8")
    else:
        sys.exit(main())
