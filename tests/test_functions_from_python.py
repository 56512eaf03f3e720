"""The Excel functions called from Python with anything a caller can pass: numpy arrays and
numbers, ragged and nested lists, huge ints, Decimals, dicts. Each answers a number, "" or a
'#' message (or a rectangular range of those), never an exception."""

from __future__ import annotations

import decimal
import fractions
import inspect
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmargin.excel.functions import EXCEL_FUNCTIONS

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
    st.floats(), st.text(max_size=8), st.binary(max_size=4),
    st.sampled_from(["gpt-4o", "Claude 3.5 Sonnet", "customer_support", "output", "#N/A", "",
                     decimal.Decimal("1.5"), fractions.Fraction(3, 2), np.float64(2.5),
                     np.int64(7), {"a": 1}, object(), 1j]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.lists(st.lists(inner, min_size=1, max_size=3), max_size=3)),
    max_leaves=12,
) | st.sampled_from([np.array([1.0, 2.0]), np.array([[350.0], [400.0]]), np.array([]),
                     np.array(["gpt-4o", "x"])])


def is_answer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, str) and (value == "" or value.startswith("#"))


def is_range_answer(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(row, list) and row for row in value)
            and len({len(row) for row in value}) == 1
            and all(is_answer(cell) for row in value for cell in row))


@pytest.mark.parametrize("name", list(EXCEL_FUNCTIONS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_python_value_answers_like_a_cell(name: str, data: st.DataObject) -> None:
    function = EXCEL_FUNCTIONS[name]
    parameters = list(inspect.signature(function).parameters)
    count = data.draw(st.integers(min_value=1, max_value=len(parameters)))
    args = [data.draw(values) for _ in range(count)]
    try:
        result = function(*args)
    except TypeError as error:  # too few arguments for the required ones is Python's own
        assert "required positional argument" in str(error)
        return
    assert is_answer(result) or is_range_answer(result), (args, result)


def test_the_cases_seen_in_the_wild() -> None:
    api_cost = EXCEL_FUNCTIONS["API_COST"]
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    gpt4o = ((350 + 1000) * 2.50 + 250 * 10.00) * k / 1e6
    # numpy in, plain lists out, the same numbers as the list form.
    assert api_cost("gpt-4o", np.array([[350.0], [350.0]]), 250, 100) == [
        [pytest.approx(gpt4o)], [pytest.approx(gpt4o)]]
    assert api_cost("gpt-4o", np.float64(350), np.int64(250), 100) == pytest.approx(gpt4o)
    assert api_cost("gpt-4o", [[1, 2], [3]], 250, 100) == (
        "#input_tokens: rows of the range differ in length (1 to 2 cells)")
    assert api_cost("gpt-4o", 10**400, 250, 100) == (
        "#input_tokens: too large to compute with (more than 1.8e308)")
    assert api_cost(["gpt-4o"], [10**400], [1], [1]) == [
        ["#input_tokens: too large to compute with (more than 1.8e308)"]]
    assert EXCEL_FUNCTIONS["FT_COST"]([[1, 2], [3]]) == (
        "#clients: rows of the range differ in length (1 to 2 cells)")
    assert EXCEL_FUNCTIONS["MARGIN"](decimal.Decimal("1500"), 180) == (
        "#revenue: expected a number, got Decimal('1500')")
    assert EXCEL_FUNCTIONS["FT_COST"](fractions.Fraction(3)) == pytest.approx(133.5 + 3 * 5)
