"""``import-usage postgresql://...`` against a real PostgreSQL server (tests/postgres_server.py)
holding LiteLLM's ``LiteLLM_SpendLogs`` table as its Prisma schema makes it: the database's
import equals the CSV import of the same rows (the fixtures loaded into it, and the table dumped
back to CSV), every way of attributing; it reads in one read-only transaction, takes the
password from PGPASSWORD or a .pgpass file, never prints it, and counts a dump given with its
database once."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import litellm_tables
import postgres_server
import pytest
from postgres_server import PASSWORD, Server, postgres  # noqa: F401  (the fixture)
from test_usage_fast_path import MODELS, _metadata

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.usage import litellm_postgres
from xlmargin.usage.aggregate import Actuals, import_usage
from xlmargin.usage.clients import BY

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "usage" / "litellm_spend_logs.csv"
TEMPLATE = ROOT / "templates" / "usage" / "litellm_spend_logs.csv"
CLIENTS = ROOT / "templates" / "usage" / "clients.csv"
_made: set[str] = set()


def database(server: Server, name: str, *, schema: str | None = None) -> Any:
    """A fresh database NAME with LiteLLM's table in it; a connection to it."""
    assert name not in _made
    _made.add(name)
    server.create_database(name)
    conn = server.connect(name)
    litellm_tables.create(conn, schema)
    return conn


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.delenv("PGPASSFILE", raising=False)


def same_usage(ours: Actuals, theirs: Actuals) -> None:
    """The same clients, down to the Decimal cost, the same unpriced usage and period."""
    assert ours.clients == theirs.clients
    assert ours.unpriced == theirs.unpriced
    assert (ours.start, ours.end) == (theirs.start, theirs.end)
    mine, other = ours.as_json(), theirs.as_json()
    for key in ("clients", "unattributed", "unpriced", "period", "months"):
        assert mine[key] == other[key]


@pytest.fixture(scope="module")
def fixture_db(postgres: Server) -> Iterator[str]:  # noqa: F811
    with database(postgres, "fixture") as conn:
        refused = litellm_tables.load_csv(conn, FIXTURE)
    assert refused == ["req-4"]  # spend 'not-a-number': no double precision holds it
    yield postgres.url("fixture")


@pytest.mark.parametrize("by", BY)
def test_the_fixture_rows_give_what_their_csv_gives(fixture_db: str, by: str,
                                                    password: None) -> None:
    ours, theirs = import_usage([fixture_db], by=by), import_usage([FIXTURE], by=by)
    same_usage(ours, theirs)
    # The CSV's malformed row (req-4) is the row the table could not take.
    assert (ours.malformed, theirs.malformed) == (0, 1)
    assert ours.files[fixture_db].records == theirs.files[str(FIXTURE)].records == 4


def test_the_fixture_numbers_by_hand(fixture_db: str, password: None) -> None:
    actuals = import_usage([fixture_db], by="api_key")
    acme = actuals.clients["acme-prod"]  # req-1 and req-2, the key alias from metadata
    assert acme.requests == 2
    assert acme.input_tokens == 1000 + 2000
    assert acme.cached_input_tokens == 400  # usage_object.prompt_tokens_details
    assert acme.output_tokens == 200 + 500
    assert acme.cost_usd == Decimal("0.0015") + Decimal("0.0025")  # exact, no float
    assert actuals.clients["globex-agent"].cost_usd == Decimal("0.0100")
    assert actuals.clients["unattributed"].cost_usd == Decimal("0.0200")  # req-5: no key
    tags = import_usage([fixture_db], by="tag").clients  # 'client:acme' on req-1 and req-2
    assert tags["acme"].requests == 2 and tags["unattributed"].requests == 2
    team = import_usage([fixture_db], by="workspace").clients
    assert team["team-a"].requests == 2 and team["team-b"].requests == 1
    assert actuals.start == datetime.fromisoformat("2026-09-01T00:00:00+00:00")
    assert actuals.end == datetime.fromisoformat("2026-09-05T00:00:00+00:00")


