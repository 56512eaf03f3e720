"""The functions as Excel calls them: xlwings' own "Import Functions" VBA generator and its
Windows call path (CallUDF -> call_udf -> conversion), run on Linux by tests/xlwings_windows.py."""

from __future__ import annotations

import re

import pytest
import xlwings_windows as excel
from xlwings_windows import MISSING, XL_ERRORS, ExcelRange, call_like_excel

MODULE = "xlmargin.udfs"
K = 100 * 30 * 2.5 * 1.05 * 1.15  # interactions-sized loads a month at the article's defaults
GPT4O_SUPPORT = ((350 + 1000) * K * 2.50 + 250 * K * 10.00) / 1e6  # 53.205


@pytest.fixture(scope="module")
def imported() -> tuple[str, list]:
    return excel.import_functions(MODULE, "agency.xlsm")


def api_cost(*args: object) -> object:
    """API_COST with the optional arguments left out, as in =API_COST(A2, B2, C2, D2)."""
    return call_like_excel(MODULE, "API_COST", *args, *[MISSING] * (14 - len(args)))


def test_vba_module_declares_every_function_with_its_arguments(imported: tuple) -> None:
    vba, _ = imported
    assert vba.startswith('Attribute VB_Name = "xlwings_udfs"')
    declared = dict(re.findall(r"^Function (\w+)\((.*)\)$", vba, flags=re.M))
    assert declared["API_COST"] == (
        "model, input_tokens, output_tokens, interactions_per_day, Optional system_prompt_tokens,"
        " Optional context_multiplier, Optional retry_rate, Optional power_user_multiplier,"
        " Optional days, Optional input_price, Optional output_price,"
        " Optional cached_input_share, Optional cache_read_price, Optional embeddings_overhead")
    assert declared["FT_COST"] == "clients, Optional base_monthly, Optional per_client, " \
                                  "Optional buffer"
    assert declared["CROSSOVER"] == "api_cost_per_client, Optional base_monthly, " \
                                    "Optional per_client, Optional buffer"
    assert declared["MARGIN"] == "revenue, cogs"
    assert {"PRICE_FOR_MARGIN", "MODEL_PRICE", "USE_CASE_TOKENS"} <= set(declared)
    assert 'XLPy.CallUDF("xlmargin.udfs", "API_COST", Array(model, input_tokens' in vba


def test_function_wizard_descriptions_and_category(imported: tuple) -> None:
    _, macro_options = imported
    options = {args[0].split("!")[1]: kwargs for args, kwargs in macro_options}
    assert set(options) >= {"API_COST", "FT_COST", "CROSSOVER", "MARGIN"}
    for name, kwargs in options.items():
        assert kwargs["Category"] == "xlmargin", name
        assert kwargs["Description"] and len(kwargs["Description"]) <= 255, name
        described = kwargs["ArgumentDescriptions"]
        assert all(d and not d.startswith("Positional argument") for d in described), name
    assert len(options["API_COST"]["ArgumentDescriptions"]) == 14


def test_scalar_call_as_typed_into_a_cell() -> None:
    assert api_cost("gpt-4o", 350.0, 250.0, 100.0) == pytest.approx(GPT4O_SUPPORT)


def test_cell_references_and_blank_optionals() -> None:
    got = call_like_excel(MODULE, "API_COST", ExcelRange([["GPT-4o"]]), ExcelRange([[350.0]]),
                          ExcelRange([[250.0]]), ExcelRange([[100.0]]),
                          ExcelRange([[None]]), MISSING, MISSING, MISSING, MISSING,
                          MISSING, MISSING, MISSING, MISSING, MISSING)
    assert got == pytest.approx(GPT4O_SUPPORT)


def test_a_column_in_one_call_spills_a_column() -> None:
    got = api_cost(ExcelRange([["gpt-4o"], ["claude-3-5-sonnet"], [None]]),
                   ExcelRange([[350.0], [350.0], [None]]),
                   ExcelRange([[250.0], [250.0], [None]]),
                   ExcelRange([[100.0], [100.0], [None]]))
    sonnet = ((350 + 1000) * K * 3.00 + 250 * K * 15.00) / 1e6
    assert got == [[pytest.approx(GPT4O_SUPPORT)], [pytest.approx(sonnet)], [""]]


