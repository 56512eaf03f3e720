"""The Excel functions' manners in plain Python: ranges, blanks, defaults and '#' messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlmargin
from xlmargin.excel import functions as fx
from xlmargin.excel.cells import is_blank

# The article's realistic GPT-4o client: 53.205 (see test_calc for the arithmetic).
GPT4O_SUPPORT = ((350 + 1000) * 100 * 30 * 2.5 * 1.05 * 1.15 * 2.50
                 + 250 * 100 * 30 * 2.5 * 1.05 * 1.15 * 10.00) / 1e6


def test_api_cost_with_defaults_is_the_articles_realistic_cost() -> None:
    assert fx.API_COST("gpt-4o", 350.0, 250.0, 100.0) == pytest.approx(GPT4O_SUPPORT)
    assert fx.API_COST("GPT-4o", 350, 250, 100) == pytest.approx(GPT4O_SUPPORT)


def test_blank_optionals_take_defaults_and_typed_ones_apply() -> None:
    assert fx.API_COST("gpt-4o", 350, 250, 100, None, None, None, None, None) == pytest.approx(
        GPT4O_SUPPORT)
    base = fx.API_COST("gpt-4o", 350, 250, 100, 0, 1, 0, 1)
    assert base == pytest.approx(350 * 3000 * 2.5 / 1e6 + 250 * 3000 * 10 / 1e6)  # 10.125


def test_typed_prices_override_the_catalog_and_allow_any_model_label() -> None:
    # 1350 x 9056.25 input tokens at $1, 250 x 9056.25 output tokens at $2 (k = 100 x 30 x 2.5
    # x 1.05 x 1.15 = 9056.25).
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    expected = (1350 * k * 1.0 + 250 * k * 2.0) / 1e6
    assert fx.API_COST("our-llama-ft", 350, 250, 100, input_price=1, output_price=2) == \
        pytest.approx(expected)


@pytest.mark.parametrize(("args", "message"), [
    (("gpt4o", 350, 250, 100), "#model: unknown model 'gpt4o'; did you mean gpt-4o"),
    (("gpt-4o", -5, 250, 100), "#input_tokens: must be at least 0, got -5"),
    (("gpt-4o", "lots", 250, 100), "#input_tokens: expected a number, got 'lots'"),
    (("gpt-4o", 350, None, 100), "#output_tokens: expected a number, got blank"),
    (("gpt-4o", 350, 250, "#N/A"), "#interactions_per_day: expected a number, got '#N/A'"),
    (("gpt-4o", 350, 250, 100, None, None, 2.0), "#retry_rate: 2 is 200%; did you mean 0.02 (2%)?"),
])
def test_bad_input_answers_a_short_message(args: tuple, message: str) -> None:
    got = fx.API_COST(*args)
    assert isinstance(got, str) and got.startswith(message)
    assert len(got) <= 255


def test_nothing_typed_yet_is_empty_not_an_error() -> None:
    assert fx.API_COST(None, None, None, None) == ""


def test_a_column_of_clients_gives_a_column_of_costs() -> None:
    models = [["gpt-4o"], ["Claude 3.5 Sonnet"], ["gpt-4o"], [None], ["nope"]]
    inputs = [[350.0], [350.0], [350.0], [None], [350.0]]
    outputs = [[250.0], [250.0], ["x"], [None], [250.0]]
    per_day = [[100.0], [100.0], [100.0], [None], [100.0]]
    got = fx.API_COST(models, inputs, outputs, per_day)
    sonnet = (12_225_937.5 * 3.00 + 2_264_062.5 * 15.00) / 1e6
    assert got[0][0] == pytest.approx(GPT4O_SUPPORT)
    assert got[1][0] == pytest.approx(sonnet)
    assert got[2][0] == "#output_tokens: expected a number, got 'x'"
    assert got[3][0] == ""
    assert got[4][0].startswith("#model: unknown model 'nope'")


def test_a_single_value_stretches_along_a_column() -> None:
    got = fx.API_COST("gpt-4o", [[350.0], [700.0]], 250.0, 100.0)
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    assert got[1][0] - got[0][0] == pytest.approx(350 * k * 2.50 / 1e6)


def test_mismatched_ranges_are_reported() -> None:
    got = fx.API_COST([["gpt-4o"], ["gpt-4o"]], [[1.0], [2.0], [3.0]], 250.0, 100.0)
    assert got.startswith("#input_tokens: range is 3x1")


cell_values = st.one_of(st.floats(min_value=-10, max_value=5000, allow_nan=False),
                        st.none(), st.sampled_from(["", "abc", "#N/A", True]))
model_names = st.sampled_from(["gpt-4o", "gpt-4o-mini", "Claude 3.5 Sonnet", "nope", None, ""])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(model_names, cell_values, cell_values, cell_values, cell_values),
                min_size=2, max_size=12))
def test_a_column_answers_what_each_cell_would(rows: list[tuple]) -> None:
    models, inputs, outputs, per_day, retry = ([[r[i]] for r in rows] for i in range(5))
    column = fx.API_COST(models, inputs, outputs, per_day, None, None, retry)
    for row, got in zip(rows, column, strict=True):
        one = fx.API_COST(row[0], row[1], row[2], row[3], None, None, row[4])
        if all(is_blank(v) for v in row[:4]):
            assert got == [""]
        elif isinstance(one, float):
            assert got[0] == pytest.approx(one)
        else:
            assert got == [one]


def test_ft_cost_crossover_margin() -> None:
    assert fx.FT_COST(5) == pytest.approx(133.50 + 5 * 5)
    assert fx.FT_COST(5, 200, 10, 0.2) == pytest.approx((200 + 50) * 1.2)
    assert fx.FT_COST([[1.0], [3.0]]) == [[pytest.approx(138.5)], [pytest.approx(148.5)]]
    assert fx.CROSSOVER(40) == 4
    assert fx.CROSSOVER(180.0, None, None, None) == 1
    assert fx.MARGIN(1500, 180) == pytest.approx(0.88)
    assert fx.PRICE_FOR_MARGIN(180, 0.88) == pytest.approx(1500)


def test_ft_crossover_margin_messages() -> None:
    assert fx.FT_COST(2.5) == "#clients: must be a whole number, got 2.5"
    assert fx.CROSSOVER(4).startswith("#api_cost_per_client: never")
    assert fx.MARGIN(0, 10) == "#revenue: must be greater than 0, got 0"
    assert fx.MARGIN("", 10) == "#revenue: expected a number, got blank"


def test_helpers() -> None:
    assert fx.MODEL_PRICE("GPT-4o") == 2.50
    assert fx.MODEL_PRICE("GPT-4o", "output") == 10.00
    assert fx.MODEL_PRICE("claude-3-haiku", "cache_read") == pytest.approx(0.03)
    assert fx.MODEL_PRICE("gpt-4o", "bogus").startswith("#kind:")
    assert fx.USE_CASE_TOKENS("Document Q&A / RAG", "output") == 400
    assert fx.USE_CASE_TOKENS("customer_support") == 350
    assert fx.USE_CASE_TOKENS("poetry").startswith("#use_case_name: unknown use case")


def test_python_users_get_the_same_functions_from_the_package() -> None:
    assert xlmargin.API_COST is fx.API_COST
    assert xlmargin.crossover(40.0) == 4
    assert round(xlmargin.API_COST("gpt-4o", 350, 250, 100), 2) == 53.21


TOO_LARGE = "#result: too large to compute"


def test_a_result_that_overflows_is_a_message_not_a_blank() -> None:
    # 1e300 x 1e300 tokens a month overflows to inf; with no embeddings inf x 0 is NaN, which
    # xlwings would show as a blank cell.
    assert fx.API_COST("gpt-4o", 1e300, 1e300, 1e300).startswith(TOO_LARGE)
    assert fx.API_COST("gpt-4o", 1e300, 1e300, 1e300,
                       embeddings_overhead=0).startswith(TOO_LARGE)
    assert fx.MARGIN(1e-320, 1).startswith(TOO_LARGE)
    assert fx.PRICE_FOR_MARGIN(1e308, 0.999999).startswith(TOO_LARGE)
    assert fx.FT_COST(1, 1e308, 1e308).startswith(TOO_LARGE)


def test_a_column_flags_an_overflowing_row_as_the_one_cell_path_does() -> None:
    got = fx.API_COST([["gpt-4o"], ["gpt-4o"], ["gpt-4o"]], [[1e300], [350], [1e300]],
                      [[1e300], [250], [1e300]], [[1e300], [100], [1e300]],
                      input_price=0, output_price=0)
    one = fx.API_COST("gpt-4o", 1e300, 1e300, 1e300, input_price=0, output_price=0)
    assert one.startswith(TOO_LARGE)  # inf tokens at $0 is NaN
    assert got == [[one], [0.0], [one]]
    got = fx.API_COST([["gpt-4o"], ["gpt-4o"]], [[1e300], [350]], [[1e300], [250]],
                      [[1e300], [100]])
    assert got == [[fx.API_COST("gpt-4o", 1e300, 1e300, 1e300)],
                   [pytest.approx(GPT4O_SUPPORT)]]


def test_gpu_servers_comes_with_import_xlmargin_as_the_readme_says() -> None:
    assert "GPU_SERVERS" in xlmargin.__all__
    assert xlmargin.GPU_SERVERS is fx.GPU_SERVERS
    # 5,832,000,000 / 4,500 + 1 / 1,000 = 1,296,000.001 GPU seconds against 30 x 86,400 x 0.5 =
    # 1,296,000 planned: a hair over one server, so two.
    assert xlmargin.GPU_SERVERS(5832000000, 1, 4500, 1000) == 2
    assert xlmargin.GPU_SERVERS(5832000000, 0, 4500, 1000) == 1
