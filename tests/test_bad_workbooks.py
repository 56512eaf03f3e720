"""Workbooks and names that used to end in a traceback: damaged sheet XML and randomly mutated
workbooks given to `report`, `sensitivity` and `import-usage --workbook`, zip bombs, cells far
past Excel's limit, control characters in names. Each is one line naming the file and exit 2,
or a result (with a warning naming the cells a worksheet could not hold). A full disk during a
save is in test_leftovers.py."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets.actuals import ACTUALS

AS_OF = ["--as-of", "2026-11-01"]
CLIENTS_XML = "xl/worksheets/sheet1.xml"
USAGE = ("date,client,model,input_tokens,output_tokens,cost_usd\n"
         "2026-09-01,Harbor Dental Group,gpt-4o,1,1,10\n"
         "2026-09-30,Harbor Dental Group,gpt-4o,1,1,20\n")
# A clean run ends the test as surely as an exception would: an error from a zip that fails
# again when it is garbage-collected is printed as a traceback after the run's message.
no_unraisable = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("made") / "agency.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(path), *AS_OF]) == 0
    return path


def rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the workbook with each part passed through ``change`` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info, data)
    return target


def one_part(name: str, edit: Callable[[bytes], bytes | None]) -> Callable[[str, bytes],
                                                                           bytes | None]:
    return lambda part, data: edit(data) if part == name else data


def with_laughs(sheet: bytes) -> bytes:
    """The sheet with an entity that expands to 10^8 characters (the billion laughs)."""
    entities = b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10)
                        for i in range(8))
    body = sheet.split(b"?>", 1)[-1]
    body = re.sub(rb'(<c r="A5"[^>]*><is><t>)[^<]*', rb"\1&i;", body, count=1)
    return b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + entities \
        + b"]>" + body


DAMAGED: dict[str, tuple[str, Callable[[bytes], bytes | None]]] = {
    "sheet truncated": (CLIENTS_XML, lambda d: d[: len(d) // 2]),
    "sheet not xml": (CLIENTS_XML, lambda d: b"\x00\xff garbage"),
    "shared string missing": (CLIENTS_XML, lambda d: d.replace(
        b"<sheetData>", b'<sheetData><row r="1"><c r="A1" t="s"><v>99999</v></c></row>', 1)),
    "number not a number": (CLIENTS_XML, lambda d: re.sub(
        rb'(<c r="D5"[^>]*>)<v>[^<]*</v>', rb"\1<v>lots</v>", d, count=1)),
    "style missing": (CLIENTS_XML, lambda d: re.sub(rb'(<c r="A5") s="\d+"',
                                                    rb'\1 s="9999"', d, count=1)),
    "sheet billion laughs": (CLIENTS_XML, with_laughs),
    "pricing truncated": ("xl/worksheets/sheet2.xml", lambda d: d[: len(d) // 3]),
    "assumptions truncated": ("xl/worksheets/sheet3.xml", lambda d: d[:200]),
    "workbook.xml truncated": ("xl/workbook.xml", lambda d: d[: len(d) // 2]),
    "styles not xml": ("xl/styles.xml", lambda d: b"<x>"),
    "content types not xml": ("[Content_Types].xml", lambda d: b"<Types"),
    "package rels missing": ("_rels/.rels", lambda d: None),
    "workbook rels not xml": ("xl/_rels/workbook.xml.rels", lambda d: b"]]>"),
    "clients sheet missing": (CLIENTS_XML, lambda d: None),
    "chart not xml": ("xl/charts/chart1.xml", lambda d: b"<c:chartSpace"),
    "core properties not xml": ("docProps/core.xml", lambda d: b"<cp:"),
}


def mutated(source: Path, target: Path, seed: int) -> Path:
    """``source`` with one part cut, overwritten, spliced or stuffed at random; or the zip's own
    bytes damaged (which breaks a part's compressed data or checksum)."""
    rng = random.Random(seed)
    with zipfile.ZipFile(source) as archive:
        victim = rng.choice(archive.namelist())
    how = rng.choice(["cut", "bytes", "splice", "stuff", "zip"])
    if how == "zip":
        data = bytearray(source.read_bytes())
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        target.write_bytes(bytes(data))
        return target

    def change(data: bytes) -> bytes:
        at = rng.randrange(len(data) + 1)
        if how == "cut":
            return data[:at]
        if how == "bytes":
            out = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                if out:
                    out[rng.randrange(len(out))] = rng.randrange(256)
            return bytes(out)
        if how == "splice":
            start = rng.randrange(len(data) + 1)
            return data[:at] + data[start:start + rng.randint(1, 400)] + data[at:]
        return data[:at] + rng.choice([b"<", b"&", b"</row>", b'"', b"<c r=\"ZZZ0\">",
                                       b"\x00", b"<!DOCTYPE x>"]) + data[at:]

    return rewrite(source, target, one_part(victim, change))


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_clear(code: int, err: str, command: str, path: Path) -> None:
    """A result (0; 1 when rows were left out, with warnings), or one line naming the file."""
    assert code in (0, 1, 2), (code, err)
    assert "Warning:" not in err, err  # no Python warning printed as source lines
    if code == 2:
        assert err.count("\n") == 1 and err.startswith(f"xlmargin {command}: error: {path}"), err


@no_unraisable
@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_workbook_is_one_line_naming_it(made: Path, tmp_path: Path, damage: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    part, edit = DAMAGED[damage]
    with zipfile.ZipFile(made) as archive:
        before = archive.read(part)
    assert edit(before) != before  # the damage is real
    path = rewrite(made, tmp_path / "damaged.xlsx", one_part(part, edit))
    for command in ("report", "sensitivity"):
        code, err = run(capsys, command, path)
        assert_clear(code, err, command, path)
    if damage in ("sheet truncated", "shared string missing"):
        assert code == 2 and "sheet Clients: damaged, cannot be read" in err, err
    if damage == "sheet billion laughs":  # expat refuses the expansion
        assert code == 2 and "amplification" in err, err
    original = path.read_bytes()
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    code, err = run(capsys, "import-usage", tmp_path / "usage.csv", "--workbook", path)
    if code == 0:  # a part openpyxl does without, such as the package's relationships
        assert load_workbook(path)[ACTUALS]["A1"].value
        return
    assert code == 2 and err.count("\n") == 1 and f"error: {path}" in err, err
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.xlsx", "usage.csv"]


@pytest.mark.parametrize(("member", "offset"), [
    ("docProps/app.xml", 6),  # "version needed to extract": 24.2, which zipfile refuses
    ("xl/workbook.xml", 10),  # compression method 242, which nothing reads
    (CLIENTS_XML, 10),
])
def test_a_damaged_zip_directory_is_one_line(made: Path, tmp_path: Path, member: str,
                                             offset: int,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(made.read_bytes())
    entry = data.index(b"PK\x01\x02")  # central directory records, each followed by its name
    while data[entry + 46:entry + 46 + len(member)] != member.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + offset:entry + offset + 2] = b"\xf2\x00"
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    for command in ("report", "sensitivity"):
        code, err = run(capsys, command, path)
        assert code == 2, err
        assert_clear(code, err, command, path)


def test_a_damaged_part_openpyxl_skips_is_one_line_for_the_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lite.xlsx"
    assert main(["new", "Acme", "-o", str(path), *AS_OF]) == 0  # xlwings Lite's parts
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/webextensions/webextension1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 16, start + 32):  # inside its compressed data
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))
    original = path.read_bytes()
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    code, err = run(capsys, "import-usage", tmp_path / "usage.csv", "--workbook", path)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"xlmargin import-usage: error: {path}: not an Excel workbook: "), err
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lite.xlsx", "usage.csv"]


