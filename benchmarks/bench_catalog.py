"""The Excel functions' first call, priced from the catalog's index against genai-prices.

Run from the repository root:

    .venv/bin/python benchmarks/bench_catalog.py

Each figure is the median over fresh interpreters of ``import xlmargin.excel.functions`` plus
the first call, timed inside the child (interpreter start-up excluded), for:

- ``API_COST("gpt-4o", 350, 250, 100)`` and ``MODEL_PRICE("gpt4oo")`` (an unknown name: the
  lookup fails and "did you mean" is computed);
- three ways of pricing: *genai-prices*, the catalog forced onto genai-prices' own snapshot
  (what every lookup did before the index; the benchmark patches ``catalog._bundled``);
  *index*, the product as it is; *index, no pydantic*, the catalog's ``listed`` in place of
  ``lookup`` (the benchmark patches it), i.e. no ModelPrice built, as the Excel functions would
  run if they read ``Catalog.listed``;
- with the usual bytecode caches, and with none (``-B`` and an empty ``PYTHONPYCACHEPREFIX``:
  every module is compiled on import, as Pyodide, hence xlwings Lite, does for installed
  packages; the standard library is compiled too here, which Pyodide ships compiled).

The runs of the three ways alternate, so a noisy moment hits each. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """\
import time
started = time.perf_counter()
import json, sys
mode, call = sys.argv[1], sys.argv[2]
import xlmargin.excel.functions as f
if mode == "genai-prices":
    import xlmargin.catalog as catalog
    catalog._bundled = catalog.from_snapshot
elif mode == "index, no pydantic":
    from xlmargin.catalog import Catalog
    Catalog.lookup = Catalog.listed
imported = time.perf_counter()
result = f.API_COST("gpt-4o", 350, 250, 100) if call == "API_COST" else f.MODEL_PRICE("gpt4oo")
done = time.perf_counter()
print(json.dumps({"import": imported - started, "call": done - imported, "result": result,
                  "loaded": [m for m in ("genai_prices", "pydantic") if m in sys.modules]}))
"""

MODES = ("genai-prices", "index", "index, no pydantic")
CALLS = ("API_COST", "MODEL_PRICE")
CALL_TEXT = {"API_COST": '`API_COST("gpt-4o", 350, 250, 100)`',
             "MODEL_PRICE": '`MODEL_PRICE("gpt4oo")` (unknown)'}


def child(mode: str, call: str, cached: bool) -> dict[str, object]:
    env = dict(os.environ)
    env.pop("XLMARGIN_PRICES", None)
    command = [sys.executable, "-c", CHILD, mode, call]
    with tempfile.TemporaryDirectory() as empty:
        if not cached:
            env["PYTHONPYCACHEPREFIX"] = empty
            command.insert(1, "-B")
        out = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout
    return json.loads(out)


def measure(call: str, cached: bool, runs: int) -> dict[str, list[dict[str, object]]]:
    samples: dict[str, list[dict[str, object]]] = {mode: [] for mode in MODES}
    for mode in MODES:  # warm the file cache (and, when cached, the bytecode caches)
        child(mode, call, cached)
    for _ in range(runs):
        for mode in MODES:
            samples[mode].append(child(mode, call, cached))
    results = {json.dumps(s["result"]) for runs_ in samples.values() for s in runs_}
    assert len(results) == 1, f"the three ways answered differently: {results}"
    return samples


def median_ms(samples: list[dict[str, object]], *keys: str) -> float:
    return 1000 * statistics.median(sum(float(s[k]) for k in keys) for s in samples)  # type: ignore[arg-type]


def table(figures: list[tuple[str, str, dict[str, list[dict[str, object]]]]]) -> str:
    lines = ["| First call | Bytecode | Pricing | import | call | import + call "
             "| vs genai-prices | Loaded by the call |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for call, cache, samples in figures:
        before = median_ms(samples["genai-prices"], "import", "call")
        for mode in MODES:
            total = median_ms(samples[mode], "import", "call")
            loaded = ", ".join(samples[mode][0]["loaded"]) or "neither"  # type: ignore[arg-type]
            lines.append(f"| {CALL_TEXT[call]} | {cache} | {mode} "
                         f"| {median_ms(samples[mode], 'import'):.0f} ms "
                         f"| {median_ms(samples[mode], 'call'):.0f} ms | {total:.0f} ms "
                         f"| {total / before:.2f}x | {loaded} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per figure (9)")
    parser.add_argument("--no-uncached", action="store_true",
                        help="skip the runs without bytecode caches (the slow half)")
    args = parser.parse_args(argv)
    figures = []
    for cached in (True, False) if not args.no_uncached else (True,):
        for call in CALLS:
            cache = "cached" if cached else "none"
            figures.append((call, cache, measure(call, cached, args.runs)))
    print(table(figures))
    print(f"\nMedians of {args.runs} fresh processes each; Python {platform.python_version()}, "
          f"{platform.machine()} {platform.system()}, {len(os.sched_getaffinity(0))} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
