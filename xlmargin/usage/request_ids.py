"""Request ids a summed LiteLLM file holds, without keeping them: a 64-bit fingerprint per row.

The fast path (``litellm_arrow``) sums a file's rows without looking at them one by one, so it
cannot ask the ledger about each request id. It keeps each row's fingerprint instead (8 bytes a
row), made from the id's length and last 16 bytes, the part of an id that varies. Equal ids have
equal fingerprints, so rows whose fingerprints are unique, within the file and against every id
read before, are provably not duplicates and stay summed. The few rows whose fingerprints
collide (a real duplicate, or two ids that merely look alike at the end) are read again one by
one and settled by the ledger on their exact ids.

``fingerprint`` (one id, in Python) and ``fingerprints`` (a pyarrow column, in numpy) compute
the same value; numpy and pyarrow are imported only when a file is summed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from xlmargin.usage.record import UsageRecord

_K1, _K2, _MASK = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, (1 << 64) - 1


def fingerprint(request_id: str) -> int:
    data = request_id.encode("utf-8", errors="surrogatepass")
    n = len(data)
    last = int.from_bytes(data[-8:].rjust(8, b"\0"), "little")
    previous = int.from_bytes(data[max(0, n - 16):max(0, n - 8)].rjust(8, b"\0"), "little")
    h = ((last * _K1) & _MASK) ^ previous ^ ((n << 56) & _MASK)
    h ^= h >> 29
    h = (h * _K2) & _MASK
    return h ^ (h >> 32)


def fingerprints(ids: pa.Array) -> np.ndarray:
    """``fingerprint`` of every string of a pyarrow string array, as uint64."""
    import numpy as np
    import pyarrow as pa

    if ids.type != pa.string():
        ids = ids.cast(pa.string())
    count = len(ids)
    if not count:
        return np.zeros(0, np.uint64)
    buffers = ids.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[ids.offset:ids.offset + count + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None \
        else np.zeros(0, np.uint8)
    ends = offsets[1:].astype(np.int64)
    lengths = ends - offsets[:-1]
    # Rows whose 16 bytes before the end reach before the buffer's start: done in Python.
    early = ends < 16
    result = np.zeros(count, np.uint64)
    late = ~early
    if data.size >= 16 and late.any():
        windows = np.lib.stride_tricks.sliding_window_view(data, 8)
        end = ends[late]
        length = lengths[late]
        last = _kept(windows[end - 8].view("<u8").ravel(), np.minimum(length, 8))
        previous = _kept(windows[end - 16].view("<u8").ravel(),
                         np.clip(length - 8, 0, 8))
        h = (last * np.uint64(_K1)) ^ previous ^ (length.astype(np.uint64) << np.uint64(56))
        h ^= h >> np.uint64(29)
        h *= np.uint64(_K2)
        h ^= h >> np.uint64(32)
        result[late] = h
    else:
        early[:] = True
    for i in np.flatnonzero(early):
        result[i] = fingerprint(ids[int(i)].as_py())
    return result


def plain_ids(ids: pa.Array) -> bool:
    """Whether every non-blank id starts and ends with a printable ASCII character: ids the
    row reader, which strips cells, reads as they are."""
    import numpy as np

    count = len(ids)
    buffers = ids.buffers()
    if not count or buffers[2] is None:
        return True
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[ids.offset:ids.offset + count + 1]
    starts, ends = offsets[:-1], offsets[1:]
    holding = ends > starts
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    first, last = data[starts[holding]], data[ends[holding] - 1]
    return not (((first < 0x21) | (first > 0x7E)).any() or ((last < 0x21) | (last > 0x7E)).any())


def _kept(words: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each little-endian 8-byte word with only its top ``valid`` bytes kept: the bytes before
    an id's first belong to the id before it."""
    import numpy as np

    shift = ((8 - valid) * 8).clip(0, 63).astype(np.uint64)
    return np.where(valid == 0, np.uint64(0), (words >> shift) << shift)


@dataclass
class _Summed:
    path: Path
    fingerprints: np.ndarray


@dataclass
class RequestIndex:
    """Every request id an import has read: those the ledger holds one by one, and the
    fingerprints of those summed by the fast path."""

    requests: dict[str, Any]
    register: Callable[[UsageRecord, str], None]
    """Tells the ledger of a summed row read again: counted already, known now by its id."""
    summed: list[_Summed] = field(default_factory=list)
    _held: int = 0
    _known: list[np.ndarray] = field(default_factory=list)
    _summed_set: set[int] | None = None

    def _known_fingerprints(self) -> np.ndarray:
        import numpy as np
        import pyarrow as pa

        if len(self.requests) > self._held:
            fresh = list(self.requests)[self._held:]
            self._known.append(fingerprints(pa.array(fresh, pa.string())))
            self._held = len(self.requests)
        found = [*self._known, *(s.fingerprints for s in self.summed)]
        return np.concatenate(found) if found else np.zeros(0, np.uint64)

    def colliding(self, found: np.ndarray) -> np.ndarray:
        """The fingerprints in ``found`` that occur twice in it or were seen before."""
        import numpy as np

        ordered = np.sort(found)
        twice = ordered[1:][ordered[1:] == ordered[:-1]]
        known = self._known_fingerprints()
        before = found[np.isin(found, known)] if known.size else ordered[:0]
        return np.unique(np.concatenate([twice, before]))

    def add_summed(self, path: Path, found: np.ndarray) -> None:
        self.summed.append(_Summed(path, found))
        self._summed_set = None

    def may_be_summed(self, request_id: str) -> bool:
        """Whether a summed file may hold this id (its fingerprint is among theirs)."""
        if not self.summed:
            return False
        if self._summed_set is None:
            self._summed_set = {int(f) for s in self.summed for f in s.fingerprints}
        return fingerprint(request_id) in self._summed_set

    def summed_rows(self, wanted: np.ndarray) -> Iterable[tuple[UsageRecord, Path]]:
        """The rows of summed files whose fingerprints are in ``wanted``, read again."""
        import numpy as np

        from xlmargin.usage.litellm_again import rows_with

        for entry in self.summed:
            hits = wanted[np.isin(wanted, entry.fingerprints)]
            if hits.size:
                for record in rows_with(entry.path, hits):
                    yield record, entry.path
