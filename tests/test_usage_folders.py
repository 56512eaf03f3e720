"""`import-usage FOLDER`: the folder's exports, sorted by name; its other files named in a
warning and left out; hidden files and subfolders not read (a subfolder is said); a damaged
export is an error, as when given by itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from xlmargin.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | str]:
    code = main(["import-usage", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else err)


def test_a_folder_is_its_exports_in_name_order(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(FIXTURES / "usage_report_messages.docs_example.json", folder / "b.json")
    shutil.copy(FIXTURES / "usage_completions_page.spec_example.json", folder / "a.json")
    (folder / "notes.txt").write_text("not an export\n", encoding="utf-8")
    (folder / ".hidden.json").write_text("{oops", encoding="utf-8")
    (folder / "costs").mkdir()
    code, data = run(capsys, str(folder))
    assert code == 0 and isinstance(data, dict)
    assert [f["file"] for f in data["files"]] == [str(folder / "a.json"), str(folder / "b.json")]
    assert f"{folder}: not read, not usage exports xlmargin knows (give one by itself to see " \
           "why): notes.txt" in data["warnings"]
    assert f"{folder}: its subfolder(s) costs not read (give them by name to read them)" in \
        data["warnings"]
    # The same as naming the two files.
    code, named = run(capsys, str(folder / "a.json"), str(folder / "b.json"))
    assert isinstance(named, dict)
    assert named["clients"] == data["clients"] and named["unattributed"] == data["unattributed"]


def test_pages_without_buckets_are_no_usage_not_an_unknown_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pulled"
    folder.mkdir()
    (folder / "openai-images_2026-08-01_2026-09-01.json").write_text(
        '{"object": "page", "data": [], "has_more": false, "next_page": null}\n',
        encoding="utf-8")
    code, data = run(capsys, str(folder))
    assert code == 0 and isinstance(data, dict)
    assert data["files"][0]["records"] == 0 and data["clients"] == []


def test_an_empty_folder_or_one_without_exports_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = run(capsys, str(empty))
    assert code == 2 and err == (f"xlmargin import-usage: error: {empty}: an empty folder: no "
                                 "usage export to read\n")
    (empty / "notes.txt").write_text("hello\n", encoding="utf-8")
    code, err = run(capsys, str(empty))
    assert code == 2 and f"{empty}: no usage export xlmargin knows in the folder(s)" in err
    only = tmp_path / "only-folders"
    (only / "costs").mkdir(parents=True)
    code, err = run(capsys, str(only))
    assert code == 2 and "no file to read" in str(err) and "costs not read" in str(err)


def test_a_damaged_export_in_a_folder_is_an_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "page.json").write_text('{"object": "page", "data": [', encoding="utf-8")
    code, err = run(capsys, str(folder))
    assert code == 2 and "page.json:1: not valid JSON" in str(err)
