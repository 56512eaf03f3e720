"""A workbook reached through a symbolic link is written through: the file the link points to
is updated, the link stays a link, the backup goes beside that file, and the run says so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import lock
from xlmargin.sheets.actuals import ACTUALS
from xlmargin.sheets.lock import locked

AS_OF = ["--as-of", "2026-11-01"]
USAGE = ("date,client,model,input_tokens,output_tokens,cost_usd\n"
         "2026-09-01,Harbor Dental Group,gpt-4o,1,1,10\n"
         "2026-09-30,Harbor Dental Group,gpt-4o,1,1,20\n")


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """(link, target): ``current.xlsx`` in one folder pointing at a workbook in another, by a
    relative path, as a user links this month's workbook."""
    (tmp_path / "2026").mkdir()
    (tmp_path / "work").mkdir()
    target = tmp_path / "2026" / "acme.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(target), *AS_OF]) == 0
    link = tmp_path / "work" / "current.xlsx"
    link.symlink_to(Path("..") / "2026" / "acme.xlsx")
    (tmp_path / "work" / "usage.csv").write_text(USAGE, encoding="utf-8")
    return link, target


def test_an_import_through_a_link_updates_its_target_and_keeps_the_link(
        linked: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    link, target = linked
    original = target.read_bytes()
    capsys.readouterr()
    assert main(["import-usage", str(link.parent / "usage.csv"), "--workbook", str(link)]) == 0
    out = capsys.readouterr().out
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "2026", "acme.xlsx")
    assert ACTUALS in load_workbook(target).sheetnames
    [backup] = target.parent.glob("acme.bak-*.xlsx")
    assert backup.read_bytes() == original
    assert sorted(p.name for p in link.parent.iterdir()) == ["current.xlsx", "usage.csv"]
    assert sorted(p.name for p in target.parent.iterdir()) == sorted(["acme.xlsx", backup.name])
    assert (f"note: {link} is a symbolic link: wrote the file it points to, {target}, and kept "
            f"the original beside it as {backup}\n") in out


def test_new_force_through_a_link_replaces_its_target(linked: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    link, target = linked
    capsys.readouterr()
    assert main(["new", "Other Agency", "--formulas", "native", "-o", str(link), "--force",
                 *AS_OF]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"note: {link} is a symbolic link: wrote the file it points to, {target}"]
    assert link.is_symlink()
    assert load_workbook(target)["Clients"]["A1"].value == "Other Agency: clients"


def test_a_dangling_link_is_written_through_too(tmp_path: Path) -> None:
    link = tmp_path / "current.xlsx"
    link.symlink_to("acme.xlsx")  # the workbook it names does not exist yet
    assert main(["new", "Acme", "--formulas", "native", "-o", str(link), *AS_OF]) == 0
    assert link.is_symlink() and (tmp_path / "acme.xlsx").is_file()


def test_two_links_to_one_workbook_share_its_lock(linked: tuple[Path, Path],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    link, target = linked
    before = target.read_bytes()
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.2)
    capsys.readouterr()
    with locked(target):  # another run, writing the workbook by its own name
        code = main(["import-usage", str(link.parent / "usage.csv"), "--workbook", str(link)])
    assert (code, capsys.readouterr().err) == (
        2, f"xlmargin import-usage: error: {link}: another xlmargin is writing it (waited "
           "0.2 s); run again when it has finished\n")
    assert target.read_bytes() == before
