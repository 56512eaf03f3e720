"""The same usage counted once: the same file twice, a bucket repeated in one file, pages saved
twice, exports whose periods overlap, LiteLLM requests with one request_id; and where two copies
of one record disagree, the output says so. Expected numbers are worked out by hand here."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin.cli import main
from xlmargin.usage import litellm_arrow, litellm_reading
from xlmargin.usage.aggregate import import_usage

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
DAY = 86400
START = 1759622400  # 2025-10-05 00:00 UTC


def totals(data: dict) -> tuple[int, int, int, float]:
    """(requests, input, output, cost) over every client and the unattributed."""
    entries = [*data["clients"], *([data["unattributed"]] if data["unattributed"] else [])]
    return (sum(e["requests"] for e in entries), sum(e["input_tokens"] for e in entries),
            sum(e["output_tokens"] for e in entries), sum(e["cost_usd"] for e in entries))


def dropped(data: dict, file: Path | str) -> int:
    return next(f["duplicates"] for f in data["files"] if f["file"] == str(file))


# --- the same file, or the same bytes, twice ------------------------------------------------

def test_the_same_file_twice_is_read_once(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "plain_usage.csv"
    once = import_usage([path]).as_json()
    twice = import_usage([path, path]).as_json()
    assert totals(twice) == totals(once)
    assert twice["clients"] == once["clients"]
    # plain_usage.csv: 5 rows counted (line 6 is malformed), all 5 would be duplicates
    assert dropped(twice, path) == 5
    assert f"{path} is given twice: read once" in twice["warnings"]
    assert main(["import-usage", str(path), str(path)]) == 0
    assert "given twice: read once" in capsys.readouterr().out


def test_a_copy_under_another_name_is_read_once(tmp_path: Path) -> None:
    path = FIXTURES / "dashboard_completions_usage_export.guardian_2025-10.tsv"
    copy = tmp_path / "october.tsv"
    shutil.copy(path, copy)
    data = import_usage([path, copy]).as_json()
    assert totals(data) == totals(import_usage([path]).as_json())
    entry = next(f for f in data["files"] if f["file"] == str(copy))
    assert entry["same_as"] == str(path) and entry["duplicates"] == 7  # 6 rows, 1 empty bucket
    assert data["duplicates"]["dropped"] == 7


# --- buckets: repeated, pages saved twice, overlapping periods ---------------------------------

def _bucket(day: int, results: list[dict], hours: float = 24) -> dict:
    start = START + day * DAY
    return {"object": "bucket", "start_time": start, "end_time": int(start + hours * 3600),
            "results": results}


def _completions(key: str, model: str, input_tokens: int, output_tokens: int,
                 requests: int = 1) -> dict:
    return {"object": "organization.usage.completions.result", "input_tokens": input_tokens,
            "output_tokens": output_tokens, "input_cached_tokens": 0,
            "num_model_requests": requests, "project_id": None, "user_id": None,
            "api_key_id": key, "model": model, "batch": None}


def _page(buckets: list[dict]) -> dict:
    return {"object": "page", "data": buckets, "has_more": False, "next_page": None}


def test_a_bucket_repeated_in_one_page_counts_once(tmp_path: Path) -> None:
    day0 = _bucket(0, [_completions("key_a", "gpt-4o", 1000, 100)])
    day1 = _bucket(1, [_completions("key_a", "gpt-4o", 2000, 200)])
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(_page([day0, day1, day0])))
    data = import_usage([path]).as_json()
    assert totals(data)[1:3] == (1000 + 2000, 100 + 200)
    assert dropped(data, path) == 1
    assert data["months"] == pytest.approx(2 / (365.25 / 12), abs=1e-4)  # 2 days, not 3


def test_pages_saved_one_after_another_in_one_file(tmp_path: Path) -> None:
    # `curl ... >> usage.json` for each page, the second page fetched twice
    first = _page([_bucket(0, [_completions("key_a", "gpt-4o", 1000, 100)])])
    second = _page([_bucket(1, [_completions("key_a", "gpt-4o", 2000, 200)])])
    path = tmp_path / "usage.json"
    path.write_text("\n".join(json.dumps(p) for p in (first, second, second)))
    data = import_usage([path]).as_json()
    assert totals(data)[1:3] == (1000 + 2000, 100 + 200)
    assert dropped(data, path) == 1


def test_overlapping_exports_are_merged(tmp_path: Path) -> None:
    # September export: days 0-4; October export: days 3-7. Days 3 and 4 are in both.
    def day(i: int) -> dict:
        return _bucket(i, [_completions("key_a", "gpt-4o", 1000 * (i + 1), 10 * (i + 1))])

    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(_page([day(i) for i in range(5)])))
    second.write_text(json.dumps(_page([day(i) for i in range(3, 8)])))
    data = import_usage([first, second]).as_json()
    # each of the 8 days once: 1000 * (1 + 2 + ... + 8) input, 10 * (1 + ... + 8) output
    assert totals(data)[1:3] == (1000 * 36, 10 * 36)
    assert dropped(data, first) == 0 and dropped(data, second) == 2
    assert data["months"] == pytest.approx(8 / (365.25 / 12), abs=1e-4)
    assert "2 duplicate record(s) dropped, counted once: " + str(second) + ": 2" \
        in data["warnings"]


def test_a_partial_last_bucket_gives_way_to_the_full_day(tmp_path: Path) -> None:
    # The first export was pulled at 17:31 on day 1: its last bucket is that day's first 17.5 h.
    partial = _bucket(1, [_completions("key_a", "gpt-4o", 700, 70)], hours=17.5)
    full = _bucket(1, [_completions("key_a", "gpt-4o", 1000, 100)])
    day0 = _bucket(0, [_completions("key_a", "gpt-4o", 500, 50)])
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(_page([day0, partial])))
    second.write_text(json.dumps(_page([full])))
    data = import_usage([first, second]).as_json()
    assert totals(data)[1:3] == (500 + 1000, 50 + 100)  # the full day, not 700 + 1000
    assert next(f for f in data["files"] if f["file"] == str(first))["replaced"] == 1
    assert any(w.startswith("1 partial or shorter bucket(s) replaced") for w in
               data["warnings"])
    assert data["duplicates"]["conflicts"] == []


def test_hours_inside_days_that_add_up_to_more_are_a_conflict(tmp_path: Path) -> None:
    hourly = [_bucket(0, [_completions("key_a", "gpt-4o", 600, 60)], hours=1)]
    hourly.append({**_bucket(0, [_completions("key_a", "gpt-4o", 600, 60)], hours=1),
                   "start_time": START + 3600, "end_time": START + 7200})
    daily = _bucket(0, [_completions("key_a", "gpt-4o", 1000, 100)])
    first, second = tmp_path / "hours.json", tmp_path / "days.json"
    first.write_text(json.dumps(_page(hourly)))
    second.write_text(json.dumps(_page([daily])))
    data = import_usage([first, second]).as_json()
    assert totals(data)[1:3] == (1000, 100)  # the day is kept; its hours are inside it
    (conflict,) = data["duplicates"]["conflicts"]
    assert conflict["dropped"] == "the shorter buckets inside it"
    assert conflict["differences"] == "requests 1 vs 2 in all"  # 600 + 600 > 1000 comes next


def test_two_exports_that_disagree_about_a_bucket_say_so(tmp_path: Path) -> None:
    early = _bucket(0, [_completions("key_a", "gpt-4o", 1000, 100, requests=10)])
    late = _bucket(0, [_completions("key_a", "gpt-4o", 1200, 100, requests=12)])
    first, second = tmp_path / "pulled-monday.json", tmp_path / "pulled-friday.json"
    first.write_text(json.dumps(_page([early])))
    second.write_text(json.dumps(_page([late])))
    data = import_usage([first, second]).as_json()
    # the larger (late usage only adds to a bucket) is counted once, and the conflict said
    assert totals(data)[:3] == (12, 1200, 100)
    (conflict,) = data["duplicates"]["conflicts"]
    assert conflict["kept"] == "pulled-friday.json:$.data[0].results[0]"
    assert conflict["dropped"] == "pulled-monday.json:$.data[0].results[0]"
    assert conflict["differences"] == "requests 12 vs 10, input_tokens 1200 vs 1000"
    assert dropped(data, first) == 1
    assert any("disagree (requests 12 vs 10, input_tokens 1200 vs 1000)" in w
               for w in data["warnings"])


def test_rows_of_one_bucket_that_differ_in_one_export_all_count() -> None:
    # The real dashboard export has two gpt-5 rows for one key and day (a grouping it does not
    # show): 8 and 1 requests. Both are usage; neither is a duplicate.
    data = import_usage([FIXTURES / "dashboard_completions_usage_export.guardian_2025-10.tsv"])
    assert data.clients["key_OYRZfEkH5R9CNgtY"].requests == 10 + 8 + 1 + 21 + 11 + 2
    assert data.duplicates == 0 and data.conflicts == []


def test_the_dashboard_export_and_the_api_count_a_day_once(tmp_path: Path) -> None:
    tsv = FIXTURES / "dashboard_completions_usage_export.guardian_2025-10.tsv"
    with open(tsv, newline="") as handle:
        first = next(r for i, r in enumerate(csv.DictReader(handle, delimiter="\t")) if i == 0)
    result = {"object": "organization.usage.completions.result",
              "input_tokens": 59200, "output_tokens": 10646, "input_cached_tokens": 5760,
              "num_model_requests": 10, "project_id": first["project_id"],
              "user_id": first["user_id"], "api_key_id": first["api_key_id"],
              "model": first["model"], "batch": False, "service_tier": "default"}
    api = tmp_path / "api.json"
    api.write_text(json.dumps(_page([{"object": "bucket", "start_time": 1759622400,
                                      "end_time": 1759708800, "results": [result]}])))
    both = import_usage([tsv, api])
    assert both.clients == import_usage([tsv]).clients
    assert both.files[str(api)].duplicates == 1


def test_a_console_csv_row_repeated(tmp_path: Path) -> None:
    source = FIXTURES / "console_cost_export.axigate_synthetic_real_column_order.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "cost.csv"
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")  # line 2 again
    data = import_usage([path]).as_json()
    assert totals(data)[3] == pytest.approx(0.05 + 0.02 + 0.10 + 0.30)
    assert dropped(data, path) == 1


# --- plain CSV rows ---------------------------------------------------------------------------

def test_identical_plain_rows_count_once_rows_that_differ_twice(tmp_path: Path) -> None:
    first, second = tmp_path / "aug.csv", tmp_path / "sep.csv"
    header = "date,client,model,input_tokens,output_tokens\n"
    first.write_text(header + "2026-08-31,Acme,gpt-4o,1000,100\n"
                              "2026-09-01,Acme,gpt-4o,2000,200\n")
    # the next export repeats the last day, in another column order, and adds one
    second.write_text("client,date,model,input_tokens,output_tokens\n"
                      "Acme,2026-09-01,gpt-4o,2000,200\n"
                      "Acme,2026-09-01,gpt-4o,2000,201\n")
    data = import_usage([first, second]).as_json()
    assert totals(data)[1:3] == (1000 + 2000 + 2000, 100 + 200 + 201)
    assert dropped(data, second) == 1


# --- LiteLLM requests -----------------------------------------------------------------------

def _row(request: str, prompt: int, completion: int, spend: str, day: str = "2026-09-01",
         key: str = "hash-a") -> list[str]:
    return [request, key, spend, str(prompt), str(completion), f"{day} 10:00:00", "gpt-4o-mini",
            '{"user_api_key_alias": "acme"}']


def _log(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["request_id", "api_key", "spend", "prompt_tokens", "completion_tokens",
                         "startTime", "model", "metadata"])
        writer.writerows(rows)
    return path


def _paths(monkeypatch: pytest.MonkeyPatch, files: list[Path]) -> list[dict]:
    """The import through the fast path, then through the row reader alone."""
    fast = import_usage(files).as_json()
    monkeypatch.setattr(litellm_arrow, "summed", lambda path, by, index=None: None)
    rows = import_usage(files).as_json()
    monkeypatch.undo()
    return [fast, rows]


def test_a_request_twice_in_one_log_counts_once(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = _log(tmp_path / "log.csv", [_row("r1", 1000, 100, "0.5"), _row("r2", 2000, 200, "0.25"),
                                       _row("r1", 1000, 100, "0.5")])
    assert litellm_arrow.summed(path, "api_key") is not None  # the fast path reads it
    for data in _paths(monkeypatch, [path]):
        acme = data["clients"][0]
        assert (acme["requests"], acme["input_tokens"], acme["output_tokens"]) == (
            2, 1000 + 2000, 100 + 200)
        assert acme["cost_usd"] == pytest.approx(0.5 + 0.25)
        assert dropped(data, path) == 1 and data["duplicates"]["conflicts"] == []


def test_overlapping_logs_count_each_request_once(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [_row(f"r{i}", 100 * i, 10 * i, f"0.{i}", day=f"2026-09-{i:02d}")
            for i in range(1, 10)]
    first = _log(tmp_path / "aug.csv", rows[:6])  # r1..r6
    second = _log(tmp_path / "sep.csv", rows[4:])  # r5..r9: r5 and r6 again
    for data in _paths(monkeypatch, [first, second]):
        acme = data["clients"][0]
        # r1..r9 once each: 100 * (1 + ... + 9) input, $0.1 + ... + $0.9
        assert (acme["requests"], acme["input_tokens"]) == (9, 100 * 45)
        assert acme["cost_usd"] == pytest.approx(4.5)
        assert dropped(data, second) == 2 and dropped(data, first) == 0


def test_a_json_page_and_a_csv_dump_of_the_same_requests(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    dump = _log(tmp_path / "dump.csv", [_row("r1", 1000, 100, "0.5"),
                                        _row("r2", 2000, 200, "0.25")])
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"data": [
        {"request_id": "r2", "api_key": "hash-a", "spend": 0.25, "prompt_tokens": 2000,
         "completion_tokens": 200, "startTime": "2026-09-01T10:00:00", "model": "gpt-4o-mini",
         "metadata": {"user_api_key_alias": "acme"}},
        {"request_id": "r3", "api_key": "hash-a", "spend": 0.125, "prompt_tokens": 3000,
         "completion_tokens": 300, "startTime": "2026-09-02T10:00:00", "model": "gpt-4o-mini",
         "metadata": {"user_api_key_alias": "acme"}}], "page": 1, "total_pages": 1}))
    for order in ([dump, page], [page, dump]):
        for data in _paths(monkeypatch, order):
            acme = data["clients"][0]
            assert (acme["requests"], acme["input_tokens"]) == (3, 1000 + 2000 + 3000)
            assert acme["cost_usd"] == pytest.approx(0.5 + 0.25 + 0.125)
            assert data["duplicates"]["dropped"] == 1
            assert dropped(data, order[1]) == 1  # dropped from the one read second


def test_a_request_with_two_sets_of_numbers_is_a_conflict(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = _log(tmp_path / "a.csv", [_row("r1", 1000, 100, "0.5")])
    second = _log(tmp_path / "b.csv", [_row("r1", 1000, 150, "0.5"), _row("r2", 10, 1, "0.1")])
    for data in _paths(monkeypatch, [first, second]):
        acme = data["clients"][0]
        assert (acme["requests"], acme["output_tokens"]) == (2, 100 + 1)  # the first r1 kept
        (conflict,) = data["duplicates"]["conflicts"]
        assert conflict == {"record": "request_id 'r1'", "kept": str(first),
                            "dropped": str(second),
                            "differences": "output_tokens 100 vs 150"}


def test_fast_path_and_row_reader_agree_on_generated_overlaps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_usage_fast_path import write_spend_log

    whole = tmp_path / "whole.csv"
    write_spend_log(whole, 1500, seed=9)
    with open(whole, newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle) if r]
    later = tmp_path / "later.csv"  # the last 400 requests again, then 300 new ones
    with open(later, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerows([rows[0], *rows[-400:], *(["new-" + r[0], *r[1:]] for r in rows[1:301])])
    monkeypatch.setattr(litellm_reading, "BLOCK_BYTES", 16 << 10)  # many batches
    fast, slow = _paths(monkeypatch, [whole, later])
    assert fast == slow
    assert fast["duplicates"]["dropped"] == 400
    assert totals(fast)[0] == 1500 + 300


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=30), st.integers(0, 4))
def test_fingerprints_in_numpy_are_the_python_ones(ids: list[str], cut: int) -> None:
    # The fast path fingerprints whole columns in numpy, the ledger one id at a time in
    # Python: a request seen by both must get the same fingerprint, wherever it sits in its
    # column (short ids, ids at the buffer's start, a sliced column, non-ASCII).
    import pyarrow as pa

    from xlmargin.usage.request_ids import fingerprint, fingerprints

    column = pa.array(ids, pa.string())
    column = column[min(cut, len(ids)):]
    found, plain, holding = fingerprints(column)
    texts = column.to_pylist()
    assert found.tolist() == [fingerprint(i) for i in texts]
    assert plain == all(not i or (0x21 <= ord(i[0]) <= 0x7E and 0x21 <= ord(i[-1]) <= 0x7E)
                        for i in texts)
    assert (holding is None) == all(texts) and (holding is None
                                                or holding.tolist() == [bool(i) for i in texts])
