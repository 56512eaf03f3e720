"""Rows of a summed LiteLLM CSV read a second time, one record each: those whose request ids
may be duplicates (their fingerprints collide, see ``request_ids``). The fast path takes them
out of its sums and hands them to the ledger, which counts each request once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from xlmargin.usage import litellm
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
    request_fingerprints,
    row_values,
)
from xlmargin.usage.litellm_metadata import RowReaderNeededError
from xlmargin.usage.record import UsageRecord, day_span
from xlmargin.usage.request_ids import fingerprint

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def split_out(read: Reading, by: str, wanted: np.ndarray) -> tuple[Totals, list[UsageRecord]]:
    """(the sums of the rows whose request ids have fingerprints in ``wanted``, those rows
    one record each, in file order)."""
    gone, scratch = Totals(), Totals()
    each: list[UsageRecord] = []
    for part in _rows_in(read, wanted):
        values = row_values(part, read, scratch)
        group(values, read, by, gone)
        each.extend(_one_by_one(read, by, values, read.column(part, "request_id"), gone))
    return gone, each


def rows_with(path: Path, wanted: np.ndarray) -> Iterator[UsageRecord]:
    """The rows of a summed file whose request ids have fingerprints in ``wanted``, one record
    each, for the ledger to know them (who they are attributed to does not matter here)."""
    try:
        read = reading(path, "user")
        found = []
        for part in _rows_in(read, wanted):
            values = row_values(part, read, Totals())
            found.extend(_one_by_one(read, "user", values, read.column(part, "request_id"),
                                     Totals()))
    except RowReaderNeededError:  # as it was summed, it reads the same by the row reader
        wanted_set = {int(w) for w in wanted}
        found = [r for r in litellm.read_csv(path) if isinstance(r, UsageRecord)
                 and r.identity is not None and fingerprint(r.identity[2]) in wanted_set]
    yield from found


def _rows_in(read: Reading, wanted: np.ndarray) -> Iterator[pa.RecordBatch]:
    import numpy as np
    import pyarrow as pa

    for batch in read.batches():
        if not batch.num_rows:
            continue
        prints, holding = request_fingerprints(read.column(batch, "request_id"))
        hit = np.isin(prints, wanted)
        if holding is not None:  # blank ids have no identity: never read again
            mask = np.zeros(batch.num_rows, bool)
            mask[np.flatnonzero(holding)] = hit
            hit = mask
        if hit.any():
            yield batch.filter(pa.array(hit))


def _one_by_one(read: Reading, by: str, values: dict[str, pa.Array], ids: pa.Array,
                totals: Totals) -> Iterator[UsageRecord]:
    columns = {name: array.to_pylist() for name, array in values.items()}
    names = [*read.csv_ids, *read.meta_ids]
    for i, request in enumerate(ids.to_pylist()):
        start, end = day_span(day_of(columns["day"][i]))
        spend = columns["spend"][i]
        found = cleaned(by, names, tuple(columns[n][i] for n in names), totals)
        yield UsageRecord(
            source=litellm.CSV, where=read.path.name, start=start, end=end,
            model=columns["model"][i].strip() or None, requests=1,
            input_tokens=columns["prompt"][i], cached_input_tokens=columns["cached"][i],
            cache_write_tokens=columns["writes"][i], output_tokens=columns["completion"][i],
            cost_usd=None if columns["kind"][i] == NO_SPEND else spend.normalize(_EXACT),
            currency="USD", identity=litellm.identity_of(request), **named(by, found))
