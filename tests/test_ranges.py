"""API_COST over ranges: the plain-Python path (a Pyodide without numpy) answers exactly what the
numpy path answers, float for float and message for message."""

from __future__ import annotations

import ast
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin.catalog import default_catalog
from xlmargin.excel import ranges_numpy, ranges_pure
from xlmargin.excel.api_cost import API_DEFAULTS

ARGS = ("model", "input_tokens", "output_tokens", "interactions_per_day", "input_price",
        "output_price", "cache_read_price", *API_DEFAULTS)


def both(**given: Any) -> tuple[Any, Any]:
    args = {name: given.get(name) for name in ARGS}
    catalog = default_catalog()
    return (ranges_numpy.api_cost_range(args, catalog),
            ranges_pure.api_cost_range(args, catalog))


cells = st.one_of(st.floats(min_value=-10, max_value=1e6, allow_nan=False), st.integers(-5, 10**6),
                  st.none(), st.sampled_from(["", "abc", "#N/A", True, float("inf"), 1e308]))
models = st.sampled_from(["gpt-4o", "gpt-4o-mini", "Claude 3.5 Sonnet", "nope", None, ""])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(models, cells, cells, cells, cells, cells), min_size=1, max_size=10))
def test_pure_path_equals_numpy_path_exactly(rows: list[tuple[Any, ...]]) -> None:
    model, tokens_in, tokens_out, per_day, retry, share = ([[r[i]] for r in rows]
                                                           for i in range(6))
    numpy_answer, pure_answer = both(model=model, input_tokens=tokens_in,
                                     output_tokens=tokens_out, interactions_per_day=per_day,
                                     retry_rate=retry, cached_input_share=share)
    assert pure_answer == numpy_answer  # == on floats: the same bits, not approximately


def test_a_single_value_stretches_and_shapes_are_checked() -> None:
    # One model for every row, a row of days across columns: the ranges broadcast.
    numpy_answer, pure_answer = both(model="gpt-4o", input_tokens=[[350], [800]],
                                     output_tokens=[[250], [400]],
                                     interactions_per_day=[[100], [50]], days=[[30, 31]])
    assert pure_answer == numpy_answer
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    assert pure_answer[0][0] == pytest.approx(((350 + 1000) * 2.50 + 250 * 10.00) * k / 1e6)
    mismatch = both(model="gpt-4o", input_tokens=[[1], [2], [3]], output_tokens=[[1], [2]],
                    interactions_per_day=1)
    assert mismatch[0] == mismatch[1] == ("#output_tokens: range is 2x1 but another "
                                          "argument's is 3x1")


def test_a_100000_row_column_is_the_same_without_numpy() -> None:
    n = 100_000
    names = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku", None]
    model = [[names[i % 4]] for i in range(n)]
    tokens_in = [[float(100 + i % 900)] if i % 4 != 3 else [None] for i in range(n)]
    tokens_out = [[float(50 + i % 400)] if i % 4 != 3 else [None] for i in range(n)]
    per_day = [[float(1 + i % 300)] if i % 4 != 3 else [None] for i in range(n)]
    numpy_answer, pure_answer = both(model=model, input_tokens=tokens_in,
                                     output_tokens=tokens_out, interactions_per_day=per_day)
    assert len(pure_answer) == n and pure_answer == numpy_answer
    assert pure_answer[3] == [""]  # an empty row stays empty
    k = 1 * 30 * 2.5 * 1.05 * 1.15  # row 0: gpt-4o, 100 in, 50 out, 1 a day
    assert pure_answer[0][0] == pytest.approx(((100 + 1000) * 2.50 + 50 * 10.00) * k / 1e6)


def test_without_numpy_api_cost_takes_the_pure_path() -> None:
    # A fresh interpreter where numpy cannot be imported, as in a bare Pyodide.
    code = ("import sys; sys.modules['numpy'] = None\n"
            "from xlmargin.excel.functions import API_COST\n"
            "print(API_COST([['gpt-4o'], [None]], [[350], [None]], [[250], [None]], "
            "[[100], [None]]))\n"
            "print(sorted(m for m in sys.modules if m.startswith('xlmargin.excel.ranges')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    answer, loaded = result.stdout.splitlines()
    k = 100 * 30 * 2.5 * 1.05 * 1.15
    assert ast.literal_eval(answer) == [
        [pytest.approx(((350 + 1000) * 2.50 + 250 * 10.00) * k / 1e6)], [""]]
    assert loaded == "['xlmargin.excel.ranges_pure']"
