"""Reading LiteLLM's database: ``xlmargin import-usage postgresql://...`` against ``psql`` running
the very GROUP BY the import sends (``litellm_sql.grouped_query``), in the same run, on
1,000,000 spend-log rows in a PostgreSQL server this script starts (initdb + pg_ctl in a
temporary directory, as the tests do; stopped afterwards). Both connect over TCP with a
password from PGPASSWORD; psql first sets the import's session setting (``work_mem``). Each run
is a fresh process: xlmargin's time includes Python's start, its imports, the connection,
attribution, pricing and printing the JSON; psql's its start, the connection and the query.
Runs alternate, after one untimed run of each; the figures are medians. The script checks both
count every row.

    .venv/bin/python benchmarks/bench_postgres.py [--rows 1000000] [--runs 5]
        [--varied-metadata] [--by api_key]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_usage import HEADER, generate  # noqa: E402
from postgres_server import PASSWORD, bin_dir, running  # noqa: E402

from xlmargin.usage import litellm_sql  # noqa: E402

TARGET = 1.5


def load(server: object, rows: int, varied: bool) -> None:
    import litellm_tables

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spend_logs.csv"
        started = time.perf_counter()
        generate(path, rows, varied=varied)
        with server.connect() as conn:  # type: ignore[attr-defined]
            litellm_tables.create(conn)
            quoted = ", ".join(f'"{c}"' for c in HEADER)
            with conn.cursor() as cursor, open(path, "rb") as handle, cursor.copy(
                    f'COPY "LiteLLM_SpendLogs" ({quoted}) FROM STDIN '
                    "WITH (FORMAT csv, HEADER)") as copy:
                while data := handle.read(1 << 20):
                    copy.write(data)
            conn.execute('VACUUM ANALYZE "LiteLLM_SpendLogs"')
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size("
                                "'\"LiteLLM_SpendLogs\"'))").fetchone()[0]
    print(f"loaded {rows:,} rows ({size}) in {time.perf_counter() - started:.1f} s")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--varied-metadata", action="store_true",
                        help="a usage object per row in the metadata, as real logs have")
    parser.add_argument("--by", default="api_key")
    args = parser.parse_args()
    binaries = bin_dir()
    if binaries is None:
        sys.exit("PostgreSQL's server is not installed: apt-get install postgresql")
    psql = str(binaries / "psql") if (binaries / "psql").exists() else "psql"
    with running(binaries) as server:
        load(server, args.rows, args.varied_metadata)
        url = server.url()
        with server.connect() as conn:
            present = {name for (name,) in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = "
                "'\"LiteLLM_SpendLogs\"'::regclass AND attnum > 0 AND NOT attisdropped")}
        query = litellm_sql.grouped_query(args.by, present)
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        ours_command = [sys.executable, "-m", "xlmargin", "import-usage", url, "--by", args.by,
                        "--json"]
        # the session settings the import's transaction has (litellm_postgres), then the query
        psql_command = [psql, "-X", "-q", "-A", "-t", "-F", "\t", "-d", url, "-c",
                        f"SET work_mem = '{litellm_sql.WORK_MEM}'", "-c", query]
        _, out = timed(ours_command, env)  # untimed: warms the caches
        requests = sum(c["requests"] for c in json.loads(out)["clients"]) \
            + (json.loads(out)["unattributed"] or {"requests": 0})["requests"]
        _, out = timed(psql_command, env)
        counted = sum(int(line.split("\t")[4 + len(litellm_sql.identifiers(args.by))])
                      for line in out.splitlines() if line)
        assert requests == counted == args.rows, (requests, counted)
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed(ours_command, env)[0])
            theirs.append(timed(psql_command, env)[0])
    t_ours, t_psql = statistics.median(ours), statistics.median(theirs)
    ratio = t_ours / t_psql
    kind = "varied metadata" if args.varied_metadata else "default metadata"
    print(f"{args.rows:,} rows, {kind}, --by {args.by}:")
    print(f"  xlmargin import-usage postgresql://...: median {t_ours:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in ours)})")
    print(f"  psql, the same GROUP BY:                median {t_psql:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in theirs)})")
    print(f"  ratio: {ratio:.2f}x (target <= {TARGET}x): {'PASS' if ratio <= TARGET else 'FAIL'}")
    sys.exit(0 if ratio <= TARGET else 1)


if __name__ == "__main__":
    main()
