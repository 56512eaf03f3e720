"""LiteLLM's ``LiteLLM_SpendLogs`` table as its Prisma schema (``schema.prisma``, model
LiteLLM_SpendLogs) makes it in PostgreSQL, and the tests' ways in and out of it: rows loaded
from a spend-log CSV, the table dumped back to CSV as ``psql \\copy ... csv header`` writes it."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from test_usage_fast_path import MODELS, _metadata

from xlmargin.usage.aggregate import Actuals

# Prisma's types: String -> TEXT, Float -> DOUBLE PRECISION, Int -> INTEGER,
# DateTime -> TIMESTAMP(3), Json -> JSONB; names quoted as written (camelCase kept).
SPEND_LOGS_DDL = """
CREATE TABLE "LiteLLM_SpendLogs" (
    "request_id" TEXT NOT NULL,
    "call_type" TEXT NOT NULL,
    "api_key" TEXT NOT NULL DEFAULT '',
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "startTime" TIMESTAMP(3) NOT NULL,
    "endTime" TIMESTAMP(3) NOT NULL,
    "request_duration_ms" INTEGER,
    "completionStartTime" TIMESTAMP(3),
    "model" TEXT NOT NULL DEFAULT '',
    "model_id" TEXT DEFAULT '',
    "model_group" TEXT DEFAULT '',
    "custom_llm_provider" TEXT DEFAULT '',
    "api_base" TEXT DEFAULT '',
    "user" TEXT DEFAULT '',
    "metadata" JSONB DEFAULT '{}',
    "cache_hit" TEXT DEFAULT '',
    "cache_key" TEXT DEFAULT '',
    "request_tags" JSONB DEFAULT '[]',
    "team_id" TEXT,
    "organization_id" TEXT,
    "end_user" TEXT,
    "requester_ip_address" TEXT,
    "messages" JSONB DEFAULT '{}',
    "response" JSONB DEFAULT '{}',
    "session_id" TEXT,
    "status" TEXT,
    "mcp_namespaced_tool_name" TEXT,
    "agent_id" TEXT,
    "proxy_server_request" JSONB DEFAULT '{}',
    CONSTRAINT "LiteLLM_SpendLogs_pkey" PRIMARY KEY ("request_id")
);
CREATE INDEX "LiteLLM_SpendLogs_startTime_idx" ON "LiteLLM_SpendLogs"("startTime");
CREATE INDEX "LiteLLM_SpendLogs_startTime_request_id_idx"
    ON "LiteLLM_SpendLogs"("startTime", "request_id");
CREATE INDEX "LiteLLM_SpendLogs_end_user_idx" ON "LiteLLM_SpendLogs"("end_user");
CREATE INDEX "LiteLLM_SpendLogs_session_id_idx" ON "LiteLLM_SpendLogs"("session_id");
"""
NOT_NULL = {"request_id": "", "call_type": "", "api_key": "", "spend": 0.0, "total_tokens": 0,
            "prompt_tokens": 0, "completion_tokens": 0, "model": ""}
"""The NOT NULL columns and the default a blank CSV cell stands for."""
NUMBERS = {"spend": float, "total_tokens": int, "prompt_tokens": int,
           "completion_tokens": int, "request_duration_ms": int}


def create(conn: Any, schema: str | None = None) -> None:
    if schema:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
    conn.execute(SPEND_LOGS_DDL)
    if schema:
        conn.execute("RESET search_path")


def table_columns(conn: Any) -> dict[str, str]:
    """{lower-cased name: name} of the table's columns."""
    rows = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = "
                        "'\"LiteLLM_SpendLogs\"'::regclass AND attnum > 0 "
                        "AND NOT attisdropped").fetchall()
    return {name.lower(): name for (name,) in rows}


def load_csv(conn: Any, path: Path) -> list[str]:
    """Insert the CSV's rows (columns matched by name, case aside; the others left to their
    defaults); returns the request ids of rows the table cannot hold (a spend that is no
    number), which are not inserted."""
    columns = table_columns(conn)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        names = [columns.get(h.strip().lower()) for h in header]
        used = [(i, n) for i, n in enumerate(names) if n is not None]
        if "endTime" not in {n for _, n in used}:
            raise AssertionError(f"{path}: no endTime column")
        rows, refused = [], []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            values = {n: _value(n, cells[i] if i < len(cells) else "") for i, n in used}
            if isinstance(values.get("spend"), str):
                refused.append(cells[0])
                continue
            rows.append(values)
    if rows:
        order = list(rows[0])
        placeholders = ", ".join(["%s"] * len(order))
        quoted = ", ".join(f'"{n}"' for n in order)
        with conn.cursor() as cursor:
            cursor.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({quoted}) '
                               f"VALUES ({placeholders})",
                               [[row[n] for n in order] for row in rows])
    return refused


