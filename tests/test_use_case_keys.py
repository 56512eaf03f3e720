"""A use case typed on the Clients sheet as the roster CSV names it (document_qa) computes as
its label from the dropdown does (Document Q&A / RAG): its tokens on the Clients sheet, and its
embeddings on the Sensitivity sheet, in LibreOffice and in `report`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from libreoffice import recalculated_values
from openpyxl import load_workbook

from xlmargin.cli import main
from xlmargin.sheets import NATIVE
from xlmargin.sheets import layout as lay
from xlmargin.sheets.files import build_from_files, save_workbook
from xlmargin.sheets.sensitivity import SUM_NAMES

AS_OF = date(2026, 11, 1)
ROSTER = """client,use_case,interactions_per_day,model,monthly_revenue
By label,document_qa,100,gpt-4o,900
"""


def test_csv_key_typed_on_clients(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    wb, _count = build_from_files("Keys", roster=roster, mode=NATIVE, as_of=AS_OF,
                                  extra_rows=3)
    path = tmp_path / "keys.xlsx"
    save_workbook(wb, path, NATIVE)
    wb = load_workbook(path)
    ws = wb[lay.CLIENTS]
    col, row = lay.COL, lay.FIRST_ROW + 1
    assert ws[f"{col['use_case']}{lay.FIRST_ROW}"].value == "Document Q&A / RAG"  # the label
    for key, value in (("client", "By key"), ("use_case", "document_qa"),
                       ("interactions_per_day", 100), ("model", "gpt-4o"),
                       ("monthly_revenue", 900)):
        ws[f"{col[key]}{row}"] = value
    wb.save(path)

    values = recalculated_values(path, tmp_path / "lo")
    clients = values[lay.CLIENTS]
    # The article's Document Q&A row: 800 input, 400 output tokens per interaction.
    for r in (lay.FIRST_ROW, row):
        assert (clients[f"{col['input_tokens']}{r}"], clients[f"{col['output_tokens']}{r}"]) \
            == (800, 400)
    # Both rows: (800 + 1,000 + 400) x 100 a day x 2.5 x 1.05 x 1.15 x 30 days.
    tokens = (800 + 1000 + 400) * 100 * 2.5 * 1.05 * 1.15 * 30
    assert clients[f"{col['tokens_per_month']}{row}"] == pytest.approx(tokens)
    assert clients[f"{col['api_cost']}{row}"] == pytest.approx(
        clients[f"{col['api_cost']}{lay.FIRST_ROW}"])

    capsys.readouterr()
    assert main(["report", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by = {c["client"]: c for c in report["clients"]}
    assert by["By key"]["api_cost"] == pytest.approx(by["By label"]["api_cost"], rel=1e-12)
    assert by["By key"]["api_cost"] == pytest.approx(clients[f"{col['api_cost']}{row}"],
                                                     rel=1e-12)

    # Sensitivity: each is a retrieval client, so the high embeddings case (15%) adds 15% of
    # both clients' cost over the expected 0%, in LibreOffice and in `xlmargin sensitivity`.
    assert main(["sensitivity", str(path), "--json"]) == 0
    cases = json.loads(capsys.readouterr().out)
    sens = values[lay.SENSITIVITY]
    both = 2 * 100 * (800 * 2.5 + 400 * 10.0) / 1e6  # gpt-4o: $2.50 / $10.00 per 1M tokens
    assert sens[_named(path, SUM_NAMES[2])] == pytest.approx(both)  # RetrievalBaseUSDPerDay
    embeddings = next(d for d in cases["drivers"] if d["assumption"] == "embeddings_overhead")
    assert embeddings["high_api_cogs"] == pytest.approx(cases["expected"]["api_cogs"] * 1.15,
                                                        rel=1e-12)


def _named(path: Path, name: str) -> str:
    return load_workbook(path).defined_names[name].attr_text.split("!")[1].replace("$", "")