def test_an_excel_error_cell_is_named_not_swallowed() -> None:
    got = api_cost("gpt-4o", 350.0, ExcelRange([[XL_ERRORS["#N/A"]]]), 100.0)
    assert got == "#output_tokens: expected a number, got '#N/A'"


def test_bad_input_is_a_message_not_a_traceback() -> None:
    got = api_cost("gpt-4o", ExcelRange([[-1.0]]), 250.0, 100.0)
    assert got == "#input_tokens: must be at least 0, got -1"
    got = call_like_excel(MODULE, "MARGIN", 0.0, 100.0)
    assert got == "#revenue: must be greater than 0, got 0"


def test_the_other_functions_through_xlwings() -> None:
    assert call_like_excel(MODULE, "FT_COST", 5.0, MISSING, MISSING, MISSING) == \
        pytest.approx(133.5 + 5 * 5)
    assert call_like_excel(MODULE, "CROSSOVER", 40.0, MISSING, MISSING, MISSING) == 4
    assert call_like_excel(MODULE, "CROSSOVER", 40.0, MISSING, MISSING, 0.2) == 5
    assert call_like_excel(MODULE, "MARGIN", 1500.0, 180.0) == pytest.approx(0.88)
    assert call_like_excel(MODULE, "PRICE_FOR_MARGIN", 180.0, 0.88) == pytest.approx(1500.0)
    assert call_like_excel(MODULE, "MODEL_PRICE", "Claude 3.5 Sonnet", "output") == 15.0
    assert call_like_excel(MODULE, "USE_CASE_TOKENS", "Lead qualification", "output") == 150.0
    margins = call_like_excel(MODULE, "MARGIN", ExcelRange([[1500.0], [100.0]]),
                              ExcelRange([[180.0], [150.0]]))
    assert margins == [[pytest.approx(0.88)], [pytest.approx(-0.5)]]


def test_an_overflowing_result_is_a_message_not_a_blank_cell() -> None:
    # NaN (inf tokens x no embeddings) is what xlwings would turn into a blank cell.
    too_large = "#result: too large to compute (the inputs overflow a float)"
    assert api_cost("gpt-4o", 1e300, 1e300, 1e300) == too_large
    assert call_like_excel(MODULE, "API_COST", "gpt-4o", 1e300, 1e300, 1e300, MISSING, MISSING,
                           MISSING, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING,
                           0.0) == too_large
    got = api_cost("gpt-4o", ExcelRange([[1e300], [350.0]]), ExcelRange([[1e300], [250.0]]),
                   ExcelRange([[1e300], [100.0]]))
    assert got == [[too_large], [pytest.approx(GPT4O_SUPPORT)]]
    assert call_like_excel(MODULE, "MARGIN", 1e-320, 1.0) == too_large
    assert call_like_excel(MODULE, "PRICE_FOR_MARGIN", 1e308, 0.999999) == too_large


@pytest.fixture
def fresh_default_catalog():  # type: ignore[no-untyped-def]
    from xlmargin.catalog import default_catalog

    default_catalog.cache_clear()
    yield
    default_catalog.cache_clear()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("prices.toml", None, "price file not found"),
    # 0x81 is neither UTF-8 nor Windows-1252 (whose 'caf\xe9' is read as it is meant).
    ("prices.csv", b"model,input_usd_per_mtok,output_usd_per_mtok\ncaf\x81,1,2\n",
     "byte 0x81 is neither UTF-8 nor Windows-1252 text"),
    ("prices.toml", b"[[model]\n", "not valid TOML"),
    ("prices.toml", b'[[model]]\nmodel = "gpt-4o"\ninput_usd_per_mtok = -1\n'
                    b"output_usd_per_mtok = 1\n",
     "[[model]] #1, column input_usd_per_mtok"),
])
def test_a_bad_prices_file_in_the_environment_is_a_message_in_the_cell(
        tmp_path, monkeypatch, fresh_default_catalog, name: str, content: bytes | None,
        message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("XLMARGIN_PRICES", str(path))
    got = api_cost("gpt-4o", 350.0, 250.0, 100.0)
    assert isinstance(got, str) and got.startswith(f"#{path}") and message in got, got
    column = api_cost(ExcelRange([["gpt-4o"], ["gpt-4o"]]), 350.0, 250.0, 100.0)
    assert column == got  # one message for the whole call: no price applies to any row
    assert call_like_excel(MODULE, "MODEL_PRICE", "gpt-4o", MISSING) == got
