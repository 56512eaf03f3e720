"""What `xlmargin pull` keeps: a pull cut half-way resumes at its last complete page; a
re-pull of an overlapping window replaces the month's file; pulls into two folders with
overlapping windows are imported together without counting the overlap twice; a settled
month is not asked for again; `--import` imports what was pulled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_admin_api import FakeAdminApi, Fault

from xlmargin.cli import main

AUGUST = 31 * 32 // 2  # 1 + 2 + ... + 31: day d holds the fixture's counts d times
AUGUST_ARGS = ["--since", "2026-08-01", "--until", "2026-09-01"]
ONLY = ["--endpoint", "completions"]


def pull(api: FakeAdminApi, out: Path, *argv: str) -> int:
    return main(["pull", "openai", "-o", str(out), "--base-url", api.url, *argv])


def imported(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["import-usage", *argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def totals(data: dict[str, Any]) -> dict[str, tuple[int, int, int, float]]:
    return {c["client"]: (c["requests"], c["input_tokens"], c["output_tokens"], c["cost_usd"])
            for c in data["clients"]}


def completions(api: FakeAdminApi) -> list[dict[str, list[str]]]:
    return [q for p, q in api.requests if p.endswith("/completions")]


def test_a_cut_pull_resumes_at_its_last_page_and_imports_as_an_uninterrupted_one(
        openai_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str], no_wait: list[float]) -> None:
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert pull(openai_api, whole, *AUGUST_ARGS, *ONLY) == 0
    expected = imported(capsys, str(whole), "--clients", str(clients), "--by", "project")
    openai_api.requests.clear()
    # Every answer to page 5 is cut half-way through its body: pages 1-4 are saved.
    openai_api.faults = [Fault("completions", "cut", page=5, times=99)]
    assert pull(openai_api, cut, *AUGUST_ARGS, *ONLY) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith("page 5: network failure (the connection was cut, "
                                         "127.0.0.1); gave up after 6 attempts")
    assert len(completions(openai_api)) == 4 + 6
    assert not list(cut.glob("*.json"))  # no month file until its last page is in
    partial = cut / ".xlmargin-pull" / "partial" / "openai-completions_2026-08-01_2026-09-01"
    assert sorted(p.name for p in partial.iterdir()) == [
        "page-0001.json", "page-0002.json", "page-0003.json", "page-0004.json", "state.json"]
    # The next pull asks for page 5 first, with the cursor page 4 gave, and no page again.
    openai_api.faults, openai_api.requests[:] = [], []
    capsys.readouterr()
    assert pull(openai_api, cut, *AUGUST_ARGS, *ONLY, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(f["status"], f["pages"]) for f in summary["files"]] == [("resumed", 11 - 4)]
    requested = completions(openai_api)
    assert len(requested) == 7 and "page" in requested[0]
    assert not partial.exists()
    assert (cut / "openai-completions_2026-08-01_2026-09-01.json").read_bytes() == \
        (whole / "openai-completions_2026-08-01_2026-09-01.json").read_bytes()
    again = imported(capsys, str(cut), "--clients", str(clients), "--by", "project")
    assert totals(again) == totals(expected)
    assert totals(again)["Acme Corp"][:3] == (5 * AUGUST, 1000 * AUGUST, 500 * AUGUST)


def test_a_rejected_saved_cursor_pulls_the_window_again(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_wait: list[float]) -> None:
    out = tmp_path / "p"
    openai_api.faults = [Fault("completions", "cut", page=3, times=99)]
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY) == 2
    openai_api.faults = [Fault("completions", "400", page=3)]  # the cursor has expired
    openai_api.requests.clear()
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(f["status"], f["pages"]) for f in summary["files"]] == [("pulled", 11)]
    assert "page" not in completions(openai_api)[1]  # after the refusal: from page 1


def test_an_overlapping_re_pull_replaces_the_month_and_counts_once(
        openai_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    assert pull(openai_api, out, "--since", "2026-08-01", "--until", "2026-08-20", *ONLY) == 0
    assert pull(openai_api, out, "--since", "2026-08-10", "--until", "2026-09-01", *ONLY) == 0
    # The second pull covers what the first file held too (the month from its 1st).
    assert [p.name for p in out.glob("*.json")] == [
        "openai-completions_2026-08-01_2026-09-01.json"]
    start = completions(openai_api)[-1]["start_time"]
    assert start == completions(openai_api)[0]["start_time"]
    manifest = json.loads((out / ".xlmargin-pull" / "manifest.json").read_text())
    assert list(manifest["files"]) == ["openai-completions_2026-08-01_2026-09-01.json"]
    data = imported(capsys, str(out), "--clients", str(clients), "--by", "project")
    assert totals(data)["Acme Corp"][:3] == (5 * AUGUST, 1000 * AUGUST, 500 * AUGUST)
    assert data["duplicates"]["dropped"] == 0


def test_two_folders_with_overlapping_windows_count_the_overlap_once(
        openai_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert pull(openai_api, first, "--since", "2026-08-01", "--until", "2026-08-20", *ONLY) == 0
    assert pull(openai_api, second, "--since", "2026-08-10", "--until", "2026-09-01",
                *ONLY) == 0
    data = imported(capsys, str(first), str(second), "--clients", str(clients), "--by",
                    "project")
    # Days 10-19 are in both folders: 10 days x 2 clients, dropped once each.
    assert data["duplicates"]["dropped"] == 10 * 2
    assert totals(data)["Acme Corp"][:3] == (5 * AUGUST, 1000 * AUGUST, 500 * AUGUST)
    assert data["duplicates"]["conflicts"] == []


def test_a_settled_month_is_kept_and_not_asked_for_again(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    # August ended more than two days before today's pull (the tests run after 2026-09-03).
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY) == 0
    asked = len(openai_api.requests)
    capsys.readouterr()
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(f["status"], f["pages"]) for f in summary["files"]] == [("kept", 0)]
    assert len(openai_api.requests) == asked
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY, "--refresh") == 0
    assert len(openai_api.requests) == asked + 11


def test_months_are_separate_files(openai_api: FakeAdminApi, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    assert pull(openai_api, out, "--since", "2026-07-15", "--until", "2026-09-01", *ONLY,
                "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [f["file"] for f in summary["files"]] == [
        "openai-completions_2026-07-15_2026-08-01.json",
        "openai-completions_2026-08-01_2026-09-01.json"]
    # July 15-31 is 17 days: pages of 3 days, 6 pages; August 11.
    assert [f["pages"] for f in summary["files"]] == [6, 11]


def test_pull_import_imports_what_was_pulled_with_the_import_options(
        openai_api: FakeAdminApi, tmp_path: Path, clients: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    assert pull(openai_api, out, *AUGUST_ARGS, "--endpoint", "completions", "--endpoint",
                "costs", "--import", "--clients", str(clients), "--by", "project",
                "--json") == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "1 pulled" not in captured.out and "2 pulled" in captured.err
    assert [f["file"] for f in data["files"]] == [
        str(out / "openai-completions_2026-08-01_2026-09-01.json")]
    assert totals(data)["Acme Corp"][:3] == (5 * AUGUST, 1000 * AUGUST, 500 * AUGUST)
    assert pull(openai_api, out, *AUGUST_ARGS, "--endpoint", "costs", "--import", "costs",
                "--clients", str(clients), "--by", "project", "--json") == 0
    billed = json.loads(capsys.readouterr().out)
    assert totals(billed)["Globex"][3] == pytest.approx(0.25 * AUGUST)


def test_a_file_the_pull_did_not_write_is_not_replaced(
        openai_api: FakeAdminApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p"
    out.mkdir()
    mine = out / "openai-completions_2026-08-01_2026-09-01.json"
    mine.write_text("{}", encoding="utf-8")
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY) == 2
    assert "was not written by xlmargin pull: move it away, or give --force" in \
        capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "{}"
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY, "--force") == 0
    assert json.loads(mine.read_text(encoding="utf-8").splitlines()[0])["object"] == "page"


def test_one_pull_at_a_time_in_a_folder(openai_api: FakeAdminApi, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from xlmargin.sheets.lock import locked

    out = tmp_path / "p"
    (out / ".xlmargin-pull").mkdir(parents=True)
    with locked(out / ".xlmargin-pull" / "pull"):  # another pull is in this folder
        assert pull(openai_api, out, *AUGUST_ARGS, *ONLY) == 2
    assert f"{out}: another xlmargin is writing it" in capsys.readouterr().err
    assert openai_api.requests == []
    assert pull(openai_api, out, *AUGUST_ARGS, *ONLY) == 0
