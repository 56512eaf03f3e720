"""Benchmark `xlmargin sensitivity` on a 10,000-client roster (target: at most 5 s here).

    .venv/bin/python benchmarks/bench_sensitivity.py [--clients 10000] [--runs 7]

- the command on the roster CSV, in a new process with its JSON printed (the target), against
  `xlmargin report --json` on the same file in the same run (the same reading and pricing);
- the analysis alone, in process, on the already priced clients;
- the command on the workbook `xlmargin new` makes from that roster (information).

Prints a Markdown table and exits 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench_workbook import write_roster  # the issue-3 benchmark's roster: 5 models, 5 use cases

TARGET_S = 5.0
AS_OF = "2026-11-01"
XLMARGIN = str(Path(sys.executable).with_name("xlmargin"))


def command(*argv: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([XLMARGIN, *argv], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"xlmargin {' '.join(argv)} failed: {done.stderr}")
    json.loads(done.stdout)
    return elapsed


def in_process(roster: Path, runs: int) -> float:
    """Median time of ``analyse`` alone on the priced roster."""
    from xlmargin.catalog import Catalog
    from xlmargin.models import AgencySettings
    from xlmargin.roster import preset_use_cases, price_roster, read_roster
    from xlmargin.sensitivity import RETRIEVAL_USE_CASES, analyse, is_retrieval

    catalog = Catalog(as_of=date.fromisoformat(AS_OF))
    clients = read_roster(roster, catalog)
    prices = {c.model.lower(): catalog.lookup(c.model) for c in clients}
    priced = price_roster(clients, prices, preset_use_cases())
    retrieval = [is_retrieval(c.use_case, RETRIEVAL_USE_CASES) for c in clients]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        analyse(priced, retrieval, AgencySettings())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-sensitivity-"))
    roster = folder / "roster.csv"
    write_roster(roster, args.clients)
    book = folder / "agency.xlsx"
    made = subprocess.run([XLMARGIN, "new", "Bench", "--roster", str(roster), "--formulas",
                           "native", "-o", str(book), "--as-of", AS_OF],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(made.stderr)

    ours, report, workbook = [], [], []
    for _ in range(args.runs):  # interleaved, so both see the same machine
        ours.append(command("sensitivity", str(roster), "--as-of", AS_OF, "--json"))
        report.append(command("report", str(roster), "--as-of", AS_OF, "--json"))
    for _ in range(max(3, args.runs // 2)):
        workbook.append(command("sensitivity", str(book), "--json"))
    analysis = in_process(roster, args.runs)
    median = statistics.median(ours)
    met = median <= TARGET_S
    print(f"{args.clients:,} clients, {args.runs} runs, Python {sys.version.split()[0]}\n")
    print("| | median | target |")
    print("|---|---|---|")
    print(f"| `xlmargin sensitivity ROSTER.csv --json` (new process) | {median:.2f} s | "
          f"at most {TARGET_S:g} s: {'met' if met else 'NOT met'} |")
    print(f"| `xlmargin report ROSTER.csv --json`, same run | {statistics.median(report):.2f} s "
          "| |")
    print(f"| `analyse` alone, in process (priced clients) | {analysis * 1000:.0f} ms | |")
    print(f"| `xlmargin sensitivity WORKBOOK.xlsx --json` (from `new`) | "
          f"{statistics.median(workbook):.2f} s | |")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
