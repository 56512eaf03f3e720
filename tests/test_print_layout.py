"""What a person sees and prints: every sheet on landscape pages without a column spilling onto
a page of its own (LibreOffice prints the workbook to PDF; each page's footer names its sheet),
options that are off hidden or labelled off, and no reference an owner cannot follow."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from libreoffice import convert, recalculated_values
from openpyxl import load_workbook

from xlmargin.sheets import LITE, NATIVE
from xlmargin.sheets import layout as lay
from xlmargin.sheets.crossover import OPEN_WEIGHT_COLUMN, SERVERS_COLUMN
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.sensitivity import CHART_FIRST, WORK_SECTION

ROOT = Path(__file__).parents[1]
AGENCY = ROOT / "templates" / "agency.toml"
AS_OF = date(2026, 11, 1)
# Pages per sheet for the starter roster (12 clients): Clients' inputs, then its results; the
# Crossover's charts, then its table; the Summary's answer and list, its chart, its totals.
PAGES = {"Clients": 2, "Pricing": 1, "Crossover": 2, "Sensitivity": 1, "Summary": 3, "Guide": 1}


def build(tmp_path: Path, settings: Path | None = None, mode: str = NATIVE) -> Path:
    wb, _count = build_from_files("Acme AI", settings=settings, mode=mode, as_of=AS_OF)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "acme.xlsx"
    save_workbook(wb, path, mode)
    return path


def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("pdftotext is required in CI: apt-get install poppler-utils")
    pytest.skip("pdftotext (poppler-utils) not installed")


@pytest.mark.parametrize(("settings", "mode"), [(None, NATIVE), (AGENCY, LITE)])
def test_each_sheet_prints_on_its_pages(tmp_path: Path, settings: Path | None,
                                        mode: str) -> None:
    tool = pdftotext()
    pdf = convert(build(tmp_path, settings, mode), tmp_path / "lo", to="pdf")
    text = subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = Counter(re.findall(r"^\s*(\w+), page \d+ of \d+\s*$", text, flags=re.M))
    for sheet, count in PAGES.items():
        assert pages[sheet] == count, (sheet, pages)
    assert 2 <= pages["Assumptions"] <= 3, pages


def test_every_sheet_is_landscape_and_legible(tmp_path: Path) -> None:
    wb = load_workbook(build(tmp_path, AGENCY))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        if ws.sheet_properties.pageSetUpPr.fitToPage:
            assert setup.fitToWidth in (1, 2), ws.title
        else:
            assert setup.scale >= 70, (ws.title, setup.scale)
    clients = wb[lay.CLIENTS]
    assert clients.print_title_cols == "$A:$A" and clients.page_setup.fitToWidth == 2


def test_options_that_are_off_are_hidden(tmp_path: Path) -> None:
    off = load_workbook(build(tmp_path))               # the article's defaults: all off
    on = load_workbook(build(tmp_path / "on", AGENCY))  # the hosted open-weight model on
    column = lay.COL["open_weight_cost"]
    assert off[lay.CLIENTS].column_dimensions[column].hidden
    assert not on[lay.CLIENTS].column_dimensions[column].hidden
    for wb in (off, on):
        assert wb[lay.CLIENTS].column_dimensions[lay.COL["output_tokens_per_month"]].hidden
        assert wb[lay.CROSSOVER].column_dimensions[SERVERS_COLUMN].hidden  # no GPU chosen
    assert off[lay.CROSSOVER].column_dimensions[OPEN_WEIGHT_COLUMN].hidden
    assert not on[lay.CROSSOVER].column_dimensions[OPEN_WEIGHT_COLUMN].hidden

    def legend(wb: object) -> list[str]:
        chart = wb[lay.CROSSOVER]._charts[0]  # type: ignore[index]
        return [s.tx.v for s in chart.series if s.tx.v]

    assert legend(off) == ["Self-hosted COGS", "Your roster: API COGS"]
    assert legend(on) == ["Self-hosted COGS", "Your roster: API COGS", "Hosted open-weight COGS"]


def test_off_reads_off_not_zero(tmp_path: Path) -> None:
    """With the hidden costs off, the setup payback says off, not "0.0" (an instant payback);
    so do the open-weight rows without that model."""
    path = build(tmp_path)
    names = {n: d.attr_text.split("!") for n, d in load_workbook(path).defined_names.items()}
    summary = recalculated_values(path, tmp_path / "lo")[lay.SUMMARY]
    for name in (lay.SETUP_PAYBACK, lay.OPEN_WEIGHT_COGS, lay.OPEN_WEIGHT_MARGIN):
        assert summary[names[name][1].replace("$", "")] == "off", name


def test_workings_are_out_of_sight_and_sources_readable(tmp_path: Path) -> None:
    wb = load_workbook(build(tmp_path, AGENCY))
    sensitivity = wb[lay.SENSITIVITY]
    assert all(sensitivity.row_dimensions[r].hidden for r in range(WORK_SECTION, CHART_FIRST))
    assert not sensitivity.row_dimensions[WORK_SECTION - 2].hidden
    # The GPU presets' sources speak to an owner, and every note wraps inside the page.
    assumptions = wb[lay.ASSUMPTIONS]
    texts = [c for row in assumptions.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.value for c in texts if "research" in c.value.lower()]
    notes = [c for c in texts if c.column_letter == "E" and c.row > 4 and len(c.value) > 60]
    assert notes and all(c.alignment.wrap_text for c in notes)
