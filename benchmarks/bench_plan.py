"""Benchmark `xlmargin plan` on a 10,000-client roster with capacity on: at most 2x `report`.

    .venv/bin/python benchmarks/bench_plan.py [--clients 10000] [--runs 9] [--gpu L4]

- the target: `xlmargin plan ROSTER.csv --json` and `xlmargin report ROSTER.csv --json` on the
  same roster and settings (capacity on, 20% buffer), each in a new process with its JSON
  printed, interleaved in the same run; the ratio of the medians;
- in process, on the already priced clients: `plan.compute` against `portfolio.compute` (what
  the plan adds: exact loads, the server search, the per-client plan), interleaved;
- the plan's own figures: servers, clients moved, left for capacity, and whether it is exact.

Prints a Markdown table and exits 1 if the target is missed or the plan is not exact.
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

from bench_workbook import write_roster  # the workbook benchmark's roster: 5 models, 5 use cases

TARGET_RATIO = 2.0
AS_OF = "2026-11-01"
XLMARGIN = str(Path(sys.executable).with_name("xlmargin"))


def command(*argv: str) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    done = subprocess.run([XLMARGIN, *argv], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"xlmargin {' '.join(argv)} failed: {done.stderr}")
    return elapsed, json.loads(done.stdout)


def in_process(roster: Path, settings: Path, runs: int) -> tuple[float, float]:
    """Median times of plan.compute and portfolio.compute on the priced roster."""
    from xlmargin import plan, portfolio
    from xlmargin.roster import read_roster_inputs

    clients, agency, open_weight = read_roster_inputs(roster, settings,
                                                      date.fromisoformat(AS_OF))
    planned, reported = [], []
    for _ in range(runs):
        start = time.perf_counter()
        plan.compute(clients, agency, open_weight=open_weight)
        planned.append(time.perf_counter() - start)
        start = time.perf_counter()
        portfolio.compute(clients, agency, open_weight=open_weight)
        reported.append(time.perf_counter() - start)
    return statistics.median(planned), statistics.median(reported)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--gpu", default="L4")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    roster = folder / "roster.csv"
    write_roster(roster, args.clients)
    settings = folder / "agency.toml"
    settings.write_text(f'[infra]\nbuffer = 0.2\n\n[capacity]\ngpu = "{args.gpu}"\n',
                        encoding="utf-8")
    common = (str(roster), "--settings", str(settings), "--as-of", AS_OF, "--json")

    ours, report = [], []
    data: dict[str, object] = {}
    for _ in range(args.runs):  # interleaved, so both see the same machine
        elapsed, data = command("plan", *common)
        ours.append(elapsed)
        report.append(command("report", *common)[0])
    planned, reported = in_process(roster, settings, args.runs)
    median, baseline = statistics.median(ours), statistics.median(report)
    ratio = median / baseline
    totals: dict[str, object] = data["totals"]  # type: ignore[assignment]
    stays: list[dict[str, object]] = data["stays"]  # type: ignore[assignment]
    capacity = sum(1 for s in stays if s["reason"] == "capacity")
    met = ratio <= TARGET_RATIO and data["exact"] is True
    print(f"{args.clients:,} clients, capacity on ({args.gpu}), {args.runs} runs, "
          f"Python {sys.version.split()[0]}\n")
    print("| | median | target |")
    print("|---|---|---|")
    print(f"| `xlmargin plan ROSTER.csv --settings S --json` (new process) | {median:.2f} s | |")
    print(f"| `xlmargin report ROSTER.csv --settings S --json`, same run | {baseline:.2f} s | |")
    print(f"| ratio | **{ratio:.2f}x** | at most {TARGET_RATIO:g}x: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} |")
    print(f"| `plan.compute`, in process (priced clients) | {planned * 1000:.0f} ms | |")
    print(f"| `portfolio.compute`, same run | {reported * 1000:.0f} ms | |")
    print(f"\nThe plan: {len(data['order']):,} clients self-host on "  # type: ignore[arg-type]
          f"{totals['servers']} servers, {capacity:,} stay for capacity; exact: "
          f"{data['exact']}, gap ${data['gap_usd']}; COGS ${totals['plan_cogs']:,.2f} against "
          f"all-API ${totals['all_api_cogs']:,.2f} and all-self-hosted "
          f"${totals['all_self_cogs']:,.2f}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
