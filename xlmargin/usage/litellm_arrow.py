"""The ``LiteLLM_SpendLogs`` CSV summed by pyarrow: the fast path of ``import-usage`` for the one
format whose exports run to millions of rows (a 1M-row file within 3x of DuckDB).

pyarrow's streaming CSV reader, run by a thread of its own, hands over record batches of only
the columns needed (``litellm_reading``). Per batch, pyarrow.compute checks that every cell is
in the plain form
``litellm.read_csv`` (the row reader) reads the same way, pulls the metadata keys out with the
row reader's patterns (RE2 here, ``re`` there, written to match the same text), and sums tokens
and spend by day (billed spend by calendar month), model and the identifiers the chosen ``--by``
attributes on. Only those small per-batch sums reach Python, where each distinct identifier is
cleaned exactly as the row reader cleans it, once. Metadata that differs on every row (request
ids, timestamps, a usage object) is not searched whole, row by row: each key is looked for at
its name's first occurrence, in the few bytes after it, which repeat (see ``litellm_metadata``).

Anything else makes the whole file go through the row reader instead, which reports bad rows by
file and line: a row the CSV parser rejects (wrong column count, unbalanced quote), a line
break in a cell the import reads (a quote gone astray), a count, amount or time in a form only
the row reader parses (blank time, spaces, '1,234', 'NaN', an amount like 1.500 where the
delimiter is no comma), a day that is no date, metadata whose digits or escapes need Python, a
request id with space or non-ASCII at either end, a file not in UTF-8. Nothing is returned
before the whole file is read, so that fallback never counts a row twice.

Duplicates: each row's request id is kept as a fingerprint (``request_ids``). Rows whose
fingerprints are unique, in the file and against every request read before, stay summed. Rows
whose fingerprints match a request read before are set aside while summing; rows repeated
within the file are found at its end, read a second time and taken out of the sums. Either
kind is settled by exact id (``litellm_again``): a copy of a known request with the same
numbers is counted as a duplicate, the others come back one record each, for the ledger to
count once (``dedup``). A file without duplicates is read once.

Memory holds pyarrow's read-ahead (some 40 blocks of 256 KB), two batches (one summed, one read
ahead), one sum per (identifier, day, model), and 8 bytes per row for the fingerprints.

Money: spend is summed exactly, as decimal256 with 38 digits after the point (amounts with more,
or otherwise out of bounds, make the file fall back), then added to the client's total as a
Decimal. The row reader adds the same Decimals one by one at Python's 28 significant digits, so
the two give the same value whenever that sum is exact, which it is for real spend logs (float
text has up to 20 decimals; totals under $100 million keep that within 28 digits); past that,
this one is the closer. Never a float.

One difference: a row with bytes that are not UTF-8 in a column the import does not read is
reported as malformed by the row reader; here it is counted (pyarrow checks the columns it
converts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.usage import litellm
from xlmargin.usage.csvfile import Row, Table
from xlmargin.usage.litellm_metadata import (
    INT,
    STRING,
    Metadata,
    RowReaderNeededError,
    SearchState,
    found_text,
)
from xlmargin.usage.litellm_reading import Prepared, Reading, reading
from xlmargin.usage.record import RowError, UsageRecord, day, day_span
from xlmargin.usage.request_ids import RequestIndex

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# A day as the first 10 characters of the time. Checked once per distinct prefix: one that is
# a date this way starts with a digit, so the row reader, which strips the time first, reads the
# same 10 characters.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EXACT = Context(prec=100)  # batch sums add up exactly: under 10**34, 38 decimals
# A row's spend, as grouped: blank; an amount (summed by identifiers alone); 0 beside tokens.
NO_SPEND, SPENT, ZERO_SPEND = 0, 1, 2


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

    def take(self, other: _Sums) -> None:
        """These sums without ``other``'s rows (its period stays covered: see _records)."""
        self.rows -= other.rows
        self.input_tokens -= other.input_tokens
        self.cached -= other.cached
        self.writes -= other.writes
        self.output_tokens -= other.output_tokens
        if other.spend is not None and self.spend is not None:
            self.spend = _EXACT.subtract(self.spend, other.spend)


