"""A share (buffer, retry rate, target margin, utilization, cached share, embeddings) behaves
the same wherever it is typed: 0.2 and '20%' mean 20%, and a bare 20 is refused with the fix,
never taken as 2000%."""

from __future__ import annotations

import json

import pytest

from xlmargin import calc
from xlmargin.cli import main
from xlmargin.excel import functions as fx

FIX = "20 is 2000%; did you mean 0.2 (20%)?"


def test_the_engine_refuses_a_bare_number_above_one_with_the_fix() -> None:
    with pytest.raises(calc.InputError, match=r"buffer: 20 is 2000%; did you mean 0\.2 \(20%\)\?"):
        calc.ft_cost(15, buffer=20)
    with pytest.raises(calc.InputError, match=r"target_margin: 70 is 7000%"):
        calc.price_for_margin(180, 70)
    assert calc.ft_cost(15, buffer=1.0) == (133.50 + 15 * 5) * 2  # 100% is still a share
    assert calc.percent_text("20%") == 0.2 and calc.percent_text(" 5 %") == 0.05
    assert calc.percent_text("lots%") == "lots%" and calc.percent_text(0.2) == 0.2


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fx.FT_COST(15, None, None, 20), "#buffer: " + FIX),
    (lambda: fx.CROSSOVER(40, None, None, 20), "#buffer: " + FIX),
    (lambda: fx.API_COST("gpt-4o", 350, 250, 100, None, None, 5),
     "#retry_rate: 5 is 500%; did you mean 0.05 (5%)?"),
    (lambda: fx.API_COST("gpt-4o", 350, 250, 100, *[None] * 7, 50),
     "#cached_input_share: 50 is 5000%; did you mean 0.5 (50%)?"),
    (lambda: fx.PRICE_FOR_MARGIN(180, 70), "#target_margin: 70 is 7000%; did you mean 0.7 (70%)?"),
    (lambda: fx.GPU_SERVERS(1e9, 1, 4500, 1000, 50),
     "#utilization: 50 is 5000%; did you mean 0.5 (50%)?"),
])
def test_the_excel_functions_say_the_fix(call, message: str) -> None:
    assert call() == message


def test_the_excel_functions_read_percent_text() -> None:
    # FT_COST(15, buffer 20%): (133.50 + 15 * 5) * 1.2 = 250.20.
    assert fx.FT_COST(15, None, None, "20%") == pytest.approx((133.50 + 15 * 5) * 1.2)
    assert fx.PRICE_FOR_MARGIN(180, "70%") == pytest.approx(180 / 0.3)
    assert fx.API_COST("gpt-4o", 350, 250, 100, None, None, "5%") == fx.API_COST(
        "gpt-4o", 350, 250, 100, None, None, 0.05)
    # In a column too: the text cell takes the one-cell path and means what it says.
    column = fx.API_COST([["gpt-4o"], ["gpt-4o"]], 350, 250, 100, None, None, [["5%"], [0.05]])
    assert column[0] == column[1]


def test_the_command_line_says_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["crossover", "--api-cost", "40", "--buffer", "20"])
    assert stop.value.code == 2
    assert f"argument --buffer: {FIX}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["cost", "--model", "gpt-4o", "--use-case", "customer_support",
              "--interactions", "100", "--retry-rate", "5"])
    assert "--retry-rate: 5 is 500%; did you mean 0.05 (5%)?" in capsys.readouterr().err
    assert main(["crossover", "--api-cost", "40", "--buffer", "20%", "--json"]) == 0
    percent = json.loads(capsys.readouterr().out)
    assert main(["crossover", "--api-cost", "40", "--buffer", "0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == percent
    # The article's low-cost scenario with its 20% buffer: (133.50 + 5n) * 1.2 < 40n from n = 5.
    assert percent["crossover"] == 5 and percent["buffer"] == 0.2


def test_settings_files_and_workbook_cells_say_the_fix_too(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    from xlmargin.models import AgencySettings

    bad = tmp_path / "bad.toml"
    bad.write_text("target_margin = 70\n[infra]\nbuffer = 20\n", encoding="utf-8")
    assert main(["report", "templates/roster.csv", "--settings", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"infra.buffer: {FIX}" in err and "target_margin: 70 is 7000%" in err
    good = tmp_path / "good.toml"
    good.write_text('target_margin = "70%"\n[infra]\nbuffer = "20%"\n', encoding="utf-8")
    assert main(["report", "templates/roster.csv", "--settings", str(good), "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    # Twelve starter clients: (133.50 + 12 * 5) * 1.20 = 232.20 self-hosted.
    assert totals["ft_cogs"] == pytest.approx((133.50 + 12 * 5) * 1.20)
    assert AgencySettings.model_validate({"target_margin": "70%"}).target_margin == 0.7
    # A workbook's Buffer cell typed as 20: the default, with the fix in the warning.
    book = tmp_path / "agency.xlsx"
    assert main(["new", "Acme", "--formulas", "native", "-o", str(book)]) == 0
    wb = load_workbook(book)
    ws = wb["Assumptions"]
    [cell] = [ws.cell(row=c.row, column=2) for row in ws.iter_rows() for c in row
              if c.value == "Buffer" and c.column == 3]
    cell.value = 20
    wb.save(book)
    capsys.readouterr()
    assert main(["report", str(book)]) == 0
    assert f"Assumptions!{cell.coordinate} (Buffer): {FIX}; using the default" in (
        capsys.readouterr().err)
