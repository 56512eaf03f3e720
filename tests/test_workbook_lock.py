"""Two xlmargin runs writing one workbook at once, as real processes: the second waits for the
first and reads its result (so neither import is lost), or gives up after a bounded wait with
one line saying so; a holder that was killed never blocks the next run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import lock
from xlmargin.sheets.actuals import ACTUALS
from xlmargin.sheets.lock import lock_path, locked

RUNNER = Path(__file__).parent / "cli_runner.py"
AS_OF = ["--as-of", "2026-11-01"]
HEADER = "date,client,model,input_tokens,output_tokens,cost_usd\n"


def usage(folder: Path, name: str, client: str) -> Path:
    path = folder / name
    path.write_text(HEADER + f"2026-09-01,{client},gpt-4o,1,1,10\n"
                             f"2026-09-30,{client},gpt-4o,1,1,20\n", encoding="utf-8")
    return path


def workbook(folder: Path) -> Path:
    path = folder / "agency.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(path), *AS_OF]) == 0
    return path


def start(*args: str | Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(RUNNER), *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def imported_from(path: Path) -> str | None:
    """Which usage file the workbook's Actuals sheet was made from (None: no Actuals sheet)."""
    wb = load_workbook(path, read_only=True)
    try:
        if ACTUALS not in wb.sheetnames:
            return None
        found = re.search(r"from (\S+)$", str(wb[ACTUALS]["B8"].value))
        assert found, wb[ACTUALS]["B8"].value
        return found.group(1)
    finally:
        wb.close()


def backup_named(out: str, folder: Path) -> Path:
    found = re.search(r"the original is kept as (\S+)", out)
    assert found, out
    return folder / found.group(1)


def test_two_imports_at_once_are_serialised_and_neither_is_lost(tmp_path: Path) -> None:
    path = workbook(tmp_path)
    original = path.read_bytes()
    files = [usage(tmp_path, "harbor.csv", "Harbor Dental Group"),
             usage(tmp_path, "atlas.csv", "Atlas Manufacturing")]
    # Each run holds the loaded workbook for 1.5 s before saving: started together, they
    # would both read the original without the lock, and one import would be in no file.
    runs = [start("import-usage", f, "--workbook", path, cwd=tmp_path, RUNNER_SLOW_LOAD="1.5")
            for f in files]
    results = [(run.wait(timeout=120), run.stdout.read(), run.stderr.read())  # type: ignore[union-attr]
               for run in runs]
    for code, _out, err in results:
        assert code == 0, err
    backups = {f.name: backup_named(out, tmp_path) for f, (_c, out, _e) in zip(files, results,
                                                                                 strict=True)}
    last = imported_from(path)
    first = next(name for name in backups if name != last)
    # The run that went second backed up the first one's result; the first, the original.
    assert imported_from(backups[last]) == first  # type: ignore[index]
    assert backups[first].read_bytes() == original
    assert {last, imported_from(backups[last])} == {"harbor.csv", "atlas.csv"}  # type: ignore[index]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["agency.xlsx", "harbor.csv", "atlas.csv", *(b.name for b in backups.values())])


def test_a_run_that_waits_too_long_fails_with_one_line_and_writes_nothing(
        tmp_path: Path) -> None:
    path = workbook(tmp_path)
    files = [usage(tmp_path, "harbor.csv", "Harbor Dental Group"),
             usage(tmp_path, "atlas.csv", "Atlas Manufacturing")]
    # The first holds the workbook for 5 s; the second gives up after 0.5 s.
    first = start("import-usage", files[0], "--workbook", path, cwd=tmp_path,
                  RUNNER_SLOW_LOAD="5", RUNNER_LOCK_WAIT="0.5")
    deadline = time.monotonic() + 60
    while not lock_path(path).exists():  # the first has the lock
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    second = start("import-usage", files[1], "--workbook", path, cwd=tmp_path,
                   RUNNER_LOCK_WAIT="0.5")
    code, out, err = second.wait(timeout=60), second.stdout.read(), second.stderr.read()  # type: ignore[union-attr]
    assert code == 2 and out == ""
    assert err == (f"xlmargin import-usage: error: {path}: another xlmargin is writing it "
                   "(waited 0.5 s); run again when it has finished\n")
    assert first.wait(timeout=60) == 0, first.stderr.read()  # type: ignore[union-attr]
    assert imported_from(path) == "harbor.csv"
    assert len(list(tmp_path.glob("agency.bak-*.xlsx"))) == 1  # the first run's only
    assert not list(tmp_path.glob(".agency*"))  # no lock or temp file left


def test_new_force_waits_for_an_import_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = workbook(tmp_path)
    before = path.read_bytes()
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.2)
    capsys.readouterr()
    with locked(path):  # another process's lock is the same: a second open file description
        code = main(["new", "Other", "--formulas", "native", "-o", str(path), "--force",
                     *AS_OF])
    assert code == 2
    assert capsys.readouterr().err == (f"xlmargin new: error: {path}: another xlmargin is "
                                       "writing it (waited 0.2 s); run again when it has "
                                       "finished\n")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsx"]


def test_a_killed_holder_does_not_block_the_next_run(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = workbook(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from xlmargin.sheets.lock import locked\n"
         "with locked(Path(sys.argv[1])):\n    print('locked', flush=True)\n"
         "    time.sleep(600)\n", str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"  # type: ignore[union-attr]
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert lock_path(path).exists()  # left behind, but nobody holds it any more
    started = time.monotonic()
    code = main(["import-usage", str(usage(tmp_path, "harbor.csv", "Harbor Dental Group")),
                 "--workbook", str(path)])
    assert code == 0, capsys.readouterr().err
    assert time.monotonic() - started < lock.WAIT_SECONDS  # it did not wait for a dead holder
    assert imported_from(path) == "harbor.csv"
    assert not lock_path(path).exists()  # taken over, then removed


def test_the_lock_is_released_on_error_and_its_file_removed(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    path = workbook(tmp_path)
    wb = load_workbook(path)
    wb.create_sheet(ACTUALS)["A1"] = "My own actuals"  # the import refuses to replace it
    wb.save(path)
    code = main(["import-usage", str(usage(tmp_path, "harbor.csv", "Harbor Dental Group")),
                 "--workbook", str(path)])
    assert code == 2 and "was not written by xlmargin" in capsys.readouterr().err
    assert not lock_path(path).exists()
    with locked(path, wait=0):  # free at once
        pass
