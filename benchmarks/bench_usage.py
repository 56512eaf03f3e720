"""Usage import speed: a 1,000,000-row LiteLLM_SpendLogs CSV grouped by API key, xlmargin's
import (streaming, the same code as `import-usage`, request ids deduplicated, each client's
calendar months summed too) against DuckDB's GROUP BY api_key and GROUP BY api_key, month over
the same file, in the same run. Each side runs in its own subprocess so its peak
RSS can be read; the figures are medians of --runs runs.

With --overlap, a second measurement: the file and a second export whose first tenth repeats
the file's last tenth (the same requests, as overlapping monthly exports have them), against
DuckDB's GROUP BY over DISTINCT ON (request_id) of both files.

    .venv/bin/python benchmarks/bench_usage.py [--rows 1000000] [--runs 3] [--varied-metadata]
        [--overlap] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
          "completion_tokens", "startTime", "endTime", "model", "user", "metadata",
          "request_tags", "team_id", "end_user", "status"]
MODELS = ("gpt-4o-mini", "gpt-4o", "claude-haiku-4-5", "claude-sonnet-4-5")


def generate(path: Path, rows: int, keys: int = 50, varied: bool = False,
             first: int = 0) -> None:
    """``varied``: each row's metadata holds its own usage object and request details, as
    real spend logs do, instead of one of a few texts per key. Rows are numbered from
    ``first``: row i is the same request in every file that has it."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(first, first + rows):
            rng = random.Random(i)
            key = rng.randrange(keys)
            prompt, completion = rng.randrange(50, 8000), rng.randrange(10, 1500)
            cached = rng.choice((0, 0, 1024, 2048))
            day = 1 + i * 90 // rows
            month, dom = 7 + (day - 1) // 30, 1 + (day - 1) % 30
            stamp = f"2026-{month:02d}-{dom:02d} {i % 24:02d}:{i % 60:02d}:00.000"
            meta = json.dumps({"user_api_key_alias": f"client-{key}",
                               "usage_object": {"prompt_tokens_details":
                                                {"cached_tokens": min(cached, prompt)}}})
            if varied:
                meta = json.dumps({
                    "user_api_key": f"hash{key:04d}", "user_api_key_alias": f"client-{key}",
                    "user_api_key_team_id": f"team-{key % 5}",
                    "requester_ip_address": f"10.0.{i % 256}.{i % 200}",
                    "usage_object": {"completion_tokens": completion, "prompt_tokens": prompt,
                                     "total_tokens": prompt + completion,
                                     "prompt_tokens_details":
                                         {"cached_tokens": min(cached, prompt)}},
                    "status": "success"})
            writer.writerow([f"req-{i}", "acompletion", f"hash{key:04d}",
                             f"{(prompt * 0.15 + completion * 0.6) / 1e6:.8f}",
                             prompt + completion, prompt, completion, stamp, stamp,
                             MODELS[key % 4], f"user-{key}", meta, f'["client:{key}"]',
                             f"team-{key % 5}", "", "success"])


XLMARGIN = """
import sys, time, resource
from xlmargin.usage.aggregate import import_usage
t = time.perf_counter()
result = import_usage(sys.argv[1:], by="api_key", forced="litellm-csv")
elapsed = time.perf_counter() - t
sums = [sum(getattr(c, f) for c in result.clients.values())
        for f in ("requests", "input_tokens", "output_tokens", "cost_usd")]
cells = sum(1 for c in result.clients.values() for m in c.by_month.values() if m.requests)
months = [sum(getattr(m, f) for c in result.clients.values() for m in c.by_month.values())
          for f in ("requests", "cost_usd")]
assert months == [sums[0], sums[3]], (months, sums)  # the months add up to the totals
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(result.clients), *sums,
      cells)
"""

DUCKDB = """
import sys, time, resource, duckdb
MONTHS = False; ALIAS = None
duckdb.sql("SET enable_progress_bar = false")  # on a busy machine it would print to stdout
t = time.perf_counter()
files = sys.argv[1:]
source = (f"read_csv('{files[0]}', header=true)" if len(files) == 1 else
          f"(SELECT DISTINCT ON (request_id) * FROM read_csv({files!r}, header=true))")
groups = "api_key" + (", date_trunc('month', CAST(startTime AS TIMESTAMP))"
                      if MONTHS else "")
if ALIAS:  # what attribution by key needs at the least: the key alias out of the metadata
    groups += ", " + ALIAS
rows = duckdb.sql(f"SELECT api_key, count(*), sum(prompt_tokens), sum(completion_tokens), "
                  f"sum(spend) FROM {source} GROUP BY {groups}").fetchall()
elapsed = time.perf_counter() - t
keys = len({r[0] for r in rows})
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, keys,
      *(sum(r[i] for r in rows) for i in (1, 2, 3, 4)), len(rows))
"""


