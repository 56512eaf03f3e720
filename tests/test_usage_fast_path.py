"""The pyarrow fast path for LiteLLM spend-log CSVs (xlmargin/usage/litellm_arrow.py) against
the row reader it stands in for: on the same files, attributed every way, the two give the same
actuals, down to the Decimal totals; a file only the row reader reads exactly goes to it."""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin.errors import InputError
from xlmargin.usage import litellm_arrow, litellm_metadata, litellm_reading
from xlmargin.usage.aggregate import Actuals, import_usage
from xlmargin.usage.clients import BY

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
HEADER = ["request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens",
          "completion_tokens", "startTime", "endTime", "model", "user", "metadata",
          "request_tags", "team_id", "end_user", "status", "messages"]
# gpt-4o-mini and claude-haiku-4-5 are in the catalog; the last is not.
MODELS = ("gpt-4o-mini", "claude-haiku-4-5", "my-private-finetune")


def _metadata(rng: random.Random, key: int) -> str:
    meta: dict[str, object] = {}
    alias = rng.choice((f"client-{key}", f'acme "prod" {key}', f"café-{key}", "", None))
    if alias is not None:
        meta["user_api_key_alias"] = alias
    if rng.random() < 0.5:
        meta["user_api_key_team_alias"] = f"team {key % 3}"
    if rng.random() < 0.5:
        meta["user_api_key_project_alias" if rng.random() < 0.5
             else "user_api_key_project_id"] = f"proj-{key % 4}"
    usage: dict[str, object] = {"prompt_tokens": rng.randrange(100)}
    shape = rng.randrange(4)
    if shape == 0:  # OpenAI: cached reads inside prompt_tokens
        usage["prompt_tokens_details"] = {"cached_tokens": rng.choice((0, 64, 512))}
    elif shape == 1:  # Anthropic: cache reads and writes reported apart
        usage["cache_read_input_tokens"] = rng.choice((0, 300, 5000))
        usage["cache_creation_input_tokens"] = rng.choice((0, 200))
    elif shape == 2:  # both keys, the first zero
        usage["prompt_tokens_details"] = {"cached_tokens": 0}
        usage["cache_read_input_tokens"] = 128
    meta["usage_object"] = usage
    text = json.dumps(meta, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.1:  # hand-written JSON spacing, tabs included
        text = text.replace('": ', '"\t :  ')
    return text


def write_spend_log(path: Path, rows: int, seed: int = 7, *, extra: list[list[str]] = (),
                    newline: str = "\n") -> None:
    """A LiteLLM_SpendLogs dump with most of what real ones hold: aliases with escapes and
    accents, cache counts in both providers' shapes, rows without spend (priced by the day),
    tags as JSON and as Postgres arrays, multi-line cells, blank lines."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator=newline)
        writer.writerow(HEADER)
        for i in range(rows):
            key = rng.randrange(12)
            prompt, completion = rng.randrange(0, 9000), rng.randrange(0, 2000)
            spend = rng.choice((f"{rng.random() / 100:.8f}", f"{rng.random() / 1e4!r}",
                                "0.0", "1.5e-05", "", ""))
            stamp = f"2026-{7 + i % 3:02d}-{1 + rng.randrange(28):02d} 10:00:00.000"
            tags = rng.choice((f'["client:c{key % 5}"]', "[]", f"{{client:c{key % 5},x}}", ""))
            writer.writerow([
                f"req-{i}", "acompletion", rng.choice((f"hash{key:03d}", "")), spend,
                prompt + completion, rng.choice((str(prompt), str(prompt), "")),
                completion, stamp, stamp, MODELS[key % 3] if rng.random() < 0.95 else "",
                rng.choice((f"user-{key % 6}", "")), _metadata(rng, key), tags,
                rng.choice((f"team-{key % 2}", "")), rng.choice((f"end-{key % 7}", "")),
                "success", "line one\nline two" if rng.random() < 0.05 else "[]"])
            if rng.random() < 0.01:
                handle.write(newline)
        for row in extra:
            writer.writerow(row)


def both(files: list[Path], monkeypatch: pytest.MonkeyPatch,
         **options: object) -> tuple[Actuals, Actuals]:
    fast = import_usage(files, **options)  # type: ignore[arg-type]
    with monkeypatch.context() as patch:
        patch.setattr(litellm_arrow, "summed", lambda path, by, index=None: None)
        rows = import_usage(files, **options)  # type: ignore[arg-type]
    return fast, rows


def assert_same(fast: Actuals, rows: Actuals) -> None:
    assert fast.as_json() == rows.as_json()
    # Decimal totals equal as values, not only once rounded for JSON
    assert fast.clients == rows.clients
    assert fast.unpriced == rows.unpriced
    assert (fast.start, fast.end, fast.malformed) == (rows.start, rows.end, rows.malformed)


@pytest.fixture(scope="module")
def spend_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fast") / "spend_logs.csv"
    write_spend_log(path, 3000)
    return path


def test_the_generated_file_takes_the_fast_path(spend_log: Path) -> None:
    records = litellm_arrow.summed(spend_log, "api_key")
    assert records is not None
    assert sum(r.rows for r in records) == 3000
    # summed, not one record per row: a third of the rows have no spend and are summed by
    # key, model and day; the others by key and calendar month
    assert len(records) < 3000 * 0.6


@pytest.mark.parametrize("block_bytes", [litellm_reading.BLOCK_BYTES, 16 << 10])
@pytest.mark.parametrize("by", BY)
def test_fast_path_and_row_reader_agree(spend_log: Path, by: str, block_bytes: int,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litellm_reading, "BLOCK_BYTES", block_bytes)  # small: many batches
    fast, rows = both([spend_log], monkeypatch, by=by)
    assert_same(fast, rows)
    assert fast.clients and fast.unpriced  # priced, unpriced and billed usage all present


def test_agree_with_a_client_map(spend_log: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text('identifier,client\nclient-1,One\nHASH002,Two\n"acme ""prod"" 3",Three\n'
                       "café-4,Four\n", encoding="utf-8")
    fast, rows = both([spend_log], monkeypatch, clients_file=mapping)
    assert_same(fast, rows)
    assert {"One", "Two", "Three", "Four"} <= set(fast.clients)
    assert any("unattributed" in w for w in fast.warnings)


def test_crlf_and_semicolons_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crlf.csv"
    write_spend_log(path, 500, seed=3, newline="\r\n")
    assert litellm_arrow.summed(path, "api_key") is not None
    assert_same(*both([path], monkeypatch))
    semi = tmp_path / "semi.csv"
    with open(path, newline="", encoding="utf-8") as source, \
            open(semi, "w", newline="", encoding="utf-8") as target:
        csv.writer(target, delimiter=";").writerows(csv.reader(source))
    assert litellm_arrow.summed(semi, "api_key") is not None
    assert_same(*both([semi], monkeypatch))


@pytest.mark.parametrize("bad_cell", [
    (3, "not-a-number"),  # spend
    (3, " 0.5"),  # spend the row reader reads, after stripping it
    (3, "1,234.5"),
    (5, "12.0"),  # prompt tokens in spreadsheet float text
    (5, "-3"),
    (7, ""),  # no start time
    (7, "2026-02-30 10:00:00"),  # no such day
    (11, '{"usage_object": {"cached_tokens": ٣}}'),  # Arabic-Indic digit: Python's \d
    (11, '{"user_api_key_alias": "bad \\x escape"}'),
])
def test_anything_unusual_goes_to_the_row_reader(tmp_path: Path, bad_cell: tuple[int, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    column, text = bad_cell
    row = ["req-x", "acompletion", "hash001", "0.5", "10", "5", "5", "2026-08-02 10:00:00",
           "2026-08-02 10:00:00", "gpt-4o-mini", "u", "{}", "[]", "", "", "success", "[]"]
    row[column] = text
    path = tmp_path / "odd.csv"
    write_spend_log(path, 200, extra=[row])
    assert litellm_arrow.summed(path, "api_key") is None
    try:
        fast, rows = both([path], monkeypatch)
    except ValueError as error:  # the row reader's own failure, on the escape: same either way
        with pytest.raises(type(error)):
            import_usage([path])
        return
    assert_same(fast, rows)


def test_malformed_rows_are_still_reported_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    write_spend_log(path, 100, extra=[["req-x", "acompletion", "k", "oops", "1", "1", "1",
                                       "2026-08-02", "2026-08-02", "gpt-4o-mini", "", "{}",
                                       "[]", "", "", "success", "[]"]])
    with open(path, newline="", encoding="utf-8") as handle:
        line = sum(1 for _ in handle)  # the extra row is the last line
    actuals = import_usage([path])
    assert actuals.malformed == 1
    assert any(w.startswith(f"bad.csv:{line}: spend") for w in actuals.warnings)


def test_short_rows_and_a_multiline_header_go_to_the_row_reader(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    write_spend_log(short, 50, extra=[["req-x", "acompletion", "k", "0.1"]])
    assert litellm_arrow.summed(short, "api_key") is None
    header = tmp_path / "header.csv"
    header.write_text('request_id,spend,startTime,"meta\ndata"\nr,0.1,2026-08-01,{}\n')
    assert litellm_arrow.summed(header, "api_key") is None


def test_fixture_with_its_bad_row_is_read_as_before() -> None:
    # The committed fixture has a malformed row: the row reader reads it, as the tests expect.
    assert litellm_arrow.summed(FIXTURES / "litellm_spend_logs.csv", "api_key") is None


def test_mixed_currency_message_names_the_same_row(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "spend.csv"
    write_spend_log(path, 300, seed=11)
    # the first row with spend comes after a multi-line cell, blank lines and a few batches
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    no_spend = [lines[0]] + [re.sub(r"^(req-\d+,acompletion,[^,]*,)[^,]*,", r"\1,", line)
                             for line in lines[1:200]]
    path.write_text("".join(no_spend + lines[200:]), encoding="utf-8")
    monkeypatch.setattr(litellm_reading, "BLOCK_BYTES", 8 << 10)
    records = litellm_arrow.summed(path, "api_key")
    assert records is not None and records[0].where != "spend.csv:2"
    eur = FIXTURES / "costs_eur.json"
    messages = []
    for summed in (litellm_arrow.summed, lambda path, by, index=None: None):
        with monkeypatch.context() as patch:
            patch.setattr(litellm_arrow, "summed", summed)
            with pytest.raises(InputError, match="mixed currencies") as error:
                import_usage([path, eur])
            messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert re.search(r"spend\.csv:\d+ is in USD", messages[0])


def test_spend_is_summed_exactly(tmp_path: Path) -> None:
    path = tmp_path / "exact.csv"
    # 1234567.891 next to a 20-digit float text: past the 28 digits the row reader's Decimal
    # sum keeps, where it rounds at every row; the fast path's sum is exact.
    amounts = ["0.1", "0.2", "0.00016349999999999998", "1.5e-05", "1234567.891", "-0.3"] * 500
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["request_id", "api_key", "spend", "startTime", "metadata"])
        for i, amount in enumerate(amounts):
            writer.writerow([f"r{i}", "k", amount, "2026-08-01", "{}"])
    with localcontext(prec=80):
        exact = sum(Decimal(a) for a in amounts)
    assert exact == Decimal("617283945.58924999999999999")
    records = litellm_arrow.summed(path, "api_key")
    assert records is not None and len(records) == 1
    assert records[0].cost_usd == exact  # not a float's sum
    assert import_usage([path]).clients["k"].cost_usd == +exact  # at 28 digits


@settings(max_examples=1000, deadline=None)
@given(st.from_regex(litellm_reading._AMOUNT, fullmatch=True))
def test_arrow_reads_every_accepted_amount_as_decimal_does(text: str) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not text:
        return  # blank: no spend, on both paths
    try:
        value = pc.cast(pa.array([text]), pa.decimal256(*litellm_reading.SPEND_TYPE))[0].as_py()
    except pa.ArrowInvalid:
        return  # out of decimal256(76, 38): the file goes to the row reader
    assert value == Decimal(text)


def test_python_whitespace_is_spelled_out_for_re2() -> None:
    python = "".join(c for c in map(chr, range(0x110000)) if re.fullmatch(r"\s", c))
    assert python == litellm_metadata.PY_SPACE


def test_importing_the_usage_import_does_not_import_pyarrow() -> None:
    probe = ("import sys\nfrom xlmargin.cli import build_parser\nbuild_parser()\n"
             "import xlmargin.usage.aggregate\nprint('pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


# Metadata as real LiteLLM logs hold it: different on every row (request ids, timestamps, an IP,
# a usage object), the key's alias early on. The fast path reads each key from a few bytes
# after its name's first occurrence (litellm_metadata.first_match); these files make that
# occurrence a decoy, the value longer than the window, the count run to the window's end.
def _varied_metadata(rng: random.Random, key: int, i: int, rows: int) -> str:
    parts = [f'"user_api_key": "hash{key:03d}"']
    if rng.random() < 0.05:  # the alias key's name as a value first: a decoy
        parts.insert(0, '"field": "user_api_key_alias"')
    if rng.random() < 0.05:  # a non-string alias first, the real one later
        parts.insert(0, '"user_api_key_alias": null')
    if key % 6 == 5:
        alias: str | None = None  # this key has no alias
    elif key % 6 == 4:
        alias = f"a long alias for client {key}, longer than any window " * 2
    elif key % 6 == 3:
        alias = rng.choice((f'quoted "{key}"', f"café-{key}", f"back\\slash-{key}", ""))
    else:  # renamed half-way through the file
        alias = f"client-{key}" if i < rows // 2 else f"renamed-{key}"
    if alias is not None:
        parts.append('"user_api_key_alias": ' + json.dumps(alias, ensure_ascii=key % 2 == 0))
    parts.append(f'"requester_ip_address": "10.0.{i % 256}.{rng.randrange(256)}"')
    parts.append(f'"request_id": "req-{i}-{rng.getrandbits(64):016x}"')
    usage: dict[str, object] = {"completion_tokens": rng.randrange(2000),
                                "prompt_tokens": rng.randrange(9000)}
    shape = rng.randrange(4)
    if shape == 0:
        usage["prompt_tokens_details"] = {"cached_tokens": rng.choice((0, 7, 1024, 2048))}
    elif shape == 1:
        usage["cache_read_input_tokens"] = rng.choice((0, 300, 5000))
        usage["cache_creation_input_tokens"] = rng.choice((0, 200))
    elif shape == 2:
        usage["prompt_tokens_details"] = {"cached_tokens": 0}
        usage["cache_read_input_tokens"] = 128
    usage_text = json.dumps(usage)
    if rng.random() < 0.05:  # Python's non-ASCII spaces around the colon
        usage_text = usage_text.replace('": ', '"\u2003:\u00a0')
    parts.append(f'"usage_object": {usage_text}')
    if rng.random() < 0.05:  # the text ends right after a count: no character after it
        parts.append('"cached_tokens": 42')
        return "{" + ", ".join(parts)
    if rng.random() < 0.03:  # 'cached_tokens' first as a value, its count later
        parts.insert(0, '"note": "cached_tokens"')
    return "{" + ", ".join(parts) + "}"


def write_varied_log(path: Path, rows: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            key = rng.randrange(12)
            prompt, completion = rng.randrange(0, 9000), rng.randrange(0, 2000)
            stamp = f"2026-{7 + i * 3 // rows:02d}-{1 + rng.randrange(28):02d} 10:00:00.000"
            writer.writerow([
                f"req-{i}", "acompletion", f"hash{key:03d}" if key != 11 else "",
                rng.choice((f"{rng.random() / 100:.8f}", "")), prompt + completion, prompt,
                completion, stamp, stamp, MODELS[key % 3], f"user-{key % 6}",
                _varied_metadata(rng, key, i, rows), f'["client:c{key % 5}"]',
                f"team-{key % 2}", "", "success", "[]"])


@pytest.fixture(scope="module")
def varied_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("varied") / "varied.csv"
    write_varied_log(path, 3000)
    return path


@pytest.mark.parametrize("windows", [None, (1, 1), (12, 6)])
@pytest.mark.parametrize("by", BY)
def test_varied_metadata_agrees(varied_log: Path, by: str, windows: tuple[int, int] | None,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litellm_reading, "BLOCK_BYTES", 32 << 10)  # many batches
    if windows is not None:  # tiny windows: most values are searched for in the whole text
        monkeypatch.setattr(litellm_metadata, "STRING_WINDOW", windows[0])
        monkeypatch.setattr(litellm_metadata, "INT_WINDOW", windows[1])
    assert litellm_arrow.summed(varied_log, by) is not None
    fast, rows = both([varied_log], monkeypatch, by=by)
    assert_same(fast, rows)


def test_varied_metadata_keeps_renamed_and_unnamed_keys_apart(
        varied_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, rows = both([varied_log], monkeypatch, by="api_key")
    assert_same(fast, rows)
    clients = set(fast.clients)
    assert {"client-0", "renamed-0", "client-1", "renamed-1"} <= clients  # renamed mid-file
    assert "hash005" in clients  # no alias: the key id
    assert any(name.startswith("a long alias for client 4") for name in clients)
    assert "unattributed" in clients  # key 11: no alias, no key id


# Pieces a metadata text is made of in the property test below: the keys' names, the
# characters their patterns turn on, Python's non-ASCII spaces and digits.
_PIECES = ['"user_api_key_alias"', '"cached_tokens"', "user_api_key_alias", ":", ": ", " ",
           "\t", "\u2003", "\u00a0", '"', "\\", '\\"', "a", "é", "0", "12", "4096", "٣",
           "1234567890123", ",", "}", "\n"]


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
                      min_size=1, max_size=6),
       window=st.integers(min_value=1, max_value=24))
def test_first_match_is_the_whole_text_search(texts: list[str], window: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, pattern in (("user_api_key_alias", litellm_metadata.STRING),
                          ("cached_tokens", litellm_metadata.INT)):
        whole = pc.struct_field(pc.extract_regex(pa.array(texts),
                                                 pattern.replace("{name}", name)), [0])
        expected: object
        try:
            expected = (litellm_metadata.digits(whole) if pattern == litellm_metadata.INT
                        else whole).to_pylist()
        except litellm_metadata.RowReaderNeededError:
            expected = litellm_metadata.RowReaderNeededError
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(litellm_metadata, "STRING_WINDOW", window)
            patch.setattr(litellm_metadata, "INT_WINDOW", window)
            try:
                found: object = litellm_metadata.first_match(pa.array(texts), name,
                                                           pattern).to_pylist()
            except litellm_metadata.RowReaderNeededError:
                found = litellm_metadata.RowReaderNeededError
        assert found == expected, (name, texts)


def test_a_count_only_python_reads_sends_the_file_to_the_row_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for count in ("1234567890123", "12٣"):  # past int64's safe digits; a non-ASCII digit
        path = tmp_path / "count.csv"
        write_varied_log(path, 300)
        with open(path, "a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow([
                "req-x", "acompletion", "hash001", "0.5", "10", "5", "5", "2026-08-02",
                "2026-08-02", "gpt-4o-mini", "u",
                '{"request_id": "r", "usage_object": {"cached_tokens": ' + count + "}}",
                "[]", "", "", "success", "[]"])
        assert litellm_arrow.summed(path, "api_key") is None
        assert_same(*both([path], monkeypatch))


def _reader_threads() -> list[object]:
    import threading

    return [t for t in threading.enumerate() if t.name == "litellm-csv-reader"]


def test_leaving_early_stops_the_reading_thread(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litellm_reading, "BLOCK_BYTES", 16 << 10)
    bad_amount = tmp_path / "amount.csv"  # found by the summing, in the first batch
    write_spend_log(bad_amount, 2000)
    with open(bad_amount, newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    table.insert(2, ["req-x", "acompletion", "k", "NaN", "1", "1", "1", "2026-08-02",
                     "2026-08-02", "gpt-4o-mini", "", "{}", "[]", "", "", "success", "[]"])
    with open(bad_amount, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)
    bad_utf8 = tmp_path / "utf8.csv"  # found by the reader, in its own thread
    write_spend_log(bad_utf8, 2000)
    data = bad_utf8.read_bytes()
    bad_utf8.write_bytes(data[:-200] + data[-200:].replace(b"{", b"{\xff", 1))
    for path in (bad_amount, bad_utf8):
        assert litellm_arrow.summed(path, "api_key") is None
        assert not _reader_threads()
    assert litellm_arrow.summed(FIXTURES / "litellm_spend_logs.csv", "api_key") is None
    assert not _reader_threads()


def test_zero_spend_beside_tokens_is_priced_alike_on_both_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # LiteLLM logs spend 0 for a model it cannot price: both paths hand such rows to the one
    # rule in aggregate (priced at the day's catalog price, or listed unpriced, and a warning)
    path = tmp_path / "zero.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["request_id", "api_key", "spend", "prompt_tokens", "completion_tokens",
                         "startTime", "model", "metadata"])
        writer.writerow(["r1", "k", "0.0", "1000", "2000", "2026-09-01", "my-custom-finetune",
                         "{}"])
        writer.writerow(["r2", "k", "0.0", "1000", "2000", "2026-09-01", "gpt-4o", "{}"])
        writer.writerow(["r3", "k", "0", "3000", "0", "2026-09-02", "gpt-4o", "{}"])
        writer.writerow(["r4", "k", "0.0", "0", "0", "2026-09-02", "gpt-4o", "{}"])  # failed
        writer.writerow(["r5", "k", "0.25", "10", "10", "2026-09-02", "gpt-4o", "{}"])
        writer.writerow(["r6", "k", "", "10", "0", "2026-09-02", "gpt-4o", "{}"])  # no spend
    records = litellm_arrow.summed(path, "api_key")
    assert records is not None  # the fast path reads it
    fast, rows = both([path], monkeypatch)
    assert_same(fast, rows)
    key = fast.as_json()["clients"][0]
    # gpt-4o at 2.50 in / 10 out per million: r2, r3, r6 priced; r5's 0.25 as logged
    priced = (1000 * 2.5 + 2000 * 10) + 3000 * 2.5 + 10 * 2.5
    assert key["cost_usd"] == pytest.approx(priced / 1e6 + 0.25, abs=1e-12)
    assert fast.as_json()["unpriced"] == [{"model": "my-custom-finetune", "input_tokens": 1000,
                                           "output_tokens": 2000}]
    zero = [w for w in fast.warnings if "spend 0" in w]
    assert len(zero) == 1 and zero[0].startswith("3 LiteLLM row(s)")  # r4: no tokens
    assert "gpt-4o: 2" in zero[0] and "my-custom-finetune: 1" in zero[0]


def test_huge_counts_and_amounts_are_malformed_rows(tmp_path: Path) -> None:
    # Each goes to the row reader, which reports the row instead of crashing on it.
    path = tmp_path / "huge.csv"
    row = ["req-x", "acompletion", "k", "0.5", "10", "5", "5", "2026-08-02", "2026-08-02",
           "gpt-4o-mini", "u", "{}", "[]", "", "", "success", "[]"]
    cached = '{"usage_object": {"cached_tokens": ' + "9" * 5000 + "}}"  # past int()'s limit
    bad = [[*row[:5], "99999999999999999999", *row[6:]],  # prompt tokens
           [*row[:3], "Infinity", *row[4:]],  # summed, then rounded: InvalidOperation
           [*row[:3], "1E+1000000", *row[4:]],  # summed: Overflow
           [*row[:11], cached, *row[12:]]]
    write_spend_log(path, 100, extra=bad)
    with open(path, newline="", encoding="utf-8") as handle:
        last = sum(1 for _ in handle)  # the bad rows are the last 4 lines
    assert litellm_arrow.summed(path, "api_key") is None
    actuals = import_usage([path])
    assert actuals.malformed == 4
    for line, name in zip(range(last - 3, last + 1),
                          ("prompt_tokens", "spend", "spend", "metadata.cached_tokens"),
                          strict=True):
        assert any(w.startswith(f"huge.csv:{line}: {name}") for w in actuals.warnings), line
