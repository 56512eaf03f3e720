"""Speed of the cost engine and the Excel functions against their targets.

Run from the repository root:

    .venv/bin/python benchmarks/bench_udfs.py

Measures, each as the median of repeated runs next to a baseline measured in the same run (these
machines are noisy, so ratios travel better than absolute figures):

1. one scalar ``API_COST`` call in-process (target: at most 20 us), against a bare Python
   function doing the same arithmetic; the same call through xlwings' Windows conversion code is
   shown for information;
2. ``API_COST`` over a 100,000-row column in one call (target: at most 100 ms), against plain
   numpy on preconverted arrays; the call through xlwings' conversion is shown for information;
3. ``xlmargin --help`` minus ``python -c pass`` (target: at most 0.3 s), and which heavy modules
   building the CLI parser imports.

Prints a Markdown table with PASS/FAIL per target; exits 1 if a target fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # xlwings_windows: xlwings' Windows UDF path on Linux

from xlmargin.excel import functions  # noqa: E402

SCALAR_ARGS = ("gpt-4o", 350.0, 250.0, 100.0)
# (350 + 1000) * k * 2.5 / 1e6 + 250 * k * 10 / 1e6 with k = 100 * 30 * 2.5 * 1.05 * 1.15
SCALAR_EXPECTED = 53.20546875
ROWS = 100_000
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "gemini-2.5-flash")
HEAVY_MODULES = ("pydantic", "genai_prices", "openpyxl", "numpy", "xlwings")
OMITTED_OPTIONALS = 10  # API_COST's optional arguments, passed by VBA as Missing when omitted

SCALAR_TARGET_S = 20e-6
COLUMN_TARGET_S = 100e-3
HELP_TARGET_S = 0.3


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    measurement: str
    median_s: float
    baseline: str = ""
    baseline_s: float | None = None
    target_s: float | None = None

    @property
    def verdict(self) -> str:
        if self.target_s is None:
            return "info"
        return "PASS" if self.median_s <= self.target_s else "FAIL"


def median_seconds(call: Callable[[], object], number: int, repeats: int) -> float:
    """Median over ``repeats`` runs of the time per call, each run averaging ``number`` calls.

    The garbage collector stays on: in Excel it runs too, and big ranges make it work.
    """
    samples: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def show(seconds: float) -> str:
    for unit, scale in (("us", 1e-6), ("ms", 1e-3)):
        if seconds < 1000 * scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


# --- 1. One scalar call ---------------------------------------------------------------------


def bare_api_cost(input_tokens: float, output_tokens: float, interactions_per_day: float) -> float:
    """The article's formula with its defaults and GPT-4o's prices, nothing else."""
    k = interactions_per_day * 30.0 * 2.5 * 1.05 * 1.15
    return (input_tokens + 1000.0) * k * 2.5 / 1e6 + output_tokens * k * 10.0 / 1e6


def scalar_rows(repeats: int) -> list[Row]:
    from xlwings_windows import MISSING, call_like_excel, load_udf_module

    load_udf_module("xlmargin.udfs")
    excel_args = (*SCALAR_ARGS, *[MISSING] * OMITTED_OPTIONALS)
    for got in (functions.API_COST(*SCALAR_ARGS), bare_api_cost(*SCALAR_ARGS[1:]),
                call_like_excel("xlmargin.udfs", "API_COST", *excel_args)):
        assert abs(got - SCALAR_EXPECTED) < 1e-9, got  # warm-up: the catalog is loaded

    bare = median_seconds(lambda: bare_api_cost(350.0, 250.0, 100.0), 20_000, repeats)
    python = median_seconds(lambda: functions.API_COST(*SCALAR_ARGS), 5_000, repeats)
    excel = median_seconds(lambda: call_like_excel("xlmargin.udfs", "API_COST", *excel_args),
                           1_000, repeats)
    return [
        Row("API_COST, one cell, in-process", python, "bare Python formula", bare,
            SCALAR_TARGET_S),
        Row("API_COST, one cell, through xlwings' conversion", excel, "API_COST in-process",
            python),
    ]


# --- 2. A 100,000-row column ----------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """A column of clients as xlwings delivers it with ndim=2: lists of one-cell rows."""

    model: list[list[object]]
    input_tokens: list[list[object]]
    output_tokens: list[list[object]]
    interactions_per_day: list[list[object]]

    def columns(self) -> tuple[list[list[object]], ...]:
        return self.model, self.input_tokens, self.output_tokens, self.interactions_per_day


def make_roster(rows: int, seed: int = 2) -> Roster:
    rng = random.Random(seed)
    return Roster(
        model=[[rng.choice(MODELS)] for _ in range(rows)],
        input_tokens=[[float(rng.randrange(100, 4000, 50))] for _ in range(rows)],
        output_tokens=[[float(rng.randrange(50, 2000, 50))] for _ in range(rows)],
        interactions_per_day=[[float(rng.randrange(5, 500))] for _ in range(rows)],
    )


def numpy_formula(input_tokens: np.ndarray, output_tokens: np.ndarray, interactions: np.ndarray,
                  input_price: np.ndarray, output_price: np.ndarray) -> np.ndarray:
    """The formula with the article's defaults on arrays that are already floats."""
    k = interactions * (30.0 * 2.5 * 1.05 * 1.15)
    return ((input_tokens + 1000.0) * k * input_price + output_tokens * k * output_price) / 1e6


