"""The article's calculator, reproduced with the arithmetic written out."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlmargin import calc
from xlmargin.errors import InputError

NO_MULTIPLIERS = {"system_prompt_tokens": 0, "context_multiplier": 1, "retry_rate": 0,
                  "power_user_multiplier": 1}


def test_base_example_gpt4o_support_bot() -> None:
    # Article section 1: 350 in / 250 out, 100 interactions/day, 30 days, GPT-4o $2.50/$10.00.
    input_usd = 350 * 100 * 30 * 2.50 / 1e6   # 1,050,000 tokens -> $2.625
    output_usd = 250 * 100 * 30 * 10.00 / 1e6  # 750,000 tokens -> $7.50
    assert input_usd + output_usd == pytest.approx(10.125)
    got = calc.api_cost(350, 250, 100, 2.50, 10.00, **NO_MULTIPLIERS)
    assert got == pytest.approx(input_usd + output_usd)
    assert f"{got + 1e-9:.2f}" == "10.13"  # the article's "$10.13", rounded half up


def test_realistic_example_gpt4o_uses_correct_arithmetic() -> None:
    # (1,050,000 + 3,000,000) x 2.5 x 1.05 x 1.15 = 12,225,937.5 input tokens (the article prints
    # 12,251,063); 750,000 x 2.5 x 1.05 x 1.15 = 2,264,062.5 output tokens (it prints 2,268,281).
    input_tokens = (1_050_000 + 3_000_000) * 2.5 * 1.05 * 1.15
    output_tokens = 750_000 * 2.5 * 1.05 * 1.15
    assert input_tokens == pytest.approx(12_225_937.5)
    assert output_tokens == pytest.approx(2_264_062.5)
    expected = input_tokens * 2.50 / 1e6 + output_tokens * 10.00 / 1e6  # 30.5648 + 22.6406
    assert expected == pytest.approx(53.205, abs=0.001)

    cost = calc.api_cost_breakdown(350, 250, 100, 2.50, 10.00)  # the article's defaults
    assert cost.input_tokens_per_month == pytest.approx(input_tokens)
    assert cost.output_tokens_per_month == pytest.approx(output_tokens)
    assert cost.monthly_usd == pytest.approx(expected)
    assert round(cost.monthly_usd, 2) == 53.21  # not the article's $53.31


def test_realistic_example_claude_sonnet() -> None:
    # Same tokens at Claude 3.5 Sonnet's $3.00/$15.00: 36.6778 + 33.9609 = $70.64
    # (the article prints $70.77 from its rounded token counts).
    expected = 12_225_937.5 * 3.00 / 1e6 + 2_264_062.5 * 15.00 / 1e6
    got = calc.api_cost(350, 250, 100, 3.00, 15.00)
    assert got == pytest.approx(expected)
    assert round(got, 2) == 70.64


def test_prompt_cache_and_embeddings_extras() -> None:
    # Half the input at a $1.25 cache-read price, then 10% embeddings on top.
    input_tokens = (350 + 1000) * 100 * 30 * 2.5 * 1.05 * 1.15
    output_tokens = 250 * 100 * 30 * 2.5 * 1.05 * 1.15
    chat = input_tokens * (0.5 * 2.50 + 0.5 * 1.25) / 1e6 + output_tokens * 10.00 / 1e6
    got = calc.api_cost(350, 250, 100, 2.50, 10.00, cache_read_usd_per_mtok=1.25,
                        cached_input_share=0.5, embeddings_overhead=0.10)
    assert got == pytest.approx(chat * 1.10)


def test_base_monthly_is_the_articles_133_50() -> None:
    assert calc.base_monthly() == pytest.approx(3 * 14.50 + 80 + 10)
    assert pytest.approx(133.50) == calc.BASE_MONTHLY_USD


# Article section 3, "The Math at Scale" ($180/client, $1,500 retainer):
# clients, API COGS, API margin, fine-tuned COGS, fine-tuned margin as printed.
SCALE_TABLE = [
    (1, 180, 0.880, 138.50, 0.908),
    (3, 540, 0.880, 148.50, 0.967),
    (5, 900, 0.880, 158.50, 0.979),
    (8, 1440, 0.880, 173.50, 0.986),
    (15, 2700, 0.880, 208.50, 0.991),
    (25, 4500, 0.880, 258.50, 0.993),
]


@pytest.mark.parametrize(("clients", "api_cogs", "api_margin", "ft_cogs", "ft_margin"),
                         SCALE_TABLE)
def test_math_at_scale_table(clients: int, api_cogs: float, api_margin: float,
                             ft_cogs: float, ft_margin: float) -> None:
    (row,) = calc.crossover_table(180, [clients], revenue_per_client=1500)
    assert row.api_cogs == pytest.approx(api_cogs)
    assert row.ft_cogs == pytest.approx(133.50 + 5 * clients)
    assert row.ft_cogs == pytest.approx(ft_cogs)
    assert round(row.api_margin, 3) == api_margin
    assert round(row.ft_margin, 3) == ft_margin


# Low-cost ($40) and high-cost ($350) scenarios: clients, API COGS, fine-tuned COGS, winner.
LOW_COST = [(1, 40, 138.50, "API"), (3, 120, 148.50, "API"), (4, 160, 153.50, "self-hosted"),
            (5, 200, 158.50, "self-hosted"), (10, 400, 183.50, "self-hosted")]
HIGH_COST = [(1, 350, 138.50, "self-hosted"), (5, 1750, 158.50, "self-hosted"),
             (15, 5250, 208.50, "self-hosted")]


@pytest.mark.parametrize(("per_client", "rows"), [(40, LOW_COST), (350, HIGH_COST)])
def test_scenario_tables(per_client: float, rows: list[tuple[int, float, float, str]]) -> None:
    table = calc.crossover_table(per_client, [r[0] for r in rows])
    for row, (clients, api_cogs, ft_cogs, winner) in zip(table, rows, strict=True):
        assert row.clients == clients
        assert row.api_cogs == pytest.approx(api_cogs)
        assert row.ft_cogs == pytest.approx(ft_cogs)
        assert row.winner == winner


def test_high_cost_savings_at_15_clients() -> None:
    # "The savings are substantial: $5,041.50/month at 15 clients."
    (row,) = calc.crossover_table(350, [15])
    assert row.api_cogs - row.ft_cogs == pytest.approx(5041.50)


@pytest.mark.parametrize(("api_cost", "expected"), [(180, 1), (40, 4), (350, 1)])
def test_crossover_of_the_three_scenarios(api_cost: float, expected: int) -> None:
    # 133.50 / (40 - 5) = 3.81 -> the first whole count above it is 4.
    assert calc.crossover(api_cost) == expected


def test_crossover_never_when_api_is_not_above_marginal_cost() -> None:
    assert calc.crossover(5.0) is None  # equals the $5 per-client cost: lines never cross
    assert calc.crossover(5.9, buffer=0.2) is None  # 5 x 1.2 = 6 > 5.9
    # Just above: 133.50 / (6.5 - 5) = 89 exactly, and strictly cheaper needs 90.
    assert calc.crossover(6.5) == 90


def test_buffer_moves_the_crossover() -> None:
    # Step 6: +20%. ft(n) = (133.5 + 5n) x 1.2 < 40n  <=>  160.2 < 34n  <=>  n > 4.71 -> 5.
    assert calc.crossover(40, buffer=0.2) == 5
    assert calc.ft_cost(4, buffer=0.2) == pytest.approx((133.5 + 20) * 1.2)


def test_margin_and_price_for_margin() -> None:
    assert calc.margin(1500, 180) == pytest.approx(1320 / 1500)
    assert calc.price_for_margin(180, 0.88) == pytest.approx(180 / 0.12)


@pytest.mark.parametrize(("call", "where"), [
    (lambda: calc.api_cost(-1, 250, 100, 2.5, 10), "input_tokens"),
    (lambda: calc.api_cost("350", 250, 100, 2.5, 10), "input_tokens"),
    (lambda: calc.api_cost(350, 250, True, 2.5, 10), "interactions_per_day"),
    (lambda: calc.api_cost(350, 250, 100, 2.5, 10, retry_rate=1.5), "retry_rate"),
    (lambda: calc.api_cost(350, 250, 100, 2.5, 10, context_multiplier=0.5),
     "context_multiplier"),
    (lambda: calc.api_cost(350, 250, 100, 2.5, math.nan), "output_usd_per_mtok"),
    (lambda: calc.ft_cost(2.5), "clients"),
    (lambda: calc.margin(0, 10), "revenue"),
    (lambda: calc.price_for_margin(10, 1.0), "target_margin"),
    (lambda: calc.crossover(-1), "api_cost_per_client"),
])
def test_bad_input_names_the_argument(call, where: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as raised:
        call()
    assert raised.value.where == where


# Results that overflow a float although every input is finite: 1e300 tokens x 1e300
# interactions is 1e600 tokens a month (inf), and inf x 0 (no embeddings) is NaN.
@pytest.mark.parametrize("call", [
    lambda: calc.api_cost_breakdown(1e300, 1e300, 1e300, 2.5, 10),
    lambda: calc.api_cost(1e300, 1e300, 1e300, 2.5, 10, embeddings_overhead=0.0),
    lambda: calc.api_cost(1e300, 1e300, 1e300, 0.0, 0.0),  # inf tokens x $0 is NaN
    lambda: calc.margin(1e-320, 1),  # (1e-320 - 1) / 1e-320 = -1e320
    lambda: calc.price_for_margin(1e308, 0.999999),  # 1e308 / 1e-6 = 1e314
    lambda: calc.ft_cost(1, 1e308, 1e308),  # 1e308 + 1e308 * 1 = 2e308
    lambda: calc.base_monthly(3, 1e308),  # 3 x 1e308
    lambda: calc.crossover_table(1e308, [2]),  # 2 x 1e308 of API COGS
])
def test_a_result_too_large_for_a_float_is_an_error_not_inf_or_nan(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as raised:
        call()
    assert raised.value.where == "result"
    assert "too large to compute" in raised.value.problem


def test_large_finite_results_still_compute() -> None:
    assert calc.price_for_margin(1e300, 0.5) == 1e300 / 0.5
    assert calc.margin(1e300, 1e299) == pytest.approx((1e300 - 1e299) / 1e300)
    assert calc.ft_cost(1, 1e307, 0) == 1e307


# --- properties ----------------------------------------------------------------------------

tokens = st.floats(min_value=0, max_value=1e5, allow_nan=False)
prices = st.floats(min_value=0.01, max_value=100, allow_nan=False)
usd = st.floats(min_value=0, max_value=1e5, allow_nan=False)


@given(tokens, tokens, tokens, prices, prices, st.floats(min_value=0.0, max_value=1e4))
def test_cost_grows_with_usage(inp: float, out: float, per_day: float, in_price: float,
                               out_price: float, more: float) -> None:
    base = calc.api_cost(inp, out, per_day, in_price, out_price)
    assert calc.api_cost(inp + more, out, per_day, in_price, out_price) >= base
    assert calc.api_cost(inp, out + more, per_day, in_price, out_price) >= base
    assert calc.api_cost(inp, out, per_day + more, in_price, out_price) >= base


@given(tokens, tokens, prices, prices)
def test_zero_usage_costs_zero(inp: float, out: float, in_price: float,
                               out_price: float) -> None:
    assert calc.api_cost(inp, out, 0, in_price, out_price) == 0
    assert calc.api_cost(0, 0, 100, in_price, out_price, system_prompt_tokens=0) == 0


@given(st.floats(min_value=0, max_value=2000), st.floats(min_value=0, max_value=1000),
       st.floats(min_value=0, max_value=50), st.floats(min_value=0, max_value=0.5))
def test_crossover_is_the_first_count_where_self_hosting_is_cheaper(
        api: float, base: float, per_client: float, buffer: float) -> None:
    n = calc.crossover(api, base, per_client, buffer)
    a, b, p, r = map(Fraction, (api, base, per_client, buffer))

    def cheaper(k: int) -> bool:  # the definition, in exact arithmetic
        return (b + p * k) * (1 + r) < k * a

    if n is None:
        assert api <= per_client * (1 + buffer)
        assert not cheaper(1) and not cheaper(10**9)
    else:
        assert cheaper(n)
        assert n == 1 or not cheaper(n - 1)
        assert cheaper(n + 1)  # and it stays cheaper beyond the crossover
        if n < 10**6:  # where floats resolve whole clients, FT_COST agrees
            assert calc.ft_cost(n, base, per_client, buffer) < n * api or \
                math.isclose(calc.ft_cost(n, base, per_client, buffer), n * api)


@given(st.floats(min_value=0.01, max_value=1e6), st.floats(min_value=-5, max_value=0.99))
def test_margin_and_its_inverse_agree(cogs: float, target: float) -> None:
    revenue = calc.price_for_margin(cogs, target)
    assert calc.margin(revenue, cogs) == pytest.approx(target, abs=1e-9)


@given(st.floats(min_value=0.01, max_value=1e6), usd)
def test_margin_is_below_one_and_falls_with_cogs(revenue: float, cogs: float) -> None:
    assert calc.margin(revenue, cogs) <= 1
    assert calc.margin(revenue, cogs + 1) < calc.margin(revenue, cogs)
