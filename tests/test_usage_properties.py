"""Randomly damaged copies of the usage fixtures fed to the importer: rows duplicated, files cut
short, stray quotes, random bytes, pages saved twice. Whatever the damage:

- the import answers, or refuses with xlmargin's own clear error (an InputError), never a
  traceback;
- every physical line of a CSV is in exactly one of: the header, a blank line, a counted row, a
  row reported as malformed (``Table.counts``); and every row the CSV layer reads is counted,
  dropped as a duplicate, replaced by a longer bucket, or reported (``Actuals.files``);
- the totals never exceed those of the undamaged file, the deduplicated truth (the fixtures hold
  no duplicates), and damage that only repeats rows or pages leaves them equal.

The inserted bytes hold nothing that can lengthen a number (no digit, point, sign or 'e'), so a
damaged number can only become smaller or unreadable. The counts of inputs tried, clear errors
and tracebacks are printed at the end of the module (``pytest -s``)."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmargin.errors import XlmarginError
from xlmargin.usage import litellm
from xlmargin.usage.aggregate import Actuals, import_usage
from xlmargin.usage.csvfile import Table

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
CSV = ["plain_usage.csv", "litellm_spend_logs.csv",
       "dashboard_completions_usage_export.guardian_2025-10.tsv",
       "dashboard_cost_export.guardian_2025-10.tsv",
       "anthropic_console_usage_export.synthetic.csv",
       "console_cost_export.axigate_synthetic_real_column_order.csv"]
JSON = ["usage_completions_page.spec_example.json",
        "usage_completions_buckets.cookbook_real_output.json",
        "costs_page.spec_example.json", "usage_report_messages.docs_example.json",
        "cost_report.docs_example.json", "litellm_spend_logs.synthetic.json",
        "usage_other_endpoints.spec_examples.json"]
# Bytes that cannot make a number larger: no digits, '.', ',', '+', '-', '_', 'e' or 'E'.
NOISE = b'\x00\x01\x1f\x7f\x81\x8d\xa0\xc3\xe9\xff\t\r\n "\';|#xyzQ'
COUNTS: Counter[str] = Counter()


def grand(actuals: Actuals) -> tuple[int, int, int, int, Decimal]:
    found = list(actuals.clients.values())
    return (sum(t.requests for t in found), sum(t.input_tokens for t in found),
            sum(t.cached_input_tokens for t in found), sum(t.output_tokens for t in found),
            sum((t.cost_usd for t in found), Decimal(0)))


TRUTH = {name: grand(import_usage([FIXTURES / name])) for name in CSV + JSON}


def test_the_fixtures_hold_no_duplicates() -> None:
    for name in CSV + JSON:
        actuals = import_usage([FIXTURES / name])
        assert actuals.duplicates == 0 and actuals.conflicts == [], name


@st.composite
def damage(draw: st.DrawFn, data: bytes, header: bool = False,
           json: bool = False) -> tuple[bytes, bool]:
    """(damaged bytes, whether the damage only repeats rows or the whole file). Quotes and
    noise go after the first line, or into it with ``header``. They come first, then repeated
    lines, then the whole file again, the cut last: a repeated row is then a byte-for-byte
    copy. (Damage to one copy of a row already repeated makes it another row, a request id of
    its own, which no importer could tell from a real one.) JSON lines are not repeated: a
    line of one result copied into another is a forged value, not a repeated record (buckets
    repeated whole are ``test_a_bucket_repeated_inside_a_page``)."""
    order = {"quote": 0, "noise": 0, "repeat": 1, "again": 2, "cut": 3}
    kinds = sorted(draw(st.lists(st.sampled_from([k for k in order
                                                  if not (json and k == "repeat")]),
                                 min_size=1, max_size=4)), key=order.__getitem__)
    only_repeats = set(kinds) <= {"repeat", "again"}
    first = data.find(b"\n") + 1 if not header else 0
    for kind in kinds:
        if kind == "repeat":  # a data line copied elsewhere after the header
            lines = data.splitlines(keepends=True)
            if len(lines) > 1:
                source = draw(st.integers(1, len(lines) - 1))
                target = draw(st.integers(1, len(lines)))
                line = lines[source] if lines[source].endswith(b"\n") else lines[source] + b"\n"
                lines.insert(target, line)
                if not lines[-2].endswith(b"\n"):
                    lines[-2] += b"\n"
                data = b"".join(lines)
        elif kind == "cut":
            data = data[:draw(st.integers(0, len(data)))]
        elif kind == "again":  # the same page, or file, appended
            data = data + (b"" if data.endswith(b"\n") else b"\n") + data
        else:
            at = draw(st.integers(min(first, len(data)), len(data))) if not header \
                else draw(st.integers(0, max(0, data.find(b"\n"))))
            extra = b'"' if kind == "quote" else draw(st.binary(min_size=1, max_size=3).map(
                lambda raw: bytes(NOISE[b % len(NOISE)] for b in raw)))
            data = data[:at] + extra + data[at:]
    return data, only_repeats


def _physical_lines(data: bytes) -> int:
    breaks = len(re.findall(rb"\r\n|\r|\n", data))
    return breaks + (1 if data and not data.endswith((b"\n", b"\r")) else 0)


def check(tmp_path: Path, name: str, data: bytes, repeats_only: bool,
          header_damaged: bool = False) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    COUNTS["inputs tried"] += 1
    try:
        actuals = import_usage([path])
    except XlmarginError:
        COUNTS["clear errors"] += 1
        return
    except Exception:
        COUNTS["tracebacks"] += 1
        raise
    COUNTS["answers"] += 1
    for totals in actuals.clients.values():  # the months add up to each client's totals
        for part in ("requests", "input_tokens", "cached_input_tokens", "output_tokens"):
            assert sum(getattr(m, part) for m in totals.by_month.values()) \
                == getattr(totals, part), part
        # amounts shared among months (a bucket over years, from a damaged time) add up within
        # Decimal's 28 significant digits
        months_cost = sum((m.cost_usd for m in totals.by_month.values()), Decimal(0))
        assert abs(months_cost - totals.cost_usd) <= abs(totals.cost_usd) * Decimal("1e-24")
        covered = {m.month for m in actuals.covered_months}
        assert set(totals.by_month) <= covered
    found, truth = grand(actuals), TRUTH[name]
    if not header_damaged:
        # Requests and tokens never exceed the undamaged file's. Cost may: a cut that blanks a
        # row's billed cost_usd leaves its tokens, which are then priced from the catalog,
        # possibly above what was billed ('2026-09-15,Globex,claude-haiku-4-5,2000000,100000,0,').
        assert all(f <= t for f, t in zip(found[:-1], truth[:-1], strict=True)), (found, truth)
    if repeats_only:
        assert found == truth
    counts = actuals.files[str(path)]
    if name in CSV and counts.same_as is None:
        # read as the importer reads it: a LiteLLM dump lets line breaks into the cells of
        # columns it does not read (with a damaged header, the columns it finds)
        table = Table.of_file(path, single_line=litellm.CSV_COLUMNS) \
            if counts.format == litellm.CSV else Table.of_file(path)
        items = list(table)
        assert len(items) >= 0
        lines = table.counts
        # every physical line of the file is in exactly one place
        assert lines.lines == _physical_lines(data.lstrip(b"\xef\xbb\xbf")) or \
            not data.strip(), (lines, data)
        # every row read is counted, a duplicate, replaced by a longer bucket, or reported
        assert counts.records + counts.duplicates + counts.replaced + counts.malformed == \
            lines.rows + lines.malformed


@pytest.mark.parametrize("name", CSV)
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_csv_exports(tmp_path: Path, name: str, data: st.DataObject) -> None:
    damaged, repeats_only = data.draw(damage((FIXTURES / name).read_bytes()))
    check(tmp_path, name, damaged, repeats_only)


@pytest.mark.parametrize("name", CSV)
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_csv_headers(tmp_path: Path, name: str, data: st.DataObject) -> None:
    # A damaged header changes what a whole column means: a misspelt name the reader knows is
    # refused (detect.misspelt), one damaged past recognition is a column it does not read, so
    # the totals are not compared; the rest holds.
    damaged, repeats_only = data.draw(damage((FIXTURES / name).read_bytes(), header=True))
    check(tmp_path, name, damaged, repeats_only, header_damaged=True)


@pytest.mark.parametrize("name", JSON)
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_json_exports(tmp_path: Path, name: str, data: st.DataObject) -> None:
    damaged, repeats_only = data.draw(damage((FIXTURES / name).read_bytes(), json=True))
    check(tmp_path, name, damaged, repeats_only)


def _with_bucket_twice(document: object) -> object:
    """A bucket (or LiteLLM row) repeated inside its page."""
    if isinstance(document, dict) and isinstance(document.get("data"), list) \
            and document["data"]:
        return {**document, "data": [*document["data"], document["data"][0]]}
    if isinstance(document, list) and document:
        return [*document, document[0]]
    return document


@pytest.mark.parametrize("name", JSON)
def test_a_bucket_repeated_inside_a_page(tmp_path: Path, name: str) -> None:
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    check(tmp_path, name, json.dumps(_with_bucket_twice(document)).encode(), True)


def test_report_the_counts() -> None:
    assert COUNTS["tracebacks"] == 0
    assert COUNTS["inputs tried"] == COUNTS["answers"] + COUNTS["clear errors"]
    print(f"\nusage property test: {COUNTS['inputs tried']} inputs tried, "
          f"{COUNTS['answers']} answered, {COUNTS['clear errors']} clear errors, "
          f"{COUNTS['tracebacks']} tracebacks")