@pytest.mark.parametrize("by", BY)
def test_the_template_with_its_client_map(postgres: Server, by: str,  # noqa: F811
                                          password: None) -> None:
    name = f"template_{by}"
    with database(postgres, name) as conn:
        assert litellm_tables.load_csv(conn, TEMPLATE) == []
    ours = import_usage([postgres.url(name)], by=by, clients_file=CLIENTS)
    theirs = import_usage([TEMPLATE], by=by, clients_file=CLIENTS)
    same_usage(ours, theirs)
    assert ours.warnings == theirs.warnings
    if by == "api_key":
        assert len(ours.clients) > 2  # the map names the clients


def _generated_rows(count: int, seed: int = 11) -> Iterator[list[object]]:
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


@pytest.fixture(scope="module")
def generated(postgres: Server, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
              ) -> tuple[str, Path]:
    """(the URL of a database of 3,000 generated rows, its table dumped to CSV)."""
    dump = tmp_path_factory.mktemp("dump") / "spend_logs_dump.csv"
    with database(postgres, "generated") as conn:
        insert(conn, _generated_rows(3000))
        litellm_tables.dump_csv(conn, dump)
    return postgres.url("generated"), dump


@pytest.mark.parametrize("by", BY)
def test_the_database_gives_what_its_dump_gives(generated: tuple[str, Path], by: str,
                                                password: None) -> None:
    url, dump = generated
    ours, theirs = import_usage([url], by=by), import_usage([dump], by=by)
    same_usage(ours, theirs)
    assert ours.warnings == theirs.warnings
    assert ours.files[url].records == 3000
    assert ours.clients and ours.unpriced  # billed, priced and unpriced usage all present
    assert any("spend 0" in w for w in ours.warnings)


def test_and_with_a_client_map(generated: tuple[str, Path], tmp_path: Path,
                               password: None) -> None:
    url, dump = generated
    mapping = tmp_path / "map.csv"
    mapping.write_text('identifier,client\nclient-1,One\nhash002,Two\n"acme ""prod"" 3",Three\n'
                       "café-4,Four\n", encoding="utf-8")
    ours = import_usage([url], clients_file=mapping)
    same_usage(ours, import_usage([dump], clients_file=mapping))
    assert {"One", "Two", "Three", "Four"} <= set(ours.clients)


def test_malformed_rows_are_counted_and_named(postgres: Server, tmp_path: Path,  # noqa: F811
                                              password: None) -> None:
    stamp = datetime(2026, 8, 2, 10)
    good = ["ok-1", "acompletion", "k", 0.5, 10, 5, 5, stamp, stamp, "gpt-4o-mini", "", "{}",
            "[]", None, None]
    huge = '{"usage_object": {"prompt_tokens_details": {"cached_tokens": ' + "9" * 40 + "}}}"
    bad = [["bad-nan", *good[1:3], float("nan"), *good[4:]],
           ["bad-inf", *good[1:3], float("inf"), *good[4:]],
           ["bad-negative", *good[1:5], -3, *good[6:]],
           ["bad-cache", *good[1:11], huge, *good[12:]]]
    with database(postgres, "malformed") as conn:
        insert(conn, iter([good, *bad]))
        litellm_tables.dump_csv(conn, tmp_path / "dump.csv")
    url = postgres.url("malformed")
    ours, theirs = import_usage([url]), import_usage([tmp_path / "dump.csv"])
    assert ours.malformed == theirs.malformed == 4
    same_usage(ours, theirs)
    assert ours.clients["k"].cost_usd == Decimal("0.5")  # the good row alone
    listed = " | ".join(ours.warnings)
    for request_id in ("bad-nan", "bad-inf", "bad-negative", "bad-cache"):
        assert f"{url}: request_id '{request_id}'" in listed
    assert "prompt_tokens: negative count" in listed and "spend: not a finite" in listed
    # With its dump: the good row is the dump's, the database's copy a duplicate; each source
    # reports the malformed rows it holds.
    both = import_usage([tmp_path / "dump.csv", url])
    assert both.clients["k"].cost_usd == Decimal("0.5")
    assert both.files[url].duplicates == 1 and both.malformed == 4 + 4


