"""The ``LiteLLM_SpendLogs`` CSV summed by pyarrow: the fast path of ``import-usage`` for the one
format whose exports run to millions of rows (issue 4: a 1M-row file within 3x of DuckDB).

pyarrow's streaming CSV reader, run by a thread of its own, hands over record batches of only
the columns needed. Per batch, pyarrow.compute checks that every cell is in the plain form
``litellm.read_csv`` (the row reader) reads the same way, pulls the metadata keys out with the
row reader's patterns (RE2 here, ``re`` there, written to match the same text), and sums tokens
and spend by day, model and the identifiers the chosen ``--by`` attributes on. Only those small
per-batch sums reach Python, where each distinct identifier is cleaned exactly as the row reader
cleans it, once. Metadata that differs on every row (request ids, timestamps, a usage object)
is not searched whole, row by row: each key is looked for at its name's first occurrence, in
the few bytes after it, which repeat (see _first_match).

Anything else makes the whole file go through the row reader instead, which reports bad rows by
file and line: a row the CSV parser rejects (wrong column count, unbalanced quote), a count,
amount or time in a form only the row reader parses (blank time, spaces, '1,234', 'NaN'), a day
that is no date, metadata whose digits or escapes need Python. Nothing is returned before the
whole file is read, so that fallback never counts a row twice. Memory holds pyarrow's read-ahead
(some 40 blocks of 256 KB), two batches (one summed, one read ahead) and one sum per
(identifier, day, model): bounded, whatever the file's length.

Money: spend is summed exactly, as decimal256 with 38 digits after the point (amounts with more,
or otherwise out of bounds, make the file fall back), then added to the client's total as a
Decimal. The row reader adds the same Decimals one by one at Python's 28 significant digits, so
the two give the same value whenever that sum is exact, which it is for real spend logs (float
text has up to 20 decimals; totals under $100 million keep that within 28 digits); past that,
this one is the closer. Never a float.

Two differences only where the row reader fails: a cell over Python csv's 128 KB field limit,
or undecodable UTF-8 in a column the import does not read, stop the row reader with an error;
here the file is imported.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.usage import litellm
from xlmargin.usage.csvfile import delimiter_of, rows
from xlmargin.usage.record import RowError, UsageRecord, day, day_span

if TYPE_CHECKING:
    import pyarrow as pa

# Python's \s (str.isspace) spelled out for RE2, whose \s is ASCII-only.
PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
            "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_S = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]*"
# The row reader's string pattern (litellm._string_key) with the same \s.
_STRING = '"{name}"' + _S + ":" + _S + '"(?P<v>(?:[^"\\\\]|\\\\.)*)"'
# Its int pattern takes Python's \d+, which also matches non-ASCII digits: take ASCII digits plus
# the first non-ASCII character, if any, so a match the two could disagree on is seen and sent
# back to the row reader (see _digits).
_INT = '"{name}"' + _S + ":" + _S + "(?P<v>[0-9]+[^\\x00-\\x7f]?|[^\\x00-\\x7f])"
# What follows the key's quoted name in each pattern, anchored, and how many bytes after the
# name it is tried on (see _first_match): a string up to its closing quote; a count of 1 to 12
# ASCII digits, with the character after them, which must be ASCII (a non-ASCII one is Python's
# \d or the int pattern's catch) and no digit (more digits: a window too short).
STRING_WINDOW = 64
INT_WINDOW = 24
_TAILS = {
    _STRING: "^" + _S + ":" + _S + '"(?P<v>(?:[^"\\\\]|\\\\.)*)"',
    _INT: "^" + _S + ":" + _S + "(?P<v>[0-9]{1,12})[\\x00-\\x2f\\x3a-\\x7f]",
}
# A day as the first 10 characters of the time. Checked once per distinct prefix: one that is
# a date this way starts with a digit, so the row reader, which strips the time first, reads the
# same 10 characters.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What both Decimal() and Arrow's decimal parser read as the same number; blank is no spend.
# Bounded (at most 38 digits after the point, exponents -99..9) because pyarrow 26 neither
# refuses every value too large for decimal256(76, 38) ('5026E38' wraps around) nor survives
# every exponent ('.3E-325040' crashes it); and under 10**15 (15 digits before the point, or 6
# with a positive exponent), the bound past which the row reader calls an amount malformed
# (record.MAX_AMOUNT_DIGITS). Bounded so, a batch's sum is far from overflowing. Any other
# amount sends the file to the row reader.
_AMOUNT = (r"^([+-]?(([0-9]{1,15}(\.[0-9]{0,38})?|\.[0-9]{1,38})([eE]-[0-9]{1,2})?"
           r"|([0-9]{1,6}(\.[0-9]{0,38})?|\.[0-9]{1,38})[eE]\+?[0-9]))?$")
SPEND_TYPE = (76, 38)
_EXACT = Context(prec=100)  # batch sums add up exactly: under 10**34, 38 decimals
# pyarrow reads some 40 blocks ahead: 256 KB blocks keep that near 10 MB. Summed 8 at a time
# (2 MB of CSV), a batch's per-call overhead is small and its intermediates, which the
# allocator keeps once used, stay small: 1 MB blocks summed 4 at a time were no faster and
# peaked some 50 MB higher.
BLOCK_BYTES = 256 << 10
BATCHES_AT_ONCE = 8
READ_AHEAD = 1  # joined batches waiting for the caller (see _read_ahead)

# --by -> (CSV columns, metadata string keys) it attributes on, as the row reader reads them.
_IDENTIFIERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "api_key": (("api_key",), ("user_api_key_alias",)),
    "project": ((), ("user_api_key_project_alias", "user_api_key_project_id")),
    "workspace": (("team_id",), ("user_api_key_team_alias",)),
    "user": (("end_user", "user"), ()),
    "tag": (("request_tags",), ()),
}
_ALWAYS = ("starttime", "model", "prompt_tokens", "completion_tokens", "spend", "metadata")


# A row's spend, as grouped: blank; an amount (summed by identifiers alone); 0 beside tokens.
NO_SPEND, SPENT, ZERO_SPEND = 0, 1, 2


class _RowReaderNeededError(Exception):
    """Something in the file only the row reader handles exactly."""


@dataclass(slots=True)
class _Sums:
    rows: int = 0
    input_tokens: int = 0
    cached: int = 0
    writes: int = 0
    output_tokens: int = 0
    spend: Decimal | None = None
    first: date | None = None
    last: date | None = None

    def add(self, n: int, prompt: int, cached: int, writes: int, completion: int,
            spend: Decimal | None, when: date) -> None:
        self.rows += n
        self.input_tokens += prompt
        self.cached += cached
        self.writes += writes
        self.output_tokens += completion
        if spend is not None:
            self.spend = spend if self.spend is None else _EXACT.add(self.spend, spend)
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when


@dataclass
class _Totals:
    """{(identifiers, model or None, day or None, kind): sums}; rows with spend (SPENT) are
    keyed without model and day (only token usage is priced by the day's price)."""

    sums: dict[tuple[Any, ...], _Sums] = field(default_factory=dict)
    rows_before_first_spend: int | None = None
    rows_seen: int = 0
    distinct_metadata: bool = True
    """Whether metadata texts repeat enough to search each distinct one once."""
    rare_keys: dict[str, bool] = field(default_factory=dict)
    """{metadata key: missing from most texts of the last batch}."""


def summed(path: Path, by: str) -> list[UsageRecord] | None:
    """The file's rows summed into a few records that add up, in ``aggregate``, to what the
    row reader's records add up to when attributed by ``by``; or None when the row reader
    must read this file. Each record's ``rows`` says how many rows it sums; only the
    identifiers ``by`` uses are kept."""
    try:
        return _summed(path, by)
    except _RowReaderNeededError:
        return None


def _summed(path: Path, by: str) -> list[UsageRecord]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    if first.count('"') % 2:
        raise _RowReaderNeededError  # a header over several lines: the row reader takes line 1
    delimiter = delimiter_of(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name.strip().lower(), i)
    csv_ids, meta_ids = _IDENTIFIERS[by]
    wanted = [n for n in (*_ALWAYS, *csv_ids) if n in positions]
    if "starttime" not in wanted:
        raise _RowReaderNeededError  # every row is malformed: let the row reader say so
    names = [f"c{i}" for i in range(len(header))]  # the header's own may repeat
    columns = {n: names[positions[n]] for n in wanted}
    rejected: list[int] = []

    def reject(_row: Any) -> str:
        rejected.append(1)
        return "skip"

    read = pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES)
    # Python csv's dialect ("excel" with the detected delimiter); newlines may be quoted.
    parse = pcsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                              escape_char=False, newlines_in_values=True,
                              ignore_empty_lines=True, invalid_row_handler=reject)
    convert = pcsv.ConvertOptions(include_columns=list(columns.values()),
                                  column_types=dict.fromkeys(columns.values(), pa.string()),
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    totals = _Totals()
    cleaned: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    try:
        with closing(_read_ahead(lambda: pcsv.open_csv(path, read, parse, convert))) as batches:
            for batch in batches:
                if rejected:
                    raise _RowReaderNeededError
                _add_batch(batch, columns, csv_ids, meta_ids, by, totals, cleaned)
    except pa.ArrowException:
        raise _RowReaderNeededError from None
    if rejected:
        raise _RowReaderNeededError
    return list(_records(path, by, totals))


def _read_ahead(open_reader: Callable[[], Iterable[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
    """The reader's batches, BATCHES_AT_ONCE joined in one, read by a thread at most
    READ_AHEAD of them ahead of the caller. pyarrow's streaming reader parses a block only
    when asked for the next batch: read in the caller's thread, parsing and summing would take
    turns on one core. Both release the GIL. The thread's error, if any, is raised here;
    leaving early (closing this generator) stops the thread before returning."""
    import queue
    import threading

    handoff: queue.Queue[Any] = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()
    end = object()

    def read() -> None:
        try:
            pending: list[pa.RecordBatch] = []
            for batch in open_reader():
                if stop.is_set():
                    return
                pending.append(batch)
                if len(pending) == BATCHES_AT_ONCE:
                    handoff.put(_joined(pending))
                    pending = []
            if pending:
                handoff.put(_joined(pending))
            handoff.put(end)
        except BaseException as error:  # handed to the caller, raised there
            handoff.put(error)

    thread = threading.Thread(target=read, name="litellm-csv-reader", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a blocked put through; it then sees stop
            with suppress(queue.Empty):
                handoff.get(timeout=0.01)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    import pyarrow as pa

    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _column(batch: pa.RecordBatch, columns: dict[str, str], name: str) -> pa.Array:
    import pyarrow as pa

    if name in columns:
        return batch.column(columns[name])
    return pa.nulls(batch.num_rows, pa.string()).fill_null("")  # absent column: blank cells


def _all(values: pa.Array) -> None:
    import pyarrow.compute as pc

    if not pc.all(values).as_py():
        raise _RowReaderNeededError


def _count(text: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    _all(pc.or_(pc.ascii_is_decimal(text), pc.equal(text, "")))  # blank is 0
    _all(pc.less_equal(pc.binary_length(text), 12))  # no int64 overflow in a batch's sums
    return pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.int64())


def _digits(found: pa.Array) -> pa.Array:
    """The first match of an int key as int64, null where none; non-ASCII digits (Python's
    \\d) or more than 12 digits go back to the row reader."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _all(pc.fill_null(pc.match_substring_regex(found, r"^[0-9]{1,12}$"), True))
    return pc.cast(found, pa.int64())


class _Metadata:
    """A batch's metadata texts, searched for keys. A file whose texts repeat (one per key, say)
    is searched once per distinct text of a batch; one whose texts differ row by row (a usage
    object in each) is searched row by row, without the cost of finding the repeats."""

    def __init__(self, texts: pa.Array, totals: _Totals) -> None:
        import pyarrow.compute as pc

        self.which: pa.Array | None = None
        self.texts = texts
        self.totals = totals
        self.absent: set[str] = set()
        if totals.distinct_metadata:
            encoded = pc.dictionary_encode(texts)
            self.texts, self.which = encoded.dictionary, encoded.indices
            totals.distinct_metadata = len(self.texts) <= len(texts) // 4

    def look_for(self, names: tuple[str, ...]) -> None:
        """Keys that were all missing from most texts of the last batch are looked for
        together, in one pass: in a file without them (OpenAI usage has no cache writes)
        that pass is all their searches cost."""
        import pyarrow.compute as pc

        if all(self.totals.rare_keys.get(name, True) for name in names):
            either = "(?:" + "|".join(map(re.escape, names)) + ')"'
            if not pc.any(pc.match_substring_regex(self.texts, either)).as_py():
                self.absent.update(names)

    def first(self, name: str, pattern: str, only: pa.Array | None = None) -> pa.Array:
        """The pattern's group first matched in each text, searched in the texts selected by
        ``only``: a string (null where none), or for ``_INT`` a count (0 where none). A key
        that was missing from most texts of the last batch is first looked for as plain text
        (much faster than the pattern) and the pattern run only where it is."""
        import pyarrow as pa
        import pyarrow.compute as pc

        kind = pa.int64() if pattern == _INT else pa.string()
        if name in self.absent:
            found = pa.nulls(len(self.texts), kind)
            return found.fill_null(0) if pattern == _INT else found
        where = only
        if self.totals.rare_keys.get(name, True):
            # Without its opening quote the key is found several times faster (RE2 skips
            # ahead to a rarer first byte); the pattern still needs the quote.
            holding = pc.match_substring_regex(self.texts, f'{name}"')
            where = holding if where is None else pc.and_(holding, where)
        hits = len(self.texts) if where is None else pc.sum(where).as_py() or 0
        if hits == len(self.texts):
            found = _first_match(self.texts, name, pattern)
        elif not hits:
            found = pa.nulls(len(self.texts), kind)
        else:
            found = pc.replace_with_mask(pa.nulls(len(self.texts), kind), where,
                                         _first_match(pc.filter(self.texts, where), name,
                                                      pattern))
        self.totals.rare_keys[name] = 2 * (len(found) - found.null_count) < len(found)
        return pc.fill_null(found, 0) if pattern == _INT else found

    def per_row(self, values: pa.Array) -> pa.Array:
        import pyarrow.compute as pc

        return values if self.which is None else pc.take(values, self.which)


def _first_match(texts: pa.Array, name: str, pattern: str) -> pa.Array:
    """The group of the pattern's first match in each text, null where none (for ``_INT``,
    read by ``_digits``): what ``extract_regex`` over the whole texts gives, for much less work
    where the texts differ (a million metadata texts that each hold a request id and a usage
    object).

    Every match begins with the key's quoted name, so the first match, if any, is the one at
    the name's first occurrence (found by a plain split) or a later one. The pattern's tail
    (``_TAILS``) is tried, anchored, on the few bytes after that occurrence; those windows
    repeat (an alias and what follows it; a count), so it runs once per distinct window.
    Where it matches inside the window, that match is the first match and its group the
    same: a string's closing quote, or a count's digits followed by an ASCII non-digit,
    end the match within the window whatever the text holds after it. Anywhere else (no
    match at the first occurrence, a value longer than the window, non-ASCII after the
    digits) the row is searched whole with the full pattern, as before."""
    import pyarrow as pa
    import pyarrow.compute as pc

    window, tail = STRING_WINDOW if pattern == _STRING else INT_WINDOW, _TAILS[pattern]
    pieces = pc.split_pattern(texts, f'"{name}"', max_splits=1)
    holding = pc.equal(pc.list_value_length(pieces), 2)  # before and after the name: it occurs
    held = pc.sum(holding).as_py() or 0
    kind = pa.int64() if pattern == _INT else pa.string()
    if not held:
        return pa.nulls(len(texts), kind)
    # A window may end inside a UTF-8 sequence: seen as string, its bytes only meet the tail
    # pattern, which matches whole characters before it or not at all.
    after = pc.take(pc.binary_slice(pieces.values.view(pa.binary()), 0, window),
                    pc.filter(pc.add(pieces.offsets[:-1], 1), holding))
    distinct = pc.dictionary_encode(after)
    values = pc.struct_field(pc.extract_regex(distinct.dictionary.view(pa.string()), tail), [0])
    if pattern == _INT:
        values = pc.cast(values, pa.int64())  # 1 to 12 ASCII digits
    found = pc.take(values, distinct.indices)
    if found.null_count:
        unsettled = pc.is_null(found)
        rows = pc.filter(pc.indices_nonzero(holding), unsettled)
        regex = pattern.replace("{name}", name)
        whole = pc.struct_field(pc.extract_regex(pc.take(texts, rows), regex), [0])
        found = pc.replace_with_mask(found, unsettled,
                                     _digits(whole) if pattern == _INT else whole)
    if held == len(texts):
        return found
    return pc.replace_with_mask(pa.nulls(len(texts), kind), holding, found)


def _add_batch(batch: pa.RecordBatch, columns: dict[str, str], csv_ids: tuple[str, ...],
               meta_ids: tuple[str, ...], by: str, totals: _Totals,
               cleaned: dict[tuple[Any, ...], tuple[Any, ...]]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not batch.num_rows:
        return
    start = _column(batch, columns, "starttime")
    prompt = _count(_column(batch, columns, "prompt_tokens"))
    completion = _count(_column(batch, columns, "completion_tokens"))
    spend_text = _column(batch, columns, "spend")
    _all(pc.match_substring_regex(spend_text, _AMOUNT))
    spend = pc.cast(pc.if_else(pc.equal(spend_text, ""), pa.scalar(None, pa.string()),
                               spend_text), pa.decimal256(*SPEND_TYPE))
    has_spend = pc.is_valid(spend)
    if totals.rows_before_first_spend is None:
        found = pc.index(has_spend, True).as_py()
        if found >= 0:
            totals.rows_before_first_spend = totals.rows_seen + found
    totals.rows_seen += batch.num_rows

    meta = _Metadata(_column(batch, columns, "metadata"), totals)
    meta.look_for(("cache_read_input_tokens", "cache_creation_input_tokens"))
    cached_first = meta.first("cached_tokens", _INT)
    cache_read = meta.first("cache_read_input_tokens", _INT, only=pc.equal(cached_first, 0))
    cached = meta.per_row(pc.if_else(pc.not_equal(cached_first, 0), cached_first, cache_read))
    writes = meta.per_row(meta.first("cache_creation_input_tokens", _INT))
    reported_apart = pc.greater(pc.add(cached, writes), prompt)
    prompt = pc.if_else(reported_apart, pc.add(prompt, pc.add(cached, writes)), prompt)

    # Spend 0 beside tokens is LiteLLM's "no price" (aggregate.ZERO_IS_UNPRICED): such rows
    # are summed apart, by model and day, so that rule sees each sum as it sees the rows.
    kind = pc.cast(has_spend, pa.int8())  # NO_SPEND or SPENT
    zero = pc.equal(spend, pa.scalar(0, spend.type))
    if pc.any(zero).as_py():
        with_tokens = pc.and_(zero, pc.greater(pc.add(prompt, completion), 0))
        kind = pc.if_else(pc.fill_null(with_tokens, False), ZERO_SPEND, kind)
    table: dict[str, pa.Array] = {
        "day": pc.utf8_slice_codeunits(start, 0, 10), "kind": kind,
        "model": _column(batch, columns, "model"),
        "prompt": prompt, "cached": cached, "writes": writes, "completion": completion,
        "spend": spend}
    for name in csv_ids:
        table[name] = _column(batch, columns, name)
    for name in meta_ids:
        table[name] = meta.per_row(meta.first(name, _STRING))
    ids = [*csv_ids, *meta_ids]
    groups = pa.table(table).group_by(["day", "kind", "model", *ids]).aggregate(
        [("prompt", "count"), ("prompt", "sum"), ("cached", "sum"), ("writes", "sum"),
         ("completion", "sum"), ("spend", "sum")]).to_pydict()
    raw_ids = [groups[name] for name in ids]
    for i, (day_text, kind_of, model) in enumerate(zip(groups["day"], groups["kind"],
                                                       groups["model"], strict=True)):
        raw = tuple(values[i] for values in raw_ids)
        identifiers = cleaned.get(raw)
        if identifiers is None:
            identifiers = cleaned[raw] = _identifiers(by, dict(zip(ids, raw, strict=True)))
        when = _day_of(day_text)
        group = (identifiers, None, None, SPENT) if kind_of == SPENT \
            else (identifiers, model.strip() or None, when, kind_of)
        sums = totals.sums.get(group)
        if sums is None:
            sums = totals.sums[group] = _Sums()
        sums.add(groups["prompt_count"][i], groups["prompt_sum"][i], groups["cached_sum"][i],
                 groups["writes_sum"][i], groups["completion_sum"][i],
                 None if kind_of == NO_SPEND else groups["spend_sum"][i], when)


def _day_of(text: str) -> date:
    if _DAY.fullmatch(text) is None:
        raise _RowReaderNeededError  # blank, spaced, or another shape of time
    try:
        return day(text, "startTime")
    except RowError:
        raise _RowReaderNeededError from None  # no such day: malformed rows


def _found(value: str | None) -> str | None:
    """litellm._found on the text RE2 matched."""
    if value is None:
        return None
    if "\\" not in value:
        return value or None
    try:
        return json.loads(f'"{value}"')  # type: ignore[no-any-return]
    except ValueError:
        raise _RowReaderNeededError from None  # the row reader stops here: let it say so


def _identifiers(by: str, raw: dict[str, str | None]) -> tuple[Any, ...]:
    """The identifiers ``by`` reads, cleaned as the row reader cleans them: (key alias, key id),
    (project,), (workspace,), (user,) or (tags,)."""
    if by == "api_key":
        return (_found(raw["user_api_key_alias"]), (raw.get("api_key") or "").strip() or None)
    if by == "project":
        return (_found(raw["user_api_key_project_alias"])
                or _found(raw["user_api_key_project_id"]),)
    if by == "workspace":
        return (_found(raw["user_api_key_team_alias"])
                or (raw.get("team_id") or "").strip() or None,)
    if by == "user":
        return ((raw.get("end_user") or "").strip() or (raw.get("user") or "").strip() or None,)
    return (litellm.tags_of((raw.get("request_tags") or "").strip()),)


def _records(path: Path, by: str, totals: _Totals) -> Iterator[UsageRecord]:
    # A grouped record's `where` is read only by the currency check, which names the first
    # record with an amount: the row reader's is the file's first row with spend.
    where = path.name
    if totals.rows_before_first_spend is not None:
        where = f"{path.name}:{_line_of(path, totals.rows_before_first_spend)}"
    ordered = sorted(totals.sums.items(), key=lambda item: item[1].spend is None)
    for (identifiers, model, _day, _kind), sums in ordered:
        assert sums.first is not None and sums.last is not None
        start, end = day_span(sums.first)[0], day_span(sums.last)[1]
        named: dict[str, Any]
        if by == "api_key":
            named = {"key_alias": identifiers[0], "api_key_id": identifiers[1]}
        elif by == "project":
            named = {"project_id": identifiers[0]}
        elif by == "workspace":
            named = {"workspace": identifiers[0]}
        elif by == "user":
            named = {"user": identifiers[0]}
        else:
            named = {"tags": identifiers[0]}
        # decimal256's 38 decimals, trailing zeros dropped: the same value, shorter to add
        spend = None if sums.spend is None else sums.spend.normalize(_EXACT)
        yield UsageRecord(
            source=litellm.CSV, where=where, start=start, end=end, model=model,
            requests=sums.rows, rows=sums.rows, input_tokens=sums.input_tokens,
            cached_input_tokens=sums.cached, cache_write_tokens=sums.writes,
            output_tokens=sums.output_tokens, cost_usd=spend, currency="USD", **named)


def _line_of(path: Path, data_rows: int) -> int:
    """The line the row reader gives the data row after ``data_rows`` others."""
    for n, (_columns, line, _row) in enumerate(rows(path)):
        if n == data_rows:
            return line
    raise _RowReaderNeededError
