"""Rows of a summed LiteLLM CSV read a second time, one by one: those whose request ids may be
duplicates (their fingerprints collide, see ``request_ids``). The fast path takes them out of
its sums; a row that repeats a request the ledger already knows, with the same numbers, is
counted as its duplicate right here; the others go to the ledger as records of their own,
which it counts once (the first of a pair in one file, a conflict)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.usage import litellm
from xlmargin.usage.dedup import request_content
from xlmargin.usage.litellm_arrow import (
    _EXACT,
    NO_SPEND,
    Reading,
    Totals,
    cleaned,
    day_of,
    group,
    named,
    reading,
    row_values,
)
from xlmargin.usage.litellm_metadata import RowReaderNeededError
from xlmargin.usage.record import UsageRecord, day_span
from xlmargin.usage.request_ids import RequestIndex, fingerprint

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def split_out(read: Reading, by: str, wanted: np.ndarray, index: RequestIndex,
              file: str) -> tuple[Totals, list[UsageRecord]]:
    """(the sums of the rows whose request ids have fingerprints in ``wanted``; those rows
    that are not known duplicates, one record each, in file order)."""
    gone = Totals()
    each: list[UsageRecord] = []
    for part in _rows_in(read, wanted):
        each.extend(one_by_one(read, by, part, index, file, gone))
    return gone, each


def one_by_one(read: Reading, by: str, part: pa.RecordBatch, index: RequestIndex, file: str,
               gone: Totals) -> list[UsageRecord]:
    """The rows of ``part`` that are not copies of a request the ledger knows with the same
    numbers, one record each (the copies are told to the ledger as dropped); all their sums
    are added to ``gone``."""
    values = row_values(part, read, Totals())
    group(values, read, by, gone)
    names = [*read.csv_ids, *read.meta_ids]
    columns = _columns(values)
    ids = read.column(part, "request_id").to_pylist()
    each = []
    for i, (key, content) in enumerate(_contents(ids, columns)):
        seen = index.requests.get(key)
        if seen is not None and seen[0] == content:
            index.drop(file)  # a copy of a request counted before: no record for it
            continue
        found = cleaned(by, names, tuple(columns[n][i] for n in names), gone)
        each.append(UsageRecord(
            source=litellm.CSV, where=read.path.name, start=content[0],
            end=day_span(content[0].date())[1], model=content[1], requests=1,
            input_tokens=content[5], cached_input_tokens=content[6],
            cache_write_tokens=content[7], output_tokens=content[9], cost_usd=content[10],
            currency="USD", identity=litellm.identity_of(key), **named(by, found)))
    return each


def rows_with(path: Path, wanted: np.ndarray) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(request id, content) of the rows of a summed file whose request ids have fingerprints
    in ``wanted``, for the ledger to know them."""
    try:
        read = reading(path, "user")
        found = []
        for part in _rows_in(read, wanted):
            columns = _columns(row_values(part, read, Totals()))
            found.extend(_contents(read.column(part, "request_id").to_pylist(), columns))
    except RowReaderNeededError:  # as it was summed, it reads the same by the row reader
        from xlmargin.usage.dedup import content_of

        wanted_set = {int(w) for w in wanted}
        found = [(r.identity[2], content_of(r)) for r in litellm.read_csv(path)
                 if isinstance(r, UsageRecord) and r.identity is not None
                 and fingerprint(r.identity[2]) in wanted_set]
    yield from found


def _columns(values: dict[str, pa.Array]) -> dict[str, list[Any]]:
    return {name: array.to_pylist() for name, array in values.items()}


def _contents(ids: list[str], columns: dict[str, list[Any]]
              ) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(request id, what the ledger compares) of each row, as a record of it would give."""
    days, kinds, spends = columns["day"], columns["kind"], columns["spend"]
    models, prompts, completions = columns["model"], columns["prompt"], columns["completion"]
    cached, writes = columns["cached"], columns["writes"]
    for i, key in enumerate(ids):
        spend = None if kinds[i] == NO_SPEND else spends[i].normalize(_EXACT)
        yield key.strip(), request_content(day_span(day_of(days[i]))[0],
                                           models[i].strip() or None, prompts[i], cached[i],
                                           writes[i], completions[i], spend)


def _rows_in(read: Reading, wanted: np.ndarray) -> Iterator[pa.RecordBatch]:
    """The rows, batch by batch, whose request ids have fingerprints in ``wanted``: sorted
    once and searched, not hashed again for every batch as ``np.isin`` would."""
    import numpy as np
    import pyarrow as pa

    ordered = np.unique(wanted)
    for batch, prepared in read.batches():
        if not batch.num_rows or prepared.prints is None:
            continue
        prints, holding = prepared.prints
        at = np.minimum(np.searchsorted(ordered, prints), len(ordered) - 1)
        hit = ordered[at] == prints
        if holding is not None:  # blank ids have no identity: never read again
            mask = np.zeros(batch.num_rows, bool)
            mask[np.flatnonzero(holding)] = hit
            hit = mask
        if hit.any():
            yield batch.filter(pa.array(hit))
