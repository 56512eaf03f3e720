"""What a run that is stopped or runs out of disk leaves behind: real `xlmargin` processes
killed mid-save, signals, a full disk (a real 512 KB tmpfs, and a simulated one). Temp files
are named after their workbook and removed on every exit the process controls, a killed run's
are removed by the next run, a backup is complete or absent, and every error names its file."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from xlmargin.cli import main
from xlmargin.sheets import files, tempfiles
from xlmargin.sheets.actuals import ACTUALS
from xlmargin.sheets.tempfiles import STALE_SECONDS, sweep

RUNNER = Path(__file__).parent / "cli_runner.py"
AS_OF = ["--as-of", "2026-11-01"]
USAGE = ("date,client,model,input_tokens,output_tokens,cost_usd\n"
         "2026-09-01,Harbor Dental Group,gpt-4o,1,1,10\n"
         "2026-09-30,Harbor Dental Group,gpt-4o,1,1,20\n")
NO_SPACE = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def temp_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}~xlmargin-(\d+)-[0-9a-f]{{8}}\.tmp")


def new(path: Path, *extra: str) -> None:
    assert main(["new", "Acme", "--formulas", "native", "-o", str(path), *AS_OF, *extra]) == 0


def usage_file(folder: Path) -> Path:
    path = folder / "usage.csv"
    path.write_text(USAGE, encoding="utf-8")
    return path


def paused(*args: str | Path, cwd: Path) -> tuple[subprocess.Popen[str], Path]:
    """A real xlmargin run stopped just after openpyxl wrote its temp file."""
    child = subprocess.Popen([sys.executable, str(RUNNER), *map(str, args)], cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "RUNNER_PAUSE_AFTER_SAVE": "1"})
    line = child.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("saved "), (line, child.stderr.read())  # type: ignore[union-attr]
    return child, Path(line.removeprefix("saved ").strip())


# --- killed: the next run cleans up ----------------------------------------------------------

def test_a_killed_new_leaves_a_named_temp_file_the_next_new_removes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    child, temp = paused("new", "Acme", "--formulas", "native", "-o", "acme.xlsx", *AS_OF,
                         cwd=tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    found = temp_pattern("acme.xlsx").fullmatch(temp.name)
    assert found and int(found.group(1)) == child.pid and temp.parent == tmp_path
    assert (tmp_path / temp.name).stat().st_size > 0
    assert not (tmp_path / "acme.xlsx").exists()  # never half a workbook under its name

    capsys.readouterr()
    new(tmp_path / "acme.xlsx")
    assert capsys.readouterr().out.splitlines()[1:] == [
        f"note: removed {temp.name}, a temp file left by an xlmargin run that was stopped "
        "before it finished"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.xlsx"]


def test_a_killed_import_leaves_the_workbook_whole_and_the_next_import_cleans_up(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agency.xlsx"
    new(path)
    original = path.read_bytes()
    usage = usage_file(tmp_path)
    child, temp = paused("import-usage", usage, "--workbook", path, cwd=tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert temp_pattern("agency.xlsx").fullmatch(temp.name)
    assert path.read_bytes() == original
    # Its backup was finished before the save began: complete, never a part of the file.
    [backup] = tmp_path.glob("agency.bak-*.xlsx")
    assert backup.read_bytes() == original

    capsys.readouterr()
    assert main(["import-usage", str(usage), "--workbook", str(path)]) == 0
    assert f"note: removed {temp.name}" in capsys.readouterr().out
    assert load_workbook(path)[ACTUALS]["A1"].value
    assert not list(tmp_path.glob(".*"))  # no temp or lock file


@pytest.mark.parametrize(("stop", "code", "said"), [
    (signal.SIGTERM, 128 + signal.SIGTERM, "stopped by SIGTERM"),
    (signal.SIGHUP, 128 + signal.SIGHUP, "stopped by SIGHUP"),
    (signal.SIGINT, 128 + signal.SIGINT, "interrupted"),
])
@pytest.mark.parametrize("command", ["new", "import-usage"])
def test_a_stopped_run_removes_its_temp_files_and_says_so_in_one_line(
        tmp_path: Path, command: str, stop: signal.Signals, code: int, said: str) -> None:
    path = tmp_path / "agency.xlsx"
    new(path)
    original = path.read_bytes()
    args = (["new", "Other", "--formulas", "native", "-o", path, "--force", *AS_OF]
            if command == "new" else ["import-usage", usage_file(tmp_path), "--workbook", path])
    before = sorted(tmp_path.iterdir())
    child, temp = paused(*args, cwd=tmp_path)
    assert temp.exists()
    child.send_signal(stop)
    assert child.wait(timeout=30) == code
    assert child.stderr.read() == f"xlmargin {command}: {said}\n"  # type: ignore[union-attr]
    assert path.read_bytes() == original
    assert sorted(tmp_path.iterdir()) == before  # no temp, lock or backup file


# --- a full disk -----------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB filesystem (tmpfs; needs root), filled up by each test with ``leave_free``."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def leave_free(folder: Path, free: int) -> None:
    """Fill ``folder``'s filesystem until ``free`` bytes are left."""
    stats = os.statvfs(folder)
    available = stats.f_bavail * stats.f_frsize
    assert available > free
    (folder / "filler").write_bytes(b"\0" * (available - free))


