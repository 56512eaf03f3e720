"""Request ids a summed LiteLLM file holds, without keeping them: a 64-bit fingerprint per row.

The fast path (``litellm_arrow``) sums a file's rows without looking at them one by one, so it
cannot ask the ledger about each request id. It keeps each row's fingerprint instead (8 bytes a
row), made from the id's length and last 8 bytes, the part of an id that varies (a uuid's
tail, a counter's last digits): one gather per row, cheap beside the CSV parsing. Equal ids have
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

_K1, _K2, _MASK = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, (1 << 64) - 1


def fingerprint(request_id: str) -> int:
    """The id's UTF-8 length and last 8 bytes, mixed into 64 bits."""
    data = request_id.encode("utf-8", errors="surrogatepass")
    last = int.from_bytes(data[-8:].rjust(8, b"\0"), "little")
    h = ((last * _K1) & _MASK) ^ ((len(data) << 56) & _MASK)
    h ^= h >> 29
    h = (h * _K2) & _MASK
    return h ^ (h >> 32)


def fingerprints(ids: pa.Array) -> tuple[np.ndarray, bool, np.ndarray | None]:
    """(``fingerprint`` of every string of a pyarrow string array as uint64; whether every
    non-blank one starts and ends with a printable ASCII character, an id the row reader,
    which strips cells, reads as it is; which are not blank, None when none is): one gather
    of each id's last 8 bytes, one of its first and last byte."""
    import numpy as np
    import pyarrow as pa

    if ids.type != pa.string():
        ids = ids.cast(pa.string())
    count = len(ids)
    buffers = ids.buffers()
    if not count or buffers[2] is None or buffers[2].size < 8:
        texts = ids.to_pylist()
        holding = np.array([bool(t) for t in texts], bool)
        return (np.array([fingerprint(t) for t in texts], np.uint64),
                all(_plain(t) for t in texts), None if holding.all() else holding)
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=count + 1, offset=ids.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    lengths = (ends - starts).astype(np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(data, 8)
    words = windows[np.maximum(ends - 8, 0)].view("<u8").ravel()
    short = lengths < 8
    holding: np.ndarray | None = None
    if short.any():  # the bytes before a short id's first are the id before it: zeros
        shift = np.minimum((np.uint64(8) - lengths[short]) * np.uint64(8), np.uint64(63))
        words[short] = np.where(lengths[short] == 0, np.uint64(0),
                                (words[short] >> shift) << shift)
        if not lengths.all():
            holding = lengths > 0
    ends_with = data[np.maximum(ends - 1, 0)]
    starts_with = data[np.minimum(starts, data.size - 1)]
    if holding is not None:
        ends_with, starts_with = ends_with[holding], starts_with[holding]
    # printable ASCII but space, 0x21-0x7e: one comparison each, the subtraction wrapping
    plain = not (((ends_with - np.uint8(0x21)) > 0x5D).any()
                 or ((starts_with - np.uint8(0x21)) > 0x5D).any())
    h = words * np.uint64(_K1)
    h ^= lengths << np.uint64(56)
    h ^= h >> np.uint64(29)
    h *= np.uint64(_K2)
    h ^= h >> np.uint64(32)
    for i in np.flatnonzero(ends < 8):  # an id whose 8 bytes would start before the buffer
        h[i] = fingerprint(ids[int(i)].as_py())
    return h, plain, holding


def _plain(request_id: str) -> bool:
    return not request_id or (request_id[0].isascii() and request_id[0].isprintable()
                              and not request_id[0].isspace() and request_id[-1].isascii()
                              and request_id[-1].isprintable() and not request_id[-1].isspace())


@dataclass
class _Summed:
    path: Path
    fingerprints: np.ndarray


@dataclass
class RequestIndex:
    """Every request id an import has read: those the ledger holds one by one, and the
    fingerprints of those summed by the fast path."""

    requests: dict[str, Any]
    """The ledger's: request id -> (content, file)."""
    register: Callable[[str, tuple[Any, ...], str], None]
    """Tells the ledger of a summed row read again: counted already, known now by its id."""
    drop: Callable[[str], None]
    """Tells the ledger a row of a file was a duplicate of one it knows."""
    summed: list[_Summed] = field(default_factory=list)
    _held: int = 0
    _known: list[np.ndarray] = field(default_factory=list)
    _summed_set: set[int] | None = None

    def _known_fingerprints(self) -> np.ndarray:
        import numpy as np
        import pyarrow as pa

        if len(self.requests) > self._held:
            fresh = list(self.requests)[self._held:]
            self._known.append(fingerprints(pa.array(fresh, pa.string()))[0])
            self._held = len(self.requests)
        found = [*self._known, *(s.fingerprints for s in self.summed)]
        return np.concatenate(found) if found else np.zeros(0, np.uint64)

    def known(self) -> np.ndarray:
        """The fingerprints of every request read so far, sorted."""
        import numpy as np

        return np.unique(self._known_fingerprints())

    @staticmethod
    def twice(found: np.ndarray) -> np.ndarray:
        """The fingerprints that occur more than once in ``found``."""
        import numpy as np

        ordered = np.sort(found)
        return np.unique(ordered[1:][ordered[1:] == ordered[:-1]])

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

    def summed_rows(self, wanted: np.ndarray
                    ) -> Iterable[tuple[str, tuple[Any, ...], Path]]:
        """(request id, content, file) of the rows of summed files whose fingerprints are in
        ``wanted``, read again."""
        import numpy as np

        from xlmargin.usage.litellm_again import rows_with

        for entry in self.summed:
            hits = wanted[np.isin(wanted, entry.fingerprints)]
            if hits.size:
                for key, content in rows_with(entry.path, hits):
                    yield key, content, entry.path
