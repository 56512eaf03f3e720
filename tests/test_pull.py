"""`xlmargin pull` against a real HTTP server on 127.0.0.1 that serves the documented page
shapes, checks the headers and query parameters the real APIs require, pages, and fails on
demand (``fake_admin_api``). The pulled pages are then read by `import-usage`, and their
totals are derived by hand: day d of a month holds the fixture's result times d, so August
(31 days) holds it 1 + 2 + ... + 31 = 31 * 32 / 2 = 496 times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fake_admin_api import FakeAdminApi, Fault

from xlmargin.cli import main
from xlmargin.pull import http

AUGUST = 31 * 32 // 2  # 496: the sum of August's day numbers
AUGUST_ARGS = ["--since", "2026-08-01", "--until", "2026-09-01"]


def pull_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def imported(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["import-usage", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def by_client(data: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {c["client"]: (c["requests"], c["input_tokens"], c["cached_input_tokens"],
                          c["output_tokens"]) for c in data["clients"]}


def test_openai_pull_follows_every_page_and_imports_the_usage_by_client(
        openai_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str], no_wait: list[float]) -> None:
    out = tmp_path / "pulled"
    summary = pull_json(capsys, ["pull", "openai", *AUGUST_ARGS, "-o", str(out),
                                 "--base-url", openai_api.url])
    assert openai_api.problems == []
    # 31 days at 3 buckets a page: pages of 3, ..., 3 and 1: 11 pages per endpoint.
    assert openai_api.pages_of("completions") == 11
    assert openai_api.pages_of("costs") == 11
    assert summary["pages"] == 11 * 10  # ten endpoints
    files = {f["endpoint"]: f for f in summary["files"]}
    assert files["completions"]["file"] == "openai-completions_2026-08-01_2026-09-01.json"
    assert files["costs"]["file"] == "costs/openai-costs_2026-08-01_2026-09-01.json"
    assert {f["status"] for f in summary["files"]} == {"pulled"}
    # The query the real API needs: unix seconds, daily buckets, repeated group_by, a limit
    # within the maximum, and the cursor of the page before.
    first, second = [q for p, q in openai_api.requests if p.endswith("/completions")][:2]
    assert first["start_time"] == [str(int(datetime(2026, 8, 1, tzinfo=UTC).timestamp()))]
    assert first["end_time"] == [str(int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()))]
    assert first["bucket_width"] == ["1d"] and first["limit"] == ["31"]
    assert first["group_by"] == ["project_id", "api_key_id", "model", "batch"]
    assert "page" not in first and second["page"][0].startswith("page_")
    # Per client, completions and embeddings: the spec examples' counts times 496.
    data = imported(capsys, str(out), "--clients", str(clients), "--by", "project")
    acme = ((5 + 2) * AUGUST, (1000 + 16) * AUGUST, 400 * AUGUST, 500 * AUGUST)
    assert by_client(data) == {"Acme Corp": acme, "Globex": acme}
    assert data["period"] == {"start": "2026-08-01", "end": "2026-08-31"}
    assert any("images result(s) skipped" in w for w in data["warnings"])
    assert not any("counted twice" in w for w in data["warnings"])
    # The billed costs, apart: 0.06 (sent as a string) and 0.25 dollars a day, times 496.
    costs = imported(capsys, str(out / "costs"), "--clients", str(clients), "--by", "project")
    assert {c["client"]: c["cost_usd"] for c in costs["clients"]} == \
        {"Acme Corp": pytest.approx(0.06 * AUGUST), "Globex": pytest.approx(0.25 * AUGUST)}
    assert no_wait == []


def test_anthropic_pull_sends_its_headers_and_rfc3339_times(
        anthropic_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pulled"
    summary = pull_json(capsys, ["pull", "anthropic", *AUGUST_ARGS, "-o", str(out),
                                 "--base-url", anthropic_api.url])
    assert anthropic_api.problems == []
    assert [f["file"] for f in summary["files"]] == [
        "anthropic-messages_2026-08-01_2026-09-01.json",
        "costs/anthropic-cost_2026-08-01_2026-09-01.json"]
    first = anthropic_api.requests[0][1]
    assert first["starting_at"] == ["2026-08-01T00:00:00Z"]
    assert first["ending_at"] == ["2026-09-01T00:00:00Z"]
    assert first["group_by[]"] == ["api_key_id", "workspace_id", "model", "service_tier"]
    assert anthropic_api.pages_of("messages") == 11
    data = imported(capsys, str(out), "--clients", str(clients), "--by", "api_key")
    # The docs example: 1500 uncached + 200 cache reads + 500 + 1000 cache writes in, 500 out.
    each = (0, (1500 + 200 + 500 + 1000) * AUGUST, 200 * AUGUST, 500 * AUGUST)
    assert by_client(data) == {"Acme Corp": each, "Globex": each}
    costs = imported(capsys, str(out / "costs"), "--clients", str(clients), "--by",
                     "workspace")
    # 123.78912 cents a day, times 496, in dollars.
    assert {c["client"]: c["cost_usd"] for c in costs["clients"]} == {
        "Acme Corp": pytest.approx(123.78912 * AUGUST / 100),
        "Globex": pytest.approx(123.78912 * AUGUST / 100)}


def test_retries_429_and_500_honouring_retry_after(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    openai_api.faults = [Fault("completions", "429", page=2, retry_after="2"),
                         Fault("completions", "500", page=2, retry_after=None),
                         Fault("completions", "503", page=2, retry_after="0")]
    out = tmp_path / "pulled"
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 openai_api.url, "--endpoint", "completions"]) == 0
    err = capsys.readouterr().err
    # Retry-After 2, then no Retry-After: the second wait of the backoff (1 s doubled), then 0.
    assert no_wait == [2, 2, 0]
    assert "HTTP 429" in err and "retrying in 2 s (attempt 2 of 6)" in err
    assert openai_api.pages_of("completions") == 11 + 3


def test_backoff_doubles_and_gives_up_after_the_bounded_attempts(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    openai_api.faults = [Fault("completions", "500", times=99, retry_after=None)]
    code = main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--base-url",
                 openai_api.url, "--endpoint", "completions"])
    err = capsys.readouterr().err
    assert code == 2
    assert no_wait == [1, 2, 4, 8, 16]  # five retries after the first attempt
    assert err.splitlines()[-1] == (
        "xlmargin pull: error: OpenAI /v1/organization/usage/completions 2026-08-01 to "
        "2026-09-01 page 1: HTTP 500: try again; gave up after 6 attempts")


def test_a_retry_after_too_long_is_not_waited_out(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    openai_api.faults = [Fault("completions", "429", retry_after="3600")]
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--base-url",
                 openai_api.url]) == 2
    assert "the API asks to wait 3600 s: try again later" in capsys.readouterr().err
    assert no_wait == []


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 9, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert http.retry_after("Tue, 01 Sep 2026 12:00:30 GMT", now) == 30
    assert http.retry_after("7", now) == 7
    assert http.retry_after("soon", now) is None


def test_a_slow_answer_times_out_and_is_asked_again(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    openai_api.faults = [Fault("completions", "slow", page=1)]
    openai_api.slow_seconds = 1.5
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--base-url",
                 openai_api.url, "--endpoint", "completions", "--timeout", "0.3"]) == 0
    assert "no answer within 0.3 s; retrying in 1 s" in capsys.readouterr().err
    assert no_wait == [1]


def test_the_window_the_api_refuses_is_one_line(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openai_api.faults = [Fault("completions", "400")]
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--base-url",
                 openai_api.url]) == 2
    assert capsys.readouterr().err == (
        "xlmargin pull: error: OpenAI refused /v1/organization/usage/completions 2026-08-01 "
        "to 2026-09-01 page 1 (HTTP 400: start_time is too far in the past)\n")


def test_the_readme_pull_examples_run(openai_api: FakeAdminApi, anthropic_api: FakeAdminApi,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The README's pull commands, as written, against the stand-in APIs (--base-url)."""
    import re
    import shlex

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"^    xlmargin (pull [^#\n]*?)\s*(?:#.*)?$", readme, flags=re.M)
    examples = [shlex.split(line) for line in found]
    assert [argv[1] for argv in examples] == ["openai", "anthropic"]
    openai_api.per_page = anthropic_api.per_page = 31  # a page a month: quicker
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").symlink_to(Path(__file__).parents[1] / "templates")
    for argv in examples:
        url = openai_api.url if argv[1] == "openai" else anthropic_api.url
        assert main([*argv, "--base-url", url]) == 0, argv
    assert (tmp_path / "usage" / "openai" / "openai-completions_2026-10-01_2026-11-01.json"
            ).is_file()
    # The sample map knows no Anthropic key: all of it is unattributed, none lost.
    assert "record(s) unattributed: no mapped identifier" in capsys.readouterr().out
    assert openai_api.problems == anthropic_api.problems == []