def xlmargin(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """A real run: whatever it prints at exit (a failed zip's garbage collection) is seen."""
    return subprocess.run([sys.executable, "-m", "xlmargin", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


# Free space in workbooks: nothing fits; a first step fits (an import writes a backup, then
# the new file; an xlwings Lite workbook's parts are added in a second copy); everything fits.
FREE = (0.1, 1.4, 6.0)


def workbook_size(mode: str, folder: Path) -> int:
    """The size of a workbook ``new`` makes today (they grow as the product does)."""
    path = folder / ("size.xlsm" if mode == "udf" else "size.xlsx")
    assert xlmargin("new", "Acme", "--formulas", mode, "-o", path, *AS_OF).returncode == 0
    size = path.stat().st_size
    path.unlink()
    return size


@pytest.mark.parametrize("mode", ["native", "lite", "udf"])
def test_a_full_disk_at_each_step_of_new_is_one_line_naming_the_file(
        small_disk: Path, mode: str) -> None:
    path = small_disk / ("acme.xlsm" if mode == "udf" else "acme.xlsx")
    size = workbook_size(mode, small_disk.parent)
    failed = 0
    for free in FREE:
        for old in small_disk.iterdir():
            old.unlink()
        leave_free(small_disk, int(free * size))
        run = xlmargin("new", "Acme", "--formulas", mode, "-o", path, *AS_OF)
        if run.returncode == 0:
            assert run.stderr == "" and load_workbook(path, keep_vba=mode == "udf")
        else:
            failed += 1
            assert (run.returncode, run.stderr) == (2, f"xlmargin new: error: {path}: cannot "
                                                       "write: No space left on device\n")
        assert sorted(p.name for p in small_disk.iterdir()) == sorted(
            ["filler", *([path.name] if run.returncode == 0 else [])]), free
    assert 0 < failed < len(FREE)  # the sizes span failing and fitting


@pytest.mark.parametrize("mode", ["native", "lite", "udf"])
def test_a_full_disk_at_each_step_of_an_import_keeps_the_original(
        small_disk: Path, mode: str) -> None:
    path = small_disk / ("agency.xlsm" if mode == "udf" else "agency.xlsx")
    usage = usage_file(small_disk.parent)
    failed = 0
    for free in FREE:
        for old in small_disk.iterdir():
            old.unlink()
        assert xlmargin("new", "Acme", "--formulas", mode, "-o", path, *AS_OF).returncode == 0
        original = path.read_bytes()
        leave_free(small_disk, int(free * len(original)))
        run = xlmargin("import-usage", usage, "--workbook", path)
        names = sorted(p.name for p in small_disk.iterdir())
        if run.returncode == 0:
            [backup] = small_disk.glob("agency.bak-*")
            assert backup.read_bytes() == original
            assert names == sorted(["filler", path.name, backup.name])
            continue
        failed += 1
        assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
        assert re.fullmatch(
            rf"xlmargin import-usage: error: ({re.escape(str(path))}: cannot write"
            rf"|{re.escape(str(small_disk))}/agency\.bak-\d{{8}}-\d{{6}}\{path.suffix}: cannot "
            rf"write the backup): No space left on device(; {re.escape(str(path))} is "
            r"unchanged)?\n", run.stderr), run.stderr
        assert path.read_bytes() == original
        assert names == sorted(["filler", path.name]), free
    assert 0 < failed < len(FREE)


# Free space in workbooks: the backup does not fit; the backup fits and the new file does not.
@pytest.mark.parametrize("free", [0.25, 1.5], ids=["backup-fails", "save-fails"])
def test_a_full_disk_import_says_which_file_did_not_fit(small_disk: Path, free: float) -> None:
    path = small_disk / "agency.xlsx"
    new(path)
    original = path.read_bytes()
    usage = usage_file(small_disk.parent)
    leave_free(small_disk, int(free * len(original)))
    run = xlmargin("import-usage", usage, "--workbook", path)
    assert run.returncode == 2
    if free < 1:
        assert re.fullmatch(rf"xlmargin import-usage: error: {re.escape(str(small_disk))}/"
                            r"agency\.bak-\d{8}-\d{6}\.xlsx: cannot write the backup: No space "
                            rf"left on device; {re.escape(str(path))} is unchanged\n",
                            run.stderr), run.stderr
    else:
        assert run.stderr == (f"xlmargin import-usage: error: {path}: cannot write: No space "
                              "left on device\n")
    assert path.read_bytes() == original
    assert sorted(p.name for p in small_disk.iterdir()) == ["agency.xlsx", "filler"]


def test_a_full_disk_while_backing_up_leaves_no_truncated_backup(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The same, simulated: half the copy is written, then the disk is full.
    path = tmp_path / "agency.xlsx"
    new(path)
    original = path.read_bytes()
    usage = usage_file(tmp_path)

    def half_then_full(source: object, target: object, *args: object) -> None:
        target.write(source.read(len(original) // 2))  # type: ignore[attr-defined]
        raise NO_SPACE

    monkeypatch.setattr(shutil, "copyfileobj", half_then_full)
    capsys.readouterr()
    assert main(["import-usage", str(usage), "--workbook", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(rf"xlmargin import-usage: error: {re.escape(str(tmp_path))}/agency"
                        r"\.bak-\d{8}-\d{6}\.xlsx: cannot write the backup: No space left on "
                        rf"device; {re.escape(str(path))} is unchanged\n", err), err
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsx", "usage.csv"]


def test_a_full_disk_while_saving_names_the_workbook(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agency.xlsx"
    new(path)
    original = path.read_bytes()
    usage = usage_file(tmp_path)

    def part_then_full(wb: Workbook, temp: Path) -> None:
        temp.write_bytes(b"PK\x03\x04 half a zip")
        raise NO_SPACE

    monkeypatch.setattr(files, "write_xlsx", part_then_full)
    capsys.readouterr()
    assert main(["import-usage", str(usage), "--workbook", str(path)]) == 2
    assert capsys.readouterr().err == (f"xlmargin import-usage: error: {path}: cannot write: "
                                       "No space left on device\n")
    assert main(["new", "Acme", "-o", str(tmp_path / "b.xlsx"), *AS_OF]) == 2
    assert capsys.readouterr().err == (f"xlmargin new: error: {tmp_path / 'b.xlsx'}: cannot "
                                       "write: No space left on device\n")
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsx", "usage.csv"]


def test_a_full_disk_while_adding_the_lite_parts_names_the_workbook_not_the_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from xlmargin.sheets import lite_parts

    def full(*args: object) -> None:
        raise NO_SPACE

    monkeypatch.setattr(lite_parts, "_rewrite", full)
    path = tmp_path / "acme.xlsx"
    assert main(["new", "Acme", "-o", str(path), *AS_OF]) == 2
    assert capsys.readouterr().err == (f"xlmargin new: error: {path}: cannot write: No space "
                                       "left on device\n")
    assert list(tmp_path.iterdir()) == []


# --- which leftovers the next run removes ----------------------------------------------------

def test_sweep_removes_leftovers_of_dead_or_old_runs_only(tmp_path: Path) -> None:
    target = tmp_path / "agency.xlsx"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = os.getppid()  # pytest's parent: running, and not this process
    made = {
        "dead": f".agency.xlsx~xlmargin-{dead.pid}-0123abcd.tmp",
        "dead-parts": f"..agency.xlsx~xlmargin-{dead.pid}-0123abcd-parts-x1y2.tmp",
        "alive": f".agency.xlsx~xlmargin-{alive}-89abcdef.tmp",
        "alive-old": f".agency.xlsx~xlmargin-{alive}-00000000.tmp",
        "mine": f".agency.xlsx~xlmargin-{os.getpid()}-11111111.tmp",  # a reused process id
        "other-workbook": f".other.xlsx~xlmargin-{dead.pid}-22222222.tmp",
        "users-own": ".agency.xlsx.notes",
    }
    for name in made.values():
        (tmp_path / name).write_bytes(b"x")
    old = time.time() - STALE_SECONDS - 60
    os.utime(tmp_path / made["alive-old"], (old, old))
    removed = sweep(target)
    assert sorted(p.name for p in removed) == sorted(
        made[k] for k in ("dead", "dead-parts", "alive-old", "mine"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        made[k] for k in ("alive", "other-workbook", "users-own"))


def test_temp_files_are_named_after_their_workbook_and_private(tmp_path: Path) -> None:
    temp = tempfiles.new_temp(tmp_path / "agency.xlsx")
    found = temp_pattern("agency.xlsx").fullmatch(temp.name)
    assert found and int(found.group(1)) == os.getpid()
    assert temp.stat().st_mode & 0o777 == 0o600