@dataclass
class Totals(SearchState):
    """{(identifiers, model or None, day or month, kind): sums}; rows with spend (SPENT) are
    keyed by calendar month, without model (only token usage is priced by the day's price):
    each record stays within one month, so ``aggregate`` sums it into that month whole."""

    sums: dict[tuple[Any, ...], _Sums] = field(default_factory=dict)
    rows_before_first_spend: int | None = None
    rows_seen: int = 0
    cleaned: dict[tuple[Any, ...], tuple[Any, ...]] = field(default_factory=dict)
    """Raw identifiers -> cleaned, each distinct one cleaned once."""

    def without(self, gone: Totals) -> None:
        for key, sums in gone.sums.items():
            self.sums[key].take(sums)


def summed(path: Path, by: str, index: RequestIndex | None = None) -> list[UsageRecord] | None:
    """The file's rows summed into a few records that add up, in ``aggregate``, to what the
    row reader's records add up to when attributed by ``by``; or None when the row reader
    must read this file. Each record's ``rows`` says how many rows it sums; only the
    identifiers ``by`` uses are kept. Rows whose request ids may have been read before (in
    ``index``, or earlier in the file) come last, one record each, with their identity."""
    try:
        return _summed(path, by, index)
    except RowReaderNeededError:
        return None


def _summed(path: Path, by: str, index: RequestIndex | None) -> list[UsageRecord]:
    import numpy as np

    if index is None:  # alone: duplicates within the file only
        index = RequestIndex({}, register=lambda key, content, file: None,
                             drop=lambda file: None)
    read = reading(path, by)
    totals, found, held = _read_all(read, by, index.known())
    prints = np.concatenate(found) if found else np.zeros(0, np.uint64)
    each: list[UsageRecord] = []
    if held:  # requests read before: the ledger must know those rows by id, then settle these
        from xlmargin.usage.litellm_again import one_by_one

        seen = np.unique(np.concatenate([found for _part, found in held]))
        for key, content, other in index.summed_rows(seen):
            index.register(key, content, str(other))
        for part, _found in held:
            each.extend(one_by_one(read, by, part, index, str(path), Totals()))
    twice = index.twice(prints)
    if twice.size:  # requests repeated within this file: read again, out of the sums
        from xlmargin.usage.litellm_again import split_out

        gone, more = split_out(read, by, twice, index, str(path))
        totals.without(gone)
        each.extend(more)
        prints = prints[~np.isin(prints, twice)]  # the ledger knows those by id
    index.add_summed(path, prints)
    return [*_records(path, by, totals), *each]