def _value(name: str, text: str) -> object:
    if not text.strip():
        return NOT_NULL.get(name)
    kind = NUMBERS.get(name)
    if kind is None:
        return text
    try:
        return kind(text)
    except ValueError:
        return text  # not storable: the caller refuses the row


def dump_csv(conn: Any, path: Path) -> None:
    """The whole table as CSV with a header, as ``psql -c "\\copy ... csv header"`` writes
    it."""
    with open(path, "wb") as handle, conn.cursor() as cursor, cursor.copy(
            'COPY "LiteLLM_SpendLogs" TO STDOUT WITH (FORMAT csv, HEADER)') as copy:
        for data in copy:
            handle.write(data)

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "usage" / "litellm_spend_logs.csv"
TEMPLATE = ROOT / "templates" / "usage" / "litellm_spend_logs.csv"
CLIENTS = ROOT / "templates" / "usage" / "clients.csv"
_made: set[str] = set()


def database(server: Any, name: str, *, schema: str | None = None) -> Any:
    """A fresh database NAME with LiteLLM's table in it; a connection to it."""
    assert name not in _made
    _made.add(name)
    server.create_database(name)
    conn = server.connect(name)
    create(conn, schema)
    return conn


def same_usage(ours: Actuals, theirs: Actuals) -> None:
    """The same clients, down to the Decimal cost, the same unpriced usage and period."""
    assert ours.clients == theirs.clients
    assert ours.unpriced == theirs.unpriced
    assert (ours.start, ours.end) == (theirs.start, theirs.end)
    mine, other = ours.as_json(), theirs.as_json()
    for key in ("clients", "unattributed", "unpriced", "period", "months"):
        assert mine[key] == other[key]


def generated_rows(count: int, seed: int = 11) -> Iterator[list[object]]:
    """Spend-log rows with what LiteLLM writes: metadata with aliases (escapes, accents), both
    providers' cache counts, spend 0 beside tokens, tags, teams, end users, blank keys."""
    rng = random.Random(seed)
    for i in range(count):
        key = rng.randrange(12)
        prompt, completion = rng.randrange(0, 9000), rng.randrange(0, 2000)
        spend = rng.choice((rng.random() / 100, rng.random() / 1e4, 0.0, 1.5e-05,
                            0.1 + 0.2))  # 0.30000000000000004: 17 digits
        stamp = datetime(2026, 7 + i % 3, 1 + rng.randrange(28), rng.randrange(24),
                         rng.randrange(60), rng.randrange(60), rng.randrange(1000) * 1000)
        tags = rng.choice((f'["client:c{key % 5}"]', "[]", f'["client:c{key % 5}", "x"]',
                           None))
        yield [f"req-{i}", "acompletion", rng.choice((f"hash{key:03d}", "", f" hash{key:03d}")),
               spend, prompt + completion, prompt, completion, stamp, stamp,
               MODELS[key % 3] if rng.random() < 0.95 else "",
               rng.choice((f"user-{key % 6}", "", None)), _metadata(rng, key), tags,
               rng.choice((f"team-{key % 2}", None)), rng.choice((f"end-{key % 7}", None))]


COLUMNS = ("request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
           "completion_tokens", "startTime", "endTime", "model", "user", "metadata",
           "request_tags", "team_id", "end_user")


def insert(conn: Any, rows: Iterator[list[object]]) -> None:
    quoted = ", ".join(f'"{c}"' for c in COLUMNS)
    with conn.cursor() as cursor, cursor.copy(
            f'COPY "LiteLLM_SpendLogs" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def fixture_database(server: Any, name: str) -> str:
    """A database NAME holding the rows of tests/fixtures/usage/litellm_spend_logs.csv."""
    with database(server, name) as conn:
        refused = load_csv(conn, FIXTURE)
    assert refused == ["req-4"]  # spend 'not-a-number': no double precision holds it
    return str(server.url(name))


def generated_database(server: Any, name: str, dump: Path, rows: int = 3000) -> str:
    """A database NAME of ``rows`` generated rows, its table dumped to ``dump``."""
    with database(server, name) as conn:
        insert(conn, generated_rows(rows))
        dump_csv(conn, dump)
    return str(server.url(name))
