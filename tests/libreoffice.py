"""Recalculate a workbook with LibreOffice headless and read the results back.

LibreOffice keeps cached values of xlsx formulas by default (OOXMLRecalcMode "never"); a fresh
profile with the setting from shared/reference forces a full recalculation on load. Each call
uses its own profile directory, because a profile is locked while soffice runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

RECALC_SETTINGS = Path(__file__).with_name("libreoffice-recalc.xcu")


def soffice() -> str:
    """The soffice binary; a failure when CI is set and it is missing, else a skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required in CI: apt-get install "
                    "libreoffice-calc-nogui")
    pytest.skip("LibreOffice (soffice) not installed")


def convert(path: Path, out_dir: Path, to: str = "xlsx") -> Path:
    """Open ``path`` in LibreOffice with forced recalculation and save it as ``to``."""
    binary = soffice()
    profile = out_dir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    shutil.copy(RECALC_SETTINGS, profile / "user" / "registrymodifications.xcu")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [binary, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
         "--convert-to", to, "--outdir", str(out_dir), str(path)],
        capture_output=True, text=True, timeout=300)
    converted = out_dir / f"{path.stem}.{to.split(':')[0]}"
    if result.returncode != 0 or not converted.exists():
        raise AssertionError(f"soffice failed ({result.returncode}): {result.stdout}"
                             f"{result.stderr}")
    return converted


def recalculated_values(path: Path, out_dir: Path) -> dict[str, dict[str, object]]:
    """Every sheet's cell values after LibreOffice recalculated the workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(convert(path, out_dir), data_only=True)
    return {ws.title: {cell.coordinate: cell.value for row in ws.iter_rows() for cell in row
                       if cell.value is not None} for ws in wb.worksheets}