def _read_all(read: Reading, by: str, known: np.ndarray
              ) -> tuple[Totals, list[np.ndarray], list[tuple[pa.RecordBatch, np.ndarray]]]:
    """(the sums, the summed rows' request fingerprints, the rows set aside because their
    fingerprints are in ``known``, by batch, with them). Those rows, likely copies of requests
    already read, are taken out before summing: no second reading of this file for them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    totals = Totals()
    found: list[np.ndarray] = []
    held: list[tuple[pa.RecordBatch, np.ndarray]] = []
    for batch, prepared in read.batches():
        if not batch.num_rows:
            continue
        prints = prepared.prints
        whole: Prepared | None = prepared
        if totals.rows_before_first_spend is None:  # of all rows, those set aside too
            first = pc.index(pc.not_equal(read.column(batch, "spend"), ""), True).as_py()
            if first >= 0:
                totals.rows_before_first_spend = totals.rows_seen + first
        totals.rows_seen += batch.num_rows
        if prints is not None:
            fingerprints, holding = prints
            if known.size:
                at = np.minimum(np.searchsorted(known, fingerprints), len(known) - 1)
                hit = known[at] == fingerprints
                if hit.any():
                    rows = hit
                    if holding is not None:
                        rows = np.zeros(batch.num_rows, bool)
                        rows[np.flatnonzero(holding)] = hit
                    held.append((batch.filter(pa.array(rows)), fingerprints[hit]))
                    batch, fingerprints = batch.filter(pa.array(~rows)), fingerprints[~hit]
                    whole = None  # prepared for all the rows: made again for these
            found.append(fingerprints)
        if batch.num_rows:
            group(row_values(batch, read, totals, whole), read, by, totals)
    return totals, found, held


def row_values(batch: pa.RecordBatch, read: Reading, totals: Totals,
               prepared: Prepared | None = None) -> dict[str, pa.Array]:
    """Each row's day, spend kind, model, tokens, spend and raw identifiers, as the row reader
    reads them; RowReaderNeededError for a cell it reads differently. ``prepared``: what the
    reading thread made of this very batch (else it is made here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if prepared is None:
        prepared = read.prepare(batch)
    start = read.column(batch, "starttime")
    prompt, completion, spend = prepared.prompt, prepared.completion, prepared.spend
    has_spend = pc.is_valid(spend)

    meta = Metadata(read.column(batch, "metadata"), totals)
    meta.look_for(("cache_read_input_tokens", "cache_creation_input_tokens"))
    cached_first = meta.first("cached_tokens", INT)
    cache_read = meta.first("cache_read_input_tokens", INT, only=pc.equal(cached_first, 0))
    cached = meta.per_row(pc.if_else(pc.not_equal(cached_first, 0), cached_first, cache_read))
    writes = meta.per_row(meta.first("cache_creation_input_tokens", INT))
    reported_apart = pc.greater(pc.add(cached, writes), prompt)
    prompt = pc.if_else(reported_apart, pc.add(prompt, pc.add(cached, writes)), prompt)

    # Spend 0 beside tokens is LiteLLM's "no price" (aggregate.ZERO_IS_UNPRICED): such rows
    # are summed apart, by model and day, so that rule sees each sum as it sees the rows.
    kind = pc.cast(has_spend, pa.int8())  # NO_SPEND or SPENT
    zero = pc.equal(spend, pa.scalar(0, spend.type))
    if pc.any(zero).as_py():
        with_tokens = pc.and_(zero, pc.greater(pc.add(prompt, completion), 0))
        kind = pc.if_else(pc.fill_null(with_tokens, False), ZERO_SPEND, kind)
    values: dict[str, pa.Array] = {
        "day": pc.utf8_slice_codeunits(start, 0, 10), "kind": kind,
        "model": read.column(batch, "model"),
        "prompt": prompt, "cached": cached, "writes": writes, "completion": completion,
        "spend": spend}
    for name in read.csv_ids:
        values[name] = read.column(batch, name)
    for name in read.meta_ids:
        values[name] = meta.per_row(meta.first(name, STRING))
    return values


def group(values: dict[str, pa.Array], read: Reading, by: str, totals: Totals) -> None:
    """Add the rows to ``totals``, by identifiers, and by model and day where not billed."""
    import pyarrow as pa

    ids = [*read.csv_ids, *read.meta_ids]
    groups = pa.table(values).group_by(["day", "kind", "model", *ids]).aggregate(
        [("prompt", "count"), ("prompt", "sum"), ("cached", "sum"), ("writes", "sum"),
         ("completion", "sum"), ("spend", "sum")]).to_pydict()
    raw_ids = [groups[name] for name in ids]
    for i, (day_text, kind_of, model) in enumerate(zip(groups["day"], groups["kind"],
                                                       groups["model"], strict=True)):
        raw = tuple(values[i] for values in raw_ids)
        identifiers = cleaned(by, ids, raw, totals)
        when = day_of(day_text)
        key = (identifiers, None, when.month + 12 * when.year, SPENT) if kind_of == SPENT \
            else (identifiers, model.strip() or None, when, kind_of)
        sums = totals.sums.get(key)
        if sums is None:
            sums = totals.sums[key] = _Sums()
        sums.add(groups["prompt_count"][i], groups["prompt_sum"][i], groups["cached_sum"][i],
                 groups["writes_sum"][i], groups["completion_sum"][i],
                 None if kind_of == NO_SPEND else groups["spend_sum"][i], when)


def cleaned(by: str, ids: list[str], raw: tuple[Any, ...], totals: Totals) -> tuple[Any, ...]:
    found = totals.cleaned.get(raw)
    if found is None:
        found = totals.cleaned[raw] = identifiers(by, dict(zip(ids, raw, strict=True)))
    return found


def day_of(text: str) -> date:
    if _DAY.fullmatch(text) is None:
        raise RowReaderNeededError  # blank, spaced, or another shape of time
    try:
        return day(text, "startTime")
    except RowError:
        raise RowReaderNeededError from None  # no such day: malformed rows


def identifiers(by: str, raw: dict[str, str | None]) -> tuple[Any, ...]:
    """The identifiers ``by`` reads, cleaned as the row reader cleans them: (key alias, key id),
    (project,), (workspace,), (user,) or (tags,)."""
    if by == "api_key":
        return (found_text(raw["user_api_key_alias"]),
                (raw.get("api_key") or "").strip() or None)
    if by == "project":
        return (found_text(raw["user_api_key_project_alias"])
                or found_text(raw["user_api_key_project_id"]),)
    if by == "workspace":
        return (found_text(raw["user_api_key_team_alias"])
                or (raw.get("team_id") or "").strip() or None,)
    if by == "user":
        return ((raw.get("end_user") or "").strip() or (raw.get("user") or "").strip() or None,)
    return (litellm.tags_of((raw.get("request_tags") or "").strip()),)


def named(by: str, found: tuple[Any, ...]) -> dict[str, Any]:
    """The record fields ``identifiers`` fill."""
    if by == "api_key":
        return {"key_alias": found[0], "api_key_id": found[1]}
    field_name = {"project": "project_id", "workspace": "workspace", "user": "user"}.get(by)
    return {field_name: found[0]} if field_name else {"tags": found[0]}


def _records(path: Path, by: str, totals: Totals) -> Iterator[UsageRecord]:
    # A grouped record's `where` is read only by the currency check, which names the first
    # record with an amount: the row reader's is the file's first row with spend.
    where = path.name
    if totals.rows_before_first_spend is not None:
        where = f"{path.name}:{_line_of(path, totals.rows_before_first_spend)}"
    ordered = sorted(totals.sums.items(), key=lambda item: item[1].spend is None)
    for (found, model, _day, _kind), sums in ordered:
        assert sums.first is not None and sums.last is not None
        start, end = day_span(sums.first)[0], day_span(sums.last)[1]
        if not sums.rows:  # every row of it read again one by one: its period stays covered
            yield UsageRecord(source=litellm.CSV, where=where, start=start, end=end, rows=0)
            continue
        # decimal256's 38 decimals, trailing zeros dropped: the same value, shorter to add
        spend = None if sums.spend is None else sums.spend.normalize(_EXACT)
        yield UsageRecord(
            source=litellm.CSV, where=where, start=start, end=end, model=model,
            requests=sums.rows, rows=sums.rows, input_tokens=sums.input_tokens,
            cached_input_tokens=sums.cached, cache_write_tokens=sums.writes,
            output_tokens=sums.output_tokens, cost_usd=spend, currency="USD",
            **named(by, found))


def _line_of(path: Path, data_rows: int) -> int:
    """The line the row reader gives the data row after ``data_rows`` others."""
    table = Table.of_file(path, single_line=litellm.CSV_COLUMNS)  # as litellm.read_csv
    rows = (item for item in table if isinstance(item, Row))
    for n, row in enumerate(rows):
        if n == data_rows:
            return row.line
    raise RowReaderNeededError