# The alias as the import reads it (litellm._string_key), searched from the key's first
# occurrence, as xlmargin's fast path searches it (litellm_metadata).
ALIAS_SQL = ("""regexp_extract(substr(metadata, strpos(metadata, '"user_api_key_alias"'), 300), """
             """'^"user_api_key_alias"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"', 1)""")
DUCKDB_MONTHS = DUCKDB.replace("MONTHS = False; ALIAS = None", "MONTHS = True; ALIAS = None")
DUCKDB_ALIAS = DUCKDB.replace("MONTHS = False; ALIAS = None",
                              f"MONTHS = True; ALIAS = {ALIAS_SQL!r}")

Measured = tuple[float, float, int, int, int, int, float, int]


def measure(code: str, *paths: Path) -> Measured:
    """(seconds, peak RSS MB, groups, requests, prompt tokens, completion tokens, spend,
    (group, month) cells)."""
    out = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True,
                         text=True, check=True).stdout.split()
    return (float(out[0]), int(out[1]) / 1024, int(out[2]), int(out[3]), int(out[4]),
            int(out[5]), float(out[6]), int(out[7]))


def compare(label: str, runs: int, rows: int, *paths: Path) -> None:
    ours, theirs, by_month, by_alias = [], [], [], []
    for _ in range(runs):
        ours.append(measure(XLMARGIN, *paths))
        theirs.append(measure(DUCKDB, *paths))
        by_month.append(measure(DUCKDB_MONTHS, *paths))
        by_alias.append(measure(DUCKDB_ALIAS, *paths))
    # the same groups, requests, tokens and dollars (cached <= prompt: no adjustment), and the
    # same (key, month) cells as DuckDB's GROUP BY api_key, month
    assert ours[0][3] == theirs[0][3] == rows, (ours[0], theirs[0])
    assert ours[0][2:6] == theirs[0][2:6] == by_month[0][2:6], (ours[0], theirs[0])
    assert abs(ours[0][6] - theirs[0][6]) < 1e-6, (ours[0], theirs[0])
    assert ours[0][7] == by_month[0][7] == by_alias[0][7], (ours[0], by_month[0], by_alias[0])
    t_ours = statistics.median(r[0] for r in ours)
    t_duck = statistics.median(r[0] for r in theirs)
    t_months = statistics.median(r[0] for r in by_month)
    t_alias = statistics.median(r[0] for r in by_alias)
    print(f"{label}:")
    for name, results in (("xlmargin import-usage (with months)", ours),
                          ("DuckDB GROUP BY api_key", theirs),
                          ("DuckDB GROUP BY api_key, month", by_month),
                          ("DuckDB ... month, alias from metadata", by_alias)):
        print(f"  {name + ':':37} median {statistics.median(r[0] for r in results):.2f} s "
              f"(runs: {', '.join(f'{r[0]:.2f}' for r in results)}), peak RSS "
              f"{max(r[1] for r in results):.0f} MB")
    print(f"  ratio to GROUP BY api_key: {t_ours / t_duck:.2f}x")
    print(f"  ratio to GROUP BY api_key, month: {t_ours / t_months:.2f}x (target <= 1.5x)")
    print(f"  DuckDB with the alias against DuckDB without: {t_alias / t_months:.2f}x; "
          f"xlmargin against DuckDB with the alias: {t_ours / t_alias:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--varied-metadata", action="store_true",
                        help="a usage object per row in the metadata, as real logs have")
    parser.add_argument("--overlap", action="store_true",
                        help="also two exports whose periods overlap by a tenth")
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the generated files in DIR and reuse them next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        kind = "varied" if args.varied_metadata else "default"
        path = folder / f"spend_logs_{kind}_{args.rows}.csv"
        tenth = args.rows // 10
        second = folder / f"spend_logs_{kind}_{args.rows}_next.csv"
        wanted = [(path, 0), *([(second, args.rows - tenth)] if args.overlap else [])]
        for file, first in wanted:
            if file.exists():
                continue
            started = time.perf_counter()
            generate(file, args.rows, varied=args.varied_metadata, first=first)
            print(f"generated {args.rows:,} rows, {file.stat().st_size / 1e6:.0f} MB in "
                  f"{time.perf_counter() - started:.1f} s")
        compare(f"one file, {args.rows:,} rows (DuckDB: GROUP BY)", args.runs, args.rows, path)
        if args.overlap:
            compare(f"two files overlapping by {tenth:,} requests (DuckDB: GROUP BY over "
                    "DISTINCT ON request_id)", args.runs, 2 * args.rows - tenth, path, second)


if __name__ == "__main__":
    main()
