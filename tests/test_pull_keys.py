"""The admin key: read from the environment or a file, never from the command line, and never
in any output, message or written file, whatever fails (401, 403, a network failure), even
when the API's own error text repeats the key it was given."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fake_admin_api import ANTHROPIC_KEY, OPENAI_KEY, FakeAdminApi, Fault

from xlmargin.cli import main

AUGUST_ARGS = ["--since", "2026-08-01", "--until", "2026-09-01"]
WRONG = "sk-admin-WRONGKEY-9876543210fedcbaQQQ"


def written(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def assert_nowhere(key: str, capsys: pytest.CaptureFixture[str], folder: Path) -> str:
    """The captured stderr, once the key is known to be in neither output nor any file."""
    out, err = capsys.readouterr()
    for text in (out, err):
        assert key not in text
        assert key[-12:] not in text  # nor a tail of it
    if folder.exists():
        assert key.encode() not in written(folder)
    return err


def test_a_wrong_key_is_a_401_line_naming_where_it_came_from_not_the_key(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", WRONG)
    out = tmp_path / "p"
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 openai_api.url]) == 2
    err = assert_nowhere(WRONG, capsys, out)
    # The API's message repeats the key; the line shows it scrubbed.
    assert err.startswith("xlmargin pull: error: OpenAI refused the key from OPENAI_ADMIN_KEY "
                          "(HTTP 401: Incorrect API key provided: [key]): the usage and costs "
                          "endpoints need an organization Admin key")
    assert len(err.splitlines()) == 1


def test_a_key_without_the_scope_is_a_403_line_naming_the_scope(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openai_api.faults = [Fault("costs", "403")]
    out = tmp_path / "p"
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 openai_api.url, "--endpoint", "costs"]) == 2
    err = assert_nowhere(OPENAI_KEY, capsys, out)
    assert err.startswith("xlmargin pull: error: OpenAI: the key from OPENAI_ADMIN_KEY may not "
                          "read /v1/organization/costs (HTTP 403: Missing scopes: "
                          "api.usage.read)")


def test_a_network_failure_says_where_and_not_the_key(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "p"
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 f"http://127.0.0.1:{port}"]) == 2
    err = assert_nowhere(OPENAI_KEY, capsys, out)
    assert err.splitlines()[-1] == (
        "xlmargin pull: error: OpenAI /v1/organization/usage/completions 2026-08-01 to "
        "2026-09-01 page 1: network failure (could not connect, 127.0.0.1); gave up after 6 "
        "attempts")
    assert len(no_wait) == 5


def test_the_key_from_a_file(openai_api: FakeAdminApi, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY")
    key_file = tmp_path / "openai.key"
    key_file.write_text(OPENAI_KEY + "\n", encoding="utf-8")
    out = tmp_path / "p"
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 openai_api.url, "--endpoint", "completions", "--key-file",
                 str(key_file)]) == 0
    assert_nowhere(OPENAI_KEY, capsys, out)
    key_file.write_text(WRONG, encoding="utf-8")
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 openai_api.url, "--refresh", "--key-file", str(key_file)]) == 2
    err = assert_nowhere(WRONG, capsys, out)
    assert f"refused the key from --key-file {key_file} (HTTP 401" in err


def test_no_key_and_a_malformed_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    assert main(["pull", "anthropic", *AUGUST_ARGS, "-o", str(tmp_path / "p")]) == 2
    assert capsys.readouterr().err == (
        "xlmargin pull: error: ANTHROPIC_ADMIN_KEY: no admin key: set ANTHROPIC_ADMIN_KEY, or "
        "give --key-file PATH (a key is never taken on the command line)\n")
    two_lines = "sk-ant-admin01-FIRSTHALF\nsk-ant-admin01-SECOND"
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", two_lines)
    assert main(["pull", "anthropic", *AUGUST_ARGS, "-o", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert "FIRSTHALF" not in err and "one key on one line" in err


def test_a_key_typed_on_the_command_line_is_refused_without_echoing_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--key", OPENAI_KEY])
    assert stop.value.code == 2
    err = assert_nowhere(OPENAI_KEY, capsys, tmp_path)
    assert "unrecognized arguments: --key sk-…" in err


def test_anthropic_401_names_its_variable(anthropic_api: FakeAdminApi, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = ANTHROPIC_KEY.replace("TESTKEY", "NOTTHEKEY")
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", wrong)
    out = tmp_path / "p"
    assert main(["pull", "anthropic", *AUGUST_ARGS, "-o", str(out), "--base-url",
                 anthropic_api.url]) == 2
    err = assert_nowhere(wrong, capsys, out)
    assert err.startswith("xlmargin pull: error: Anthropic refused the key from "
                          "ANTHROPIC_ADMIN_KEY (HTTP 401: invalid x-api-key): the usage and "
                          "cost reports need an organization Admin key (sk-ant-admin...")


def test_a_progress_line_per_page_on_a_terminal(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["pull", "openai", *AUGUST_ARGS, "-o", str(tmp_path / "p"), "--base-url",
                 openai_api.url, "--endpoint", "completions"]) == 0
    err = assert_nowhere(OPENAI_KEY, capsys, tmp_path / "p")
    lines = [line for line in err.splitlines() if ": page " in line]
    assert len(lines) == 11
    assert lines[0] == ("OpenAI completions 2026-08-01 to 2026-09-01: page 1 (3 day(s)), "
                        "more to come")
    assert lines[-1] == "OpenAI completions 2026-08-01 to 2026-09-01: page 11 (1 day(s))"