def test_one_read_only_repeatable_read_transaction(fixture_db: str, password: None) -> None:
    import psycopg

    with litellm_postgres.connect(fixture_db) as conn, conn.transaction(), \
            conn.cursor() as cursor:
        cursor.execute("SHOW transaction_read_only")
        assert cursor.fetchone() == ("on",)
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone() == ("repeatable read",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            cursor.execute('DELETE FROM "LiteLLM_SpendLogs"')


def test_every_statement_runs_in_that_one_transaction(fixture_db: str, password: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    seen: list[tuple[str, bool]] = []
    connect = litellm_postgres.connect
    in_block = psycopg.pq.TransactionStatus.INTRANS  # inside BEGIN ... COMMIT, idle

    class Spy(psycopg.Cursor):  # type: ignore[type-arg]
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append((str(query)[:30], self.connection.info.transaction_status == in_block))
            return super().execute(query, *args, **kwargs)

        def stream(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append((str(query)[:30], self.connection.info.transaction_status == in_block))
            return super().stream(query, *args, **kwargs)

    def spying(url: str) -> Any:
        conn = connect(url)
        conn.cursor_factory = Spy
        return conn

    monkeypatch.setattr(litellm_postgres, "connect", spying)
    import_usage([fixture_db, FIXTURE])  # the file's request ids make a third query
    assert len(seen) >= 5 and all(in_transaction for _, in_transaction in seen)
    assert any(query.startswith("SELECT day, model, kind") for query, _ in seen)


def test_the_password_comes_from_a_pgpass_file(fixture_db: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pgpass of the machine's
    monkeypatch.delenv("PGPASSFILE", raising=False)
    with pytest.raises(InputError) as refused:
        import_usage([fixture_db])
    assert "PGPASSWORD or ~/.pgpass" in str(refused.value)
    pgpass = tmp_path / ".pgpass"
    escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    server = fixture_db.split("@")[1].split("/")[0]
    host, port = server.split(":")
    pgpass.write_text(f"{host}:{port}:fixture:{postgres_server.USER}:{escaped}\n")
    pgpass.chmod(0o600)  # libpq ignores a file others can read
    assert import_usage([fixture_db]).clients["acme-prod"].requests == 2  # ~/.pgpass
    moved = tmp_path / "elsewhere.pgpass"
    pgpass.rename(moved)
    monkeypatch.setenv("PGPASSFILE", str(moved))
    assert import_usage([fixture_db]).clients["acme-prod"].requests == 2  # PGPASSFILE


def test_a_password_in_the_url_is_never_printed(fixture_db: str,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    from urllib.parse import quote

    secret = quote(PASSWORD, safe="")
    url = fixture_db.replace("@", f":{secret}@", 1)
    assert main(["import-usage", url, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["files"][0]["file"] == fixture_db  # shown without the password
    wrong = fixture_db.replace("@", ":wrong-horse-battery@", 1)
    assert main(["import-usage", wrong]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "password authentication failed" in err
    assert "wrong-horse-battery" not in err and fixture_db in err


def test_no_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    port = postgres_server.free_port()  # nothing listens there
    url = f"postgresql://someone:hunter2@127.0.0.1:{port}/db"
    assert main(["import-usage", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hunter2" not in err
    assert err.startswith(f"xlmargin import-usage: error: postgresql://someone@127.0.0.1:{port}"
                          "/db: cannot connect:")


def test_a_database_without_the_table(postgres: Server, password: None) -> None:  # noqa: F811
    postgres.create_database("empty")
    _made.add("empty")
    with pytest.raises(InputError, match="no LiteLLM_SpendLogs table"):
        import_usage([postgres.url("empty")])


def test_a_prisma_url_names_the_schema(postgres: Server, password: None) -> None:  # noqa: F811
    # LiteLLM's DATABASE_URL is Prisma's: ?schema=NAME, a parameter libpq does not know.
    with database(postgres, "schemas", schema="litellm") as conn:
        conn.execute("SET search_path TO litellm")
        litellm_tables.load_csv(conn, FIXTURE)
    url = postgres.url("schemas") + "?schema=litellm&sslmode=disable"
    actuals = import_usage([url])
    assert actuals.clients["acme-prod"].requests == 2
    with pytest.raises(InputError, match=r"no litellm\.LiteLLM_SpendLogs table"):
        import_usage([postgres.url("fixture") + "?schema=litellm"])


def test_its_dump_given_with_it_is_counted_once(generated: tuple[str, Path], tmp_path: Path,
                                                password: None) -> None:
    url, dump = generated
    alone = import_usage([url])
    for files in ([url, dump], [dump, url]):
        both = import_usage(files)
        same_usage(both, alone)
        # the database is read last: its copies of the dump's requests are the duplicates
        assert both.files[url].duplicates == 3000 and both.files[url].records == 0
        assert both.files[str(dump)].records == 3000
        assert any(w.startswith("3000 duplicate record(s) dropped") for w in both.warnings)
    # An older dump of some of its rows, one of them changed since: a conflict, said.
    with open(dump, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    older = tmp_path / "older.csv"
    header = lines[0].split(",")
    first = lines[1].split(",")
    first[header.index("completion_tokens")] = "1"
    older.write_text("\n".join([lines[0], ",".join(first), *lines[2:101]]) + "\n",
                     encoding="utf-8")
    mixed = import_usage([older, url])
    assert mixed.files[url].duplicates == 100 and mixed.files[url].records == 2900
    assert len(mixed.conflicts) == 1 and "req-0" in mixed.conflicts[0].identity
    assert sum(c.requests for c in mixed.clients.values()) == 3000


def test_the_same_url_twice_is_read_once(fixture_db: str, password: None) -> None:
    actuals = import_usage([fixture_db, fixture_db])
    assert actuals.clients["acme-prod"].requests == 2
    assert f"{fixture_db} is given twice: read once" in actuals.warnings


def test_without_psycopg_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(InputError, match=r"^postgresql://someone@127\.0\.0\.1:1/db: .*"
                                         r"pip install 'xlmargin\[postgres\]'"):
        import_usage(["postgresql://someone:hunter2@127.0.0.1:1/db"])


def test_file_imports_load_no_database_driver() -> None:
    code = ("import sys; from xlmargin.cli import main; "
            f"main(['import-usage', {str(FIXTURE)!r}, '--json']); "
            "print('psycopg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("False")


def test_under_ci_a_missing_server_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_server, "bin_dir", lambda: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        postgres_server.require_bin_dir()


def test_the_readme_example_runs(postgres: Server, password: None,  # noqa: F811
                                 capsys: pytest.CaptureFixture[str]) -> None:
    import re
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"^    xlmargin (import-usage postgresql://\S+ [^#\n]*?)\s*$", readme,
                           flags=re.M)
    argv = shlex.split(example)
    assert argv[1] == "postgresql://litellm@db.internal:5432/litellm"
    with database(postgres, "readme") as conn:
        litellm_tables.load_csv(conn, TEMPLATE)
    argv[1] = postgres.url("readme")  # the test server in place of the agency's
    argv = [str(ROOT / a) if a.startswith("templates/") else a for a in argv]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for client in ("Harbor Dental Group", "Northwind Logistics", "Pinecrest Clinics"):
        assert client in out


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:p@h:5432/db", "postgresql://u@h:5432/db"),
    ("POSTGRES://u:p%40x@h/db", "POSTGRES://u@h/db"),
    ("postgresql://u@h/db?sslmode=require&password=zz", "postgresql://u@h/db?sslmode=require"
                                                        "&password=***"),
    ("postgresql:///db?host=/run/postgresql", "postgresql:///db?host=/run/postgresql"),
])
def test_urls_are_shown_without_their_password(url: str, expected: str) -> None:
    assert litellm_postgres.shown(url) == expected


def test_the_actuals_sheet_names_the_url_without_its_password(
        postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    from urllib.parse import quote

    from openpyxl import load_workbook

    monkeypatch.delenv("PGPASSWORD", raising=False)
    with database(postgres, "workbook") as conn:
        litellm_tables.load_csv(conn, TEMPLATE)
    url = postgres.url("workbook").replace("@", f":{quote(PASSWORD, safe='')}@", 1)
    workbook = tmp_path / "agency.xlsx"
    assert main(["new", "Acme AI", "-o", str(workbook), "--as-of", "2026-11-01"]) == 0
    assert main(["import-usage", url, "--clients", str(CLIENTS), "--workbook",
                 str(workbook)]) == 0
    out = capsys.readouterr().out
    assert "Harbor Dental Group" in out
    assert PASSWORD not in out and quote(PASSWORD, safe="") not in out
    sheet = load_workbook(workbook)["Actuals"]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert texts and not any(PASSWORD in t or quote(PASSWORD, safe="") in t for t in texts)
