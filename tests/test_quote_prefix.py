"""Text from users is text in every sheet, read from the unzipped XML as Excel reads it: no
formula element holds it, and every text cell that starts like a formula is quote-prefixed, so
re-entering the cell in Excel keeps it text (Clients, Pricing, Actuals, any workbook kind)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from xlmargin.cli import main
from xlmargin.sheets.cells import FORMULA_STARTS

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
AS_OF = ["--as-of", "2026-11-01"]
ATTACKS = ('=HYPERLINK("http://x","y")', "+SUM(1)", "-2+3", "@cmd")
# Where each lands: roster names and notes on Clients, a price file's provider and model on
# Pricing, usage clients not on the roster on Actuals.
PLANTED = {*ATTACKS, *(f"{a[:4]} note" for a in ATTACKS), "=cmd", "@private-model"}


def text_cells(path: Path) -> dict[str, list[tuple[str, str, bool]]]:
    """Per sheet: (cell, text, quote-prefixed) for every text cell, and the formulas."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            for item in ET.fromstring(archive.read("xl/sharedStrings.xml")).findall("m:si", NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")))
        styles = ET.fromstring(archive.read("xl/styles.xml"))
        prefixed = [xf.get("quotePrefix") in ("1", "true")
                    for xf in styles.find("m:cellXfs", NS).findall("m:xf", NS)]
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        found: dict[str, list[tuple[str, str, bool]]] = {}
        for sheet in book.find("m:sheets", NS):
            target = targets[sheet.get(R)].lstrip("/")
            xml = ET.fromstring(archive.read(target if target.startswith("xl/")
                                             else f"xl/{target}"))
            cells = found[sheet.get("name")] = []
            for c in xml.iter(f"{{{NS['m']}}}c"):
                formula = c.find("m:f", NS)
                if formula is not None:
                    cells.append((c.get("r"), "FORMULA:" + (formula.text or ""), False))
                    continue
                kind, value = c.get("t"), c.find("m:v", NS)
                if kind == "s" and value is not None:
                    text = shared[int(value.text)]
                elif kind == "inlineStr":
                    text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                else:
                    continue
                cells.append((c.get("r"), text, prefixed[int(c.get("s", "0"))]))
    return found


def assert_all_text_safe(path: Path, expected_sheets: set[str]) -> None:
    seen: set[str] = set()
    for sheet, cells in text_cells(path).items():
        for ref, text, prefixed in cells:
            if text.startswith("FORMULA:"):
                # Our formulas only: none carries a user's text.
                assert not re.search(r"HYPERLINK|@cmd|SUM\(1\)", text), (sheet, ref, text)
                continue
            if text in PLANTED:
                seen.add(sheet)
            if text.startswith(FORMULA_STARTS):
                assert prefixed, f"{path.name} {sheet}!{ref}: {text!r} is not quote-prefixed"
            assert "\u0000" not in text
    assert expected_sheets <= seen, seen


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    roster = tmp_path / "roster.csv"
    rows = [f'"{a.replace(chr(34), chr(34) * 2)}",customer_support,10,gpt-4o,500,"{a[:4]} note"'
            for a in ATTACKS[:4]]
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue,notes\n"
                      + "\n".join(rows) + "\n", encoding="utf-8")
    prices = tmp_path / "prices.csv"
    prices.write_text("provider,model,input_usd_per_mtok,output_usd_per_mtok\n"
                      "=cmd,@private-model,1,2\n", encoding="utf-8")
    usage = tmp_path / "usage.csv"
    usage.write_text("date,client,model,input_tokens,output_tokens\n"
                     "2026-10-01,+SUM(1),gpt-4o,1000,100\n"
                     "2026-10-02,-2+3,gpt-4o,1000,100\n", encoding="utf-8")
    return {"roster": roster, "prices": prices, "usage": usage}


@pytest.mark.parametrize(("mode", "name"), [("lite", "a.xlsx"), ("native", "b.xlsx"),
                                            ("udf", "c.xlsm")])
def test_every_text_cell_of_every_sheet_stays_text(tmp_path: Path, inputs: dict[str, Path],
                                                   mode: str, name: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    assert main(["new", "Acme", "--formulas", mode, "--roster", str(inputs["roster"]),
                 "--prices", str(inputs["prices"]), "-o", str(path), *AS_OF]) == 0
    assert_all_text_safe(path, {"Clients", "Pricing"})
    assert main(["import-usage", str(inputs["usage"]), "--workbook", str(path)]) == 0
    capsys.readouterr()
    assert_all_text_safe(path, {"Clients", "Pricing", "Actuals"})
