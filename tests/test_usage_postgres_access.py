"""``import-usage postgresql://...`` reaching the database: one read-only transaction, the
password from PGPASSWORD, a .pgpass file or the URL and never printed, one line for each failure
(no server, no table, no driver), a Prisma URL's schema, and a dump given with its database
counted once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import litellm_tables
import postgres_server
import pytest
from litellm_tables import (
    CLIENTS,
    FIXTURE,
    TEMPLATE,
    _made,
    database,
    fixture_database,
    generated_database,
    same_usage,
)
from postgres_server import PASSWORD, Server, postgres  # noqa: F401  (the fixture)

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.usage import litellm_postgres
from xlmargin.usage.aggregate import import_usage


@pytest.fixture(scope="module")
def fixture_db(postgres: Server) -> str:  # noqa: F811
    return fixture_database(postgres, "fixture_access")


@pytest.fixture(scope="module")
def generated(postgres: Server, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
              ) -> tuple[str, Path]:
    """(the URL of a database of 3,000 generated rows, its table dumped to CSV)."""
    dump = tmp_path_factory.mktemp("dump") / "spend_logs_dump.csv"
    return generated_database(postgres, "generated_access", dump), dump


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
    name = fixture_db.rsplit("/", 1)[1]
    pgpass.write_text(f"{host}:{port}:{name}:{postgres_server.USER}:{escaped}\n")
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


def test_a_prisma_url_names_the_schema(postgres: Server, fixture_db: str,  # noqa: F811
                                       password: None) -> None:
    # LiteLLM's DATABASE_URL is Prisma's: ?schema=NAME, a parameter libpq does not know.
    with database(postgres, "schemas", schema="litellm") as conn:
        conn.execute("SET search_path TO litellm")
        litellm_tables.load_csv(conn, FIXTURE)
    url = postgres.url("schemas") + "?schema=litellm&sslmode=disable"
    actuals = import_usage([url])
    assert actuals.clients["acme-prod"].requests == 2
    with pytest.raises(InputError, match=r"no litellm\.LiteLLM_SpendLogs table"):
        import_usage([fixture_db + "?schema=litellm"])


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