def test_an_xlsm_part_openpyxl_reads_only_when_saving_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = tmp_path / "made.xlsm"
    assert main(["new", "Acme", "--formulas", "udf", "-o", str(made), *AS_OF]) == 0
    path = rewrite(made, tmp_path / "agency.xlsm", one_part("_rels/.rels", lambda d: d[:60]))
    made.unlink()
    original = path.read_bytes()
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    code, err = run(capsys, "import-usage", tmp_path / "usage.csv", "--workbook", path)
    assert (code, err) == (2, f"xlmargin import-usage: error: {path}: not an Excel workbook: a "
                              "part it carries over is damaged (unclosed token: line 1, column "
                              "0)\n")
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agency.xlsm", "usage.csv"]


def test_a_zip_that_fails_again_when_collected_prints_nothing() -> None:
    # What a failed save or load leaves: a zip being written whose file is gone. Collected, it
    # tries to finish and fails; Python would print that as a traceback after our message.
    code = ("import io, sys, zipfile\nfrom xlmargin.cli import main\n"
            "main(['prices', 'gpt-4o', '--json'])\n"
            "archive = zipfile.ZipFile(io.BytesIO(), 'w')\narchive.writestr('a', 'b')\n"
            "archive.fp.close()\ndel archive\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0 and run.stderr == "", run.stderr


@no_unraisable
def test_randomly_mutated_workbooks_never_raise(made: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = {0: 0, 1: 0, 2: 0}
    usage = tmp_path / "usage.csv"
    usage.write_text(USAGE, encoding="utf-8")
    for seed in range(200):
        path = mutated(made, tmp_path / f"mutated-{seed}.xlsx", seed)
        for command in ("report", "sensitivity"):
            code, err = run(capsys, command, path)
            assert_clear(code, err, command, path)
            outcomes[code] += 1
        if seed % 4 == 0:  # the import loads the whole workbook, and writes it
            original = path.read_bytes()
            code, err = run(capsys, "import-usage", usage, "--workbook", path)
            assert code in (0, 2), err
            if code == 2:
                assert err.count("\n") == 1 and f"error: {path}" in err, err
                assert path.read_bytes() == original
            outcomes[code] += 1
        for leftover in tmp_path.glob("mutated-*"):
            leftover.unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usage.csv"]  # nothing else left
    assert outcomes[2] > 40 and outcomes[0] > 40  # both kinds of outcome were exercised


@no_unraisable
def test_defined_names_that_point_nowhere(made: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    path = tmp_path / "names.xlsx"
    wb = load_workbook(made)
    for name, ref in (("RetryRate", "$B$7"),  # edited by hand: no sheet
                      ("ClientNames", "Clients!#REF!"),  # what Excel leaves when rows go
                      ("TargetMargin", "Assumptions!$B:$B"),  # a whole column
                      ("DaysPerMonth", "Assumptions!B7:")):
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    wb.save(path)
    for command in ("report", "sensitivity"):
        code, err = run(capsys, command, path)
        assert_clear(code, err, command, path)
        for name in ("RetryRate", "TargetMargin", "DaysPerMonth"):
            assert f"defined name {name} is missing; using the default" in err, err
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    capsys.readouterr()
    assert main(["import-usage", str(tmp_path / "usage.csv"), "--workbook", str(path)]) == 0
    assert "note: ClientNames does not point at a sheet" in capsys.readouterr().out


# --- zip bombs -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bombs(made: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real ones: a 200 MB part of zeros (1,000:1), and 1.01 GB in parts of 9.9 MB each."""
    folder = tmp_path_factory.mktemp("bombs")
    ratio, total = folder / "ratio.xlsx", folder / "total.xlsx"
    shutil.copy(made, ratio)
    with zipfile.ZipFile(ratio, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/media/image1.bin", bytes(200_000_000))
    shutil.copy(made, total)
    zeros = bytes(9_900_000)
    with zipfile.ZipFile(total, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(102):
            archive.writestr(f"xl/media/image{n}.bin", zeros)
    return {"ratio": ratio, "total": total}


@pytest.mark.parametrize("bomb", ["ratio", "total"])
def test_a_zip_bomb_is_refused_before_anything_is_inflated(
        bombs: dict[str, Path], bomb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = shutil.copy(bombs[bomb], tmp_path / "bomb.xlsx")
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(str(getattr(name, "filename", name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    limits = ("xlmargin opens workbooks up to 1 GB unpacked, with parts over 10 MB compressed "
              "at most 100:1")
    said = {"ratio": "part xl/media/image1.bin would unpack 1,0",
            "total": "it would unpack to 1.0"}[bomb]
    for args in (["report", path], ["sensitivity", path],
                 ["import-usage", tmp_path / "usage.csv", "--workbook", path]):
        code, err = run(capsys, *args)
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"xlmargin {args[0]}: error: {path}: refused before unpacking: "
                              f"{said}") and err.endswith(f"(a zip bomb?); {limits}\n"), err
    assert opened == []  # no part was read, let alone inflated
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["bomb.xlsx", "usage.csv"]


def test_the_limits_leave_room_for_large_real_workbooks(tmp_path: Path) -> None:
    from xlmargin.sheets.files import build_from_files, save_atomic
    from xlmargin.sheets.zipcheck import check_zip

    wb, _count = build_from_files("Acme", extra_rows=5_000)
    path = tmp_path / "large.xlsx"
    save_atomic(wb, path)
    check_zip(path)  # no error
    with zipfile.ZipFile(path) as archive:
        worst = max(i.file_size / i.compress_size for i in archive.infolist()
                    if i.compress_size)
    assert worst < 100 / 4  # real parts sit far below the ratio limit


# --- cells far past Excel's limit, control characters -----------------------------------------

def test_cells_over_131072_characters(made: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    # Written into the XML directly: openpyxl cuts what it is given to Excel's 32,767.
    def long_cells(part: str, data: bytes) -> bytes:
        if part != CLIENTS_XML:
            return data
        # The first client's name, and a note of 140,000 characters.
        data = data.replace(b"<t>Harbor Dental Group</t>", b"<t>" + b"x" * 200_000 + b"</t>")
        return re.sub(rb'<c r="O6"[^>]*?(/>|>.*?</c>)', b'<c r="O6" t="inlineStr"><is><t>'
                      + b"y" * 140_000 + b"</t></is></c>", data, count=1)

    path = rewrite(made, tmp_path / "long.xlsx", long_cells)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read(CLIENTS_XML)
        assert b"x" * 200_000 in sheet and b"y" * 140_000 in sheet
    for command in ("report", "sensitivity"):
        code, err = run(capsys, command, path)
        assert code == 0, err
    capsys.readouterr()
    assert main(["report", str(path), "--json"]) == 0
    assert "x" * 200_000 in capsys.readouterr().out  # read as it is, not cut
    (tmp_path / "usage.csv").write_text(USAGE, encoding="utf-8")
    original = path.read_bytes()
    code, err = run(capsys, "import-usage", tmp_path / "usage.csv", "--workbook", path)
    # The Actuals sheet lists the roster's names, and a cell cannot hold this one.
    assert (code, err) == (2, f"xlmargin import-usage: error: {path}: Actuals!A11: text longer "
                              "than Excel's 32,767 characters per cell\n")
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.xlsx", "usage.csv"]


def test_control_characters_become_spaces_and_the_cells_are_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"client,use_case,interactions_per_day,model,monthly_revenue,notes\n"
                       b"Null\x00Corp,customer_support,100,gpt-4o,1500,bell\x07here\n"
                       b"Plain Co,customer_support,100,gpt-4o,900,ok\n"
                       b"Esc\x1b[31mape,customer_support,100,gpt-4o,900,\x7f\n")
    path = tmp_path / "acme.xlsx"
    capsys.readouterr()
    assert main(["new", "Ac\x01me", "--roster", str(roster), "--formulas", "native", "-o",
                 str(path), *AS_OF]) == 0
    err = capsys.readouterr().err
    cells = re.fullmatch(r"xlmargin new: warning: control characters \(a worksheet cannot hold "
                         r"them\) replaced by spaces in (.*)\n", err)
    assert cells, err
    named = cells.group(1).split(", ")
    assert "the workbook's title property" in named  # the agency's name is in it
    named.remove("the workbook's title property")
    assert {"Clients!A5", "Clients!A7"} <= set(named)  # the two clients
    assert not any(n.endswith("6") and n.startswith("Clients!A") for n in named)  # Plain Co
    wb = load_workbook(path)
    clients = wb["Clients"]
    assert clients["A5"].value == "Null Corp" and clients["A7"].value == "Esc [31mape"
    for where in named:
        sheet, cell = where.split("!")
        value = wb[sheet][cell].value
        assert isinstance(value, str) and value.isprintable(), where

    usage = tmp_path / "usage.csv"
    usage.write_bytes(b"date,client,model,input_tokens,output_tokens,cost_usd\n"
                      b"2026-09-01,Tab\x0bCo,gpt-4o,1,1,10\n2026-09-30,Plain Co,gpt-4o,1,1,10\n")
    code, err = run(capsys, "import-usage", usage, "--workbook", path)
    assert code == 0, err
    # The name is in the usage table, the month table, the trend table and the chart's data.
    found = re.search(r"warning: acme\.xlsx: control characters \(a worksheet cannot hold "
                      r"them\) replaced by spaces in ((?:Actuals![A-Z]+\d+(?:, )?)+)\n", err)
    assert found, err
    cells = found.group(1).split(", ")
    assert len(cells) == 4
    actuals = load_workbook(path)[ACTUALS]
    assert all(actuals[cell.split("!")[1]].value == "Tab Co" for cell in cells)
