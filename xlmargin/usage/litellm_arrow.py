"""The ``LiteLLM_SpendLogs`` CSV summed by pyarrow: the fast path of ``import-usage`` for the one
format whose exports run to millions of rows (issue 4: a 1M-row file within 3x of DuckDB).

pyarrow's streaming CSV reader hands over record batches of only the columns needed. Per batch,
pyarrow.compute checks that every cell is in the plain form ``litellm.read_csv`` (the row
reader) reads the same way, pulls the metadata keys out with the row reader's patterns (RE2
here, ``re`` there, written to match the same text), and sums tokens and spend by day, model and
the identifiers the chosen ``--by`` attributes on. Only those small per-batch sums reach Python,
where each distinct identifier is cleaned exactly as the row reader cleans it, once.

Anything else makes the whole file go through the row reader instead, which reports bad rows by
file and line: a row the CSV parser rejects (wrong column count, unbalanced quote), a count,
amount or time in a form only the row reader parses (blank time, spaces, '1,234', 'NaN'), a day
that is no date, metadata whose digits or escapes need Python. Nothing is returned before the
whole file is read, so that fallback never counts a row twice. Memory holds pyarrow's read-ahead
(a few dozen 1 MB blocks), one batch and one sum per (identifier, day, model): bounded, whatever
the file's length.

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
from collections.abc import Iterator
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
# A day as the first 10 characters of the time. Checked once per distinct prefix: one that is
# a date this way starts with a digit, so the row reader, which strips the time first, reads the
# same 10 characters.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What both Decimal() and Arrow's decimal parser read as the same number; blank is no spend.
# Bounded (at most 18 digits before the point, 38 after, exponents -99..9) because pyarrow 26
# neither refuses every value too large for decimal256(76, 38) ('5026E38' wraps around) nor
# survives every exponent ('.3E-325040' crashes it); bounded so, a value is under 10**27 and a
# batch's sum far from overflowing. Any other amount sends the file to the row reader.
_AMOUNT = (r"^([+-]?([0-9]{1,18}(\.[0-9]{0,38})?|\.[0-9]{1,38})([eE](-[0-9]{1,2}|\+?[0-9]))?)?$")
SPEND_TYPE = (76, 38)
_EXACT = Context(prec=100)  # batch sums add up exactly: under 10**34, 38 decimals
# pyarrow reads some 38 blocks ahead: 1 MB blocks keep that near 40 MB, and are as fast as
# larger ones here.
BLOCK_BYTES = 1 << 20
BATCHES_AT_ONCE = 4

# --by -> (CSV columns, metadata string keys) it attributes on, as the row reader reads them.
_IDENTIFIERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "api_key": (("api_key",), ("user_api_key_alias",)),
    "project": ((), ("user_api_key_project_alias", "user_api_key_project_id")),
    "workspace": (("team_id",), ("user_api_key_team_alias",)),
    "user": (("end_user", "user"), ()),
    "tag": (("request_tags",), ()),
}
_ALWAYS = ("starttime", "model", "prompt_tokens", "completion_tokens", "spend", "metadata")


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
    """{(identifiers, model or None, day or None): sums}; rows with spend are keyed without
    model and day (only token usage is priced by the day's price)."""

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
    pending: list[pa.RecordBatch] = []
    try:
        for batch in pcsv.open_csv(path, read, parse, convert):
            if rejected:
                raise _RowReaderNeededError
            pending.append(batch)
            if len(pending) == BATCHES_AT_ONCE:
                _add_batch(_joined(pending), columns, csv_ids, meta_ids, by, totals, cleaned)
                pending.clear()
        if pending:
            _add_batch(_joined(pending), columns, csv_ids, meta_ids, by, totals, cleaned)
    except pa.ArrowException:
        raise _RowReaderNeededError from None
    if rejected:
        raise _RowReaderNeededError
    return list(_records(path, by, totals))


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
    """The first match of an int key as int64, 0 where none; non-ASCII digits (Python's \\d)
    or more than 12 digits go back to the row reader."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _all(pc.fill_null(pc.match_substring_regex(found, r"^[0-9]{1,12}$"), True))
    return pc.fill_null(pc.cast(found, pa.int64()), 0)


class _Metadata:
    """A batch's metadata texts, searched for keys. A file whose texts repeat (one per key, say)
    is searched once per distinct text of a batch; one whose texts differ row by row (a usage
    object in each) is searched row by row, without the cost of finding the repeats."""

    def __init__(self, texts: pa.Array, totals: _Totals) -> None:
        import pyarrow.compute as pc

        self.which: pa.Array | None = None
        self.texts = texts
        self.totals = totals
        if totals.distinct_metadata:
            encoded = pc.dictionary_encode(texts)
            self.texts, self.which = encoded.dictionary, encoded.indices
            totals.distinct_metadata = len(self.texts) <= len(texts) // 4

    def first(self, name: str, pattern: str, only: pa.Array | None = None) -> pa.Array:
        """The text the pattern's group matched first in each text (null where none), searched
        in the texts selected by ``only``. A key that was missing from most texts of the last
        batch is first looked for as plain text (much faster than the pattern) and the
        pattern run only where it is."""
        import pyarrow as pa
        import pyarrow.compute as pc

        where = only
        if self.totals.rare_keys.get(name, True):
            # Without its opening quote the key is found several times faster (RE2 skips
            # ahead to a rarer first byte); the pattern still needs the quote.
            holding = pc.match_substring_regex(self.texts, f'{name}"')
            where = holding if where is None else pc.and_(holding, where)
        regex = pattern.replace("{name}", name)
        hits = len(self.texts) if where is None else pc.sum(where).as_py() or 0
        if hits == len(self.texts):
            found = pc.struct_field(pc.extract_regex(self.texts, regex), [0])
        elif not hits:
            found = pa.nulls(len(self.texts), pa.string())
        else:
            found = pc.replace_with_mask(
                pa.nulls(len(self.texts), pa.string()), where,
                pc.struct_field(pc.extract_regex(pc.filter(self.texts, where), regex), [0]))
        self.totals.rare_keys[name] = 2 * (len(found) - found.null_count) < len(found)
        return found

    def per_row(self, values: pa.Array) -> pa.Array:
        import pyarrow.compute as pc

        return values if self.which is None else pc.take(values, self.which)


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
    cached_first = _digits(meta.first("cached_tokens", _INT))
    cache_read = _digits(meta.first("cache_read_input_tokens", _INT,
                                    only=pc.equal(cached_first, 0)))
    cached = meta.per_row(pc.if_else(pc.not_equal(cached_first, 0), cached_first, cache_read))
    writes = meta.per_row(_digits(meta.first("cache_creation_input_tokens", _INT)))
    reported_apart = pc.greater(pc.add(cached, writes), prompt)
    prompt = pc.if_else(reported_apart, pc.add(prompt, pc.add(cached, writes)), prompt)

    table: dict[str, pa.Array] = {
        "day": pc.utf8_slice_codeunits(start, 0, 10), "has_spend": has_spend,
        "model": _column(batch, columns, "model"),
        "prompt": prompt, "cached": cached, "writes": writes, "completion": completion,
        "spend": spend}
    for name in csv_ids:
        table[name] = _column(batch, columns, name)
    for name in meta_ids:
        table[name] = meta.per_row(meta.first(name, _STRING))
    ids = [*csv_ids, *meta_ids]
    groups = pa.table(table).group_by(["day", "has_spend", "model", *ids]).aggregate(
        [("prompt", "count"), ("prompt", "sum"), ("cached", "sum"), ("writes", "sum"),
         ("completion", "sum"), ("spend", "sum")]).to_pydict()
    raw_ids = [groups[name] for name in ids]
    for i, (day_text, spent, model) in enumerate(zip(groups["day"], groups["has_spend"],
                                                     groups["model"], strict=True)):
        raw = tuple(values[i] for values in raw_ids)
        identifiers = cleaned.get(raw)
        if identifiers is None:
            identifiers = cleaned[raw] = _identifiers(by, dict(zip(ids, raw, strict=True)))
        when = _day_of(day_text)
        group = (identifiers, None, None) if spent else (identifiers, model.strip() or None,
                                                          when)
        sums = totals.sums.get(group)
        if sums is None:
            sums = totals.sums[group] = _Sums()
        sums.add(groups["prompt_count"][i], groups["prompt_sum"][i], groups["cached_sum"][i],
                 groups["writes_sum"][i], groups["completion_sum"][i],
                 groups["spend_sum"][i] if spent else None, when)


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
    for (identifiers, model, _day), sums in ordered:
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
