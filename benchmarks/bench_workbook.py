"""Benchmark `xlmargin new` and `xlmargin report` on a 10,000-client roster.

    .venv/bin/python benchmarks/bench_workbook.py [--clients 10000] [--runs 5]

- new: build + save of the agency workbook, against openpyxl itself writing one sheet with the
  same number of rows, input cells and formulas (measured in the same run, alternating).
- peak memory of `xlmargin new` in a fresh process (ru_maxrss of the child).
- report: `read_report` on that workbook in process, and the `xlmargin report --json` command.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from xlmargin.sheets import NATIVE, UDF
from xlmargin.sheets.files import build_from_files, save_atomic
from xlmargin.sheets.read import read_report

AS_OF = date(2026, 11, 1)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "gpt-4.1-mini")
CASES = ("customer_support", "document_qa", "lead_qualification", "content_generation",
         "data_extraction")
TYPES = ("small_business", "mid_market", "enterprise")


def write_roster(path: Path, clients: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["client", "use_case", "client_type", "interactions_per_day", "model",
                      "monthly_revenue", "notes"])
        for i in range(clients):
            out.writerow([f"Client {i:05d}", CASES[i % 5], TYPES[i % 3], 20 + (i * 37) % 900,
                          MODELS[(i // 5) % 5], 500 + (i * 113) % 4000, f"note {i}"])


def baseline(path: Path, rows: int) -> None:
    """openpyxl writing the same shape: per row, the input cells and as many formulas, on the
    Clients sheet and the Plan sheet."""
    wb = Workbook()
    ws = wb.active
    for r in range(5, 5 + rows):
        ws.append([f"Client {r}", "customer_support", "mid_market", 100, "gpt-4o",
                   f"=D{r}*2", f"=D{r}*3", 1000, f"=D{r}*F{r}", f"=I{r}/1e6", f"=J{r}*0.1",
                   f"=(H{r}-J{r})/H{r}", f"=(H{r}-K{r})/H{r}", f'=IF(L{r}<0,"U","OK")', "n"])
    # The Plan sheet: one row of 14 formulas per client row.
    plan = wb.create_sheet("Plan")
    for r in range(5, 5 + rows):
        plan.append([f"=Sheet!A{r}", f'=IF(Sheet!B{r}="","",Sheet!B{r})', f"=Sheet!J{r}",
                     f"=MIN(C{r},Sheet!K{r})", f"=D{r}-5", f"=IF(E{r}>0,1,0)",
                     f'=IF(F{r}=1,"self","api")', f"=IF(F{r}=1,5,D{r})", f"=(Sheet!H{r}-H{r})",
                     f"=H{r}/0.3", f'=IF(F{r}=1,"moves","no saving")', f"=LOWER(B{r})",
                     f"=MAX(0,E{r})", f'=IF(F{r}=1,E{r},"")'])
    wb.save(path)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-workbook-"))
    roster = folder / "roster.csv"
    write_roster(roster, args.clients)
    print(f"{args.clients:,} clients, {args.runs} runs, Python {sys.version.split()[0]}")

    for mode, suffix in ((NATIVE, "xlsx"), (UDF, "xlsm")):
        out = folder / f"agency.{suffix}"
        ours, theirs = [], []
        for _ in range(args.runs):
            def new(mode: str = mode, out: Path = out) -> None:
                wb, _count = build_from_files("Bench", roster=roster, mode=mode, as_of=AS_OF)
                save_atomic(wb, out)
            ours.append(timed(new))
            theirs.append(timed(lambda: baseline(folder / "baseline.xlsx", args.clients)))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"new --formulas {mode}: median {a:.2f} s; openpyxl same shape: median {b:.2f} s;"
              f" ratio {a / b:.2f}x (target <= 3x)")

    command = [sys.executable, "-m", "xlmargin", "new", "Bench", "--roster", str(roster),
               "--formulas", NATIVE, "--as-of", AS_OF.isoformat(), "-o",
               str(folder / "mem.xlsx")]
    subprocess.run(command, check=True, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"new peak memory (child ru_maxrss): {peak:.0f} MiB (target < 1024 MiB)")

    book = folder / "agency.xlsx"
    inside = [timed(lambda: read_report(book)) for _ in range(args.runs)]
    cli = [timed(lambda: subprocess.run([sys.executable, "-m", "xlmargin", "report", str(book),
                                         "--json"], check=True, capture_output=True))
           for _ in range(3)]
    print(f"report: read_report median {statistics.median(inside):.2f} s; "
          f"`xlmargin report --json` median {statistics.median(cli):.2f} s (target <= 5 s)")
    print(f"workbook size: {book.stat().st_size / 1e6:.1f} MB; files in {folder}")


if __name__ == "__main__":
    main()
