"""``import-usage postgresql://...`` against a real PostgreSQL server (tests/postgres_server.py)
holding LiteLLM's ``LiteLLM_SpendLogs`` table as its Prisma schema makes it: the database's
import equals the CSV import of the same rows (the fixtures loaded into it, and the table dumped
back to CSV), every way of attributing, with a client map, with malformed rows; the README's
example runs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import litellm_tables
import pytest
from litellm_tables import (
    CLIENTS,
    FIXTURE,
    ROOT,
    TEMPLATE,
    database,
    fixture_database,
    generated_database,
    insert,
    same_usage,
)
from postgres_server import PASSWORD, Server, postgres  # noqa: F401  (the fixture)

from xlmargin.cli import main
from xlmargin.usage.aggregate import import_usage
from xlmargin.usage.clients import BY


@pytest.fixture(scope="module")
def fixture_db(postgres: Server) -> str:  # noqa: F811
    return fixture_database(postgres, "fixture")


@pytest.fixture(scope="module")
def generated(postgres: Server, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
              ) -> tuple[str, Path]:
    """(the URL of a database of 3,000 generated rows, its table dumped to CSV)."""
    dump = tmp_path_factory.mktemp("dump") / "spend_logs_dump.csv"
    return generated_database(postgres, "generated", dump), dump


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


def test_only_the_groups_reach_python(postgres: Server, password: None) -> None:  # noqa: F811
    from xlmargin.usage import litellm_postgres

    # 2,000 requests of one key and model over two days: two groups, whatever the rows.
    rows = [[f"r{i}", "acompletion", "hash-a", 0.001, 3 * i, i, 2 * i,
             datetime(2026, 9, 1 + i % 2, 12), datetime(2026, 9, 1 + i % 2, 12), "gpt-4o",
             "", '{"user_api_key_alias": "a"}', "[]", None, None] for i in range(2000)]
    with database(postgres, "grouped") as conn:
        insert(conn, iter(rows))
    records = list(litellm_postgres.read(postgres.url("grouped"), "api_key"))
    assert len(records) == 2
    assert sorted(r.rows for r in records) == [1000, 1000]
    assert sum(r.input_tokens for r in records) == sum(range(2000))  # prompt_tokens = i
    assert sum(r.output_tokens for r in records) == 2 * sum(range(2000))
    assert sum(r.cost_usd for r in records) == Decimal("0.001") * 2000  # type: ignore[misc]