def numpy_inputs(roster: Roster) -> tuple[np.ndarray, ...]:
    """The roster as float arrays, prices looked up per row: the baseline's preconversion."""
    catalog = functions.default_catalog()
    prices = {m: catalog.lookup(m) for m in MODELS}
    names = [row[0] for row in roster.model]
    return (
        np.array([row[0] for row in roster.input_tokens]),
        np.array([row[0] for row in roster.output_tokens]),
        np.array([row[0] for row in roster.interactions_per_day]),
        np.array([prices[n].input_usd_per_mtok for n in names]),
        np.array([prices[n].output_usd_per_mtok for n in names]),
    )


def column_rows(repeats: int, rows: int) -> list[Row]:
    from xlwings_windows import MISSING, ExcelRange, call_like_excel

    roster = make_roster(rows)
    arrays = numpy_inputs(roster)
    got = functions.API_COST(*roster.columns())
    assert len(got) == rows and np.allclose([r[0] for r in got], numpy_formula(*arrays))

    baseline = median_seconds(lambda: numpy_formula(*arrays), 10, repeats)
    python = median_seconds(lambda: functions.API_COST(*roster.columns()), 1, repeats)
    ranges = [ExcelRange(column) for column in roster.columns()]
    excel_args = (*ranges, *[MISSING] * OMITTED_OPTIONALS)
    excel = median_seconds(lambda: call_like_excel("xlmargin.udfs", "API_COST", *excel_args),
                           1, max(3, repeats // 3))
    return [
        Row(f"API_COST, {rows:,}-row column, in-process", python,
            "numpy on preconverted arrays", baseline, COLUMN_TARGET_S),
        Row(f"API_COST, {rows:,}-row column, through xlwings' conversion", excel,
            "API_COST in-process", python),
    ]


# --- 3. Starting the command line ------------------------------------------------------------


def wall_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def cli_command() -> list[str]:
    """The installed console script (the venv's Python runs it), else ``python -m xlmargin``."""
    script = Path(sysconfig.get_path("scripts")) / "xlmargin"
    if script.exists():
        return [str(script), "--help"]
    return [sys.executable, "-m", "xlmargin", "--help"]


def startup_rows(runs: int) -> list[Row]:
    bare_cmd, help_cmd = [sys.executable, "-c", "pass"], cli_command()
    for command in (bare_cmd, help_cmd):  # warm the file cache
        wall_seconds(command)
    bare: list[float] = []
    helped: list[float] = []
    for _ in range(runs):  # interleaved, so that a noisy moment hits both
        bare.append(wall_seconds(bare_cmd))
        helped.append(wall_seconds(help_cmd))
    bare_s, help_s = statistics.median(bare), statistics.median(helped)
    return [Row("`xlmargin --help` minus `python -c pass`", help_s - bare_s,
                "`python -c pass`", bare_s, HELP_TARGET_S)]


def heavy_imports() -> list[str]:
    """Heavy modules in sys.modules after building the CLI parser, in a fresh interpreter."""
    code = ("import sys, xlmargin.cli; xlmargin.cli.build_parser(); "
            f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return out.split()


# --- Report ---------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = ["| Measurement | Median | Baseline (same run) | Baseline median | Ratio | Target "
             "| Result |", "|---|---:|---|---:|---:|---:|---|"]
    for row in rows:
        base = show(row.baseline_s) if row.baseline_s is not None else ""
        ratio = f"{row.median_s / row.baseline_s:.1f}x" if row.baseline_s else ""
        target = f"<= {show(row.target_s)}" if row.target_s is not None else ""
        lines.append(f"| {row.measurement} | {show(row.median_s)} | {row.baseline} | {base} "
                     f"| {ratio} | {target} | {row.verdict} |")
    return "\n".join(lines)


def environment() -> str:
    return (f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"{platform.machine()} {platform.system()}, {len(os.sched_getaffinity(0))} CPUs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per figure (15)")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"column length ({ROWS:,})")
    args = parser.parse_args(argv)

    rows = [*scalar_rows(args.repeats), *column_rows(args.repeats, args.rows),
            *startup_rows(max(10, args.repeats))]
    print(table(rows))
    heavy = heavy_imports()
    print(f"\nHeavy modules imported by building the CLI parser: {', '.join(heavy) or 'none'}")
    print(f"Medians of {args.repeats} runs; {environment()}")
    return 1 if any(row.verdict == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
