"""How the fast path (``litellm_arrow``) reads a LiteLLM CSV dump: pyarrow's streaming reader in
a thread of its own, eight blocks joined per batch, and per batch the checks and conversions that
need no state (line breaks in the cells read, the counts, the spend, the request ids'
fingerprints), made in that thread, which has time to spare while the summing thread searches
the metadata. Anything only the row reader reads exactly raises RowReaderNeededError."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.textfile import UTF8_BOM, marked_encoding
from xlmargin.usage.csvfile import Table
from xlmargin.usage.litellm_metadata import RowReaderNeededError, check
from xlmargin.usage.request_ids import fingerprints

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# What both Decimal() and Arrow's decimal parser read as the same number; blank is no spend.
# Bounded (at most 38 digits after the point, exponents -99..9) because pyarrow 26 neither
# refuses every value too large for decimal256(76, 38) ('5026E38' wraps around) nor survives
# every exponent ('.3E-325040' crashes it); and under 10**15 (15 digits before the point, or 6
# with a positive exponent), the bound past which the row reader calls an amount malformed
# (record.MAX_AMOUNT_DIGITS). Bounded so, a batch's sum is far from overflowing. Any other
# amount sends the file to the row reader.
_AMOUNT = (r"^([+-]?(([0-9]{1,15}(\.[0-9]{0,38})?|\.[0-9]{1,38})([eE]-[0-9]{1,2})?"
           r"|([0-9]{1,6}(\.[0-9]{0,38})?|\.[0-9]{1,38})[eE]\+?[0-9]))?$")
# An amount that reads both ways (1.500: 1.5, or 1500 with a decimal comma): the row reader
# settles it by the file's numbers and delimiter (usage.numbers), which say a decimal point for
# sure only where the delimiter is a comma and every amount has a point, as every one here has.
_AMBIGUOUS_AMOUNT = r"^[+-]?[1-9][0-9]{0,2}\.[0-9]{3}$"
SPEND_TYPE = (76, 38)
# pyarrow reads some 40 blocks ahead: 256 KB blocks keep that near 10 MB. Summed 8 at a time
# (2 MB of CSV), a batch's per-call overhead is small and its intermediates, which the
# allocator keeps once used, stay small: 1 MB blocks summed 4 at a time were no faster and
# peaked some 50 MB higher.
BLOCK_BYTES = 256 << 10
BATCHES_AT_ONCE = 8
READ_AHEAD = 1  # joined batches waiting for the caller (see _read_ahead)

# --by -> (CSV columns, metadata string keys) it attributes on, as the row reader reads them.
IDENTIFIERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "api_key": (("api_key",), ("user_api_key_alias",)),
    "project": ((), ("user_api_key_project_alias", "user_api_key_project_id")),
    "workspace": (("team_id",), ("user_api_key_team_alias",)),
    "user": (("end_user", "user"), ()),
    "tag": (("request_tags",), ()),
}
_ALWAYS = ("starttime", "model", "prompt_tokens", "completion_tokens", "spend", "metadata",
           "request_id")
# Cells read as text: a line break in one is a quote gone astray, which the row reader reports
# (litellm.CSV_COLUMNS); counts and amounts are checked by their own patterns.
_TEXT = ("starttime", "model", "metadata", "request_id", "api_key", "team_id", "end_user",
         "user", "request_tags")

@dataclass
class Reading:
    """How pyarrow reads the file: its delimiter, the needed columns' names ('c7') and the
    reader's options."""

    path: Path
    delimiter: str
    columns: dict[str, str]
    csv_ids: tuple[str, ...]
    meta_ids: tuple[str, ...]
    options: tuple[Any, Any, Any]

    def batches(self) -> Iterator[tuple[pa.RecordBatch, Prepared]]:
        """(batch, what the reading thread prepared of it: see ``prepare``);
        RowReaderNeededError when pyarrow rejects a row, or ``prepare`` a cell."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        try:
            with closing(_read_ahead(lambda: pcsv.open_csv(self.path, *self.options),
                                     self.prepare)) as found:
                yield from found
        except pa.ArrowException:
            raise RowReaderNeededError from None

    def prepare(self, batch: pa.RecordBatch) -> Prepared:
        """The checks and conversions of a batch that need no state, done in the reading
        thread, which has time to spare while the summing thread searches the metadata: no
        line break in a text cell the import reads (a quote gone astray), the counts and the
        spend as numbers, the request ids' fingerprints."""
        for name in _TEXT:
            if name in self.columns:
                _single_line(batch.column(self.columns[name]))
        prints = None
        if "request_id" in self.columns:
            prints = request_fingerprints(batch.column(self.columns["request_id"]))
        return Prepared(prints, *_numbers(batch, self))

    def column(self, batch: pa.RecordBatch, name: str) -> pa.Array:
        import pyarrow as pa

        if name in self.columns:
            return batch.column(self.columns[name])
        return pa.nulls(batch.num_rows, pa.string()).fill_null("")  # absent column: blank cells


def reading(path: Path, by: str) -> Reading:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, "rb") as handle:
        encoding = marked_encoding(handle.read(4096))
    if encoding not in (None, UTF8_BOM):
        raise RowReaderNeededError  # UTF-16: pyarrow reads UTF-8 only
    table = Table.of_file(path)
    if table.header_line != 1 or table.counts.header != 1:
        raise RowReaderNeededError  # blank lines first, or a header over several lines
    positions = table.columns
    csv_ids, meta_ids = IDENTIFIERS[by]
    wanted = [n for n in (*_ALWAYS, *csv_ids) if n in positions]
    if "starttime" not in wanted:
        raise RowReaderNeededError  # every row is malformed: let the row reader say so
    names = [f"c{i}" for i in range(len(table.header))]  # the header's own may repeat
    columns = {n: names[positions[n]] for n in wanted}
    read = pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES)
    # Python csv's dialect ("excel" with the detected delimiter); newlines may be quoted (pyarrow
    # reads a quoted line break as part of the cell either way; this says it may find one at a
    # block's end, too). A row of the wrong width is an
    # ArrowInvalid (the row reader reports it): no invalid_row_handler, which pyarrow calls with
    # the row as text, after decoding it, and a bad byte in it would print an ignored
    # UnicodeDecodeError to stderr.
    parse = pcsv.ParseOptions(delimiter=table.delimiter, quote_char='"', double_quote=True,
                              escape_char=False, newlines_in_values=True,
                              ignore_empty_lines=True)
    convert = pcsv.ConvertOptions(include_columns=list(columns.values()),
                                  column_types=dict.fromkeys(columns.values(), pa.string()),
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    return Reading(path, table.delimiter, columns, csv_ids, meta_ids, (read, parse, convert))


def request_fingerprints(ids: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """(the fingerprints of the non-blank ids, which rows those are or None for all)."""
    found, plain, holding = fingerprints(ids)
    if not plain:
        raise RowReaderNeededError  # a space or a non-ASCII character at an end
    return (found, None) if holding is None else (found[holding], holding)


def _read_ahead(open_reader: Callable[[], Iterable[pa.RecordBatch]],
                also: Callable[[pa.RecordBatch], Any] | None = None
                ) -> Iterator[tuple[pa.RecordBatch, Any]]:
    """(batch, ``also(batch)``) for the reader's batches, BATCHES_AT_ONCE joined in one, read by
    a thread at most READ_AHEAD of them ahead of the caller. pyarrow's streaming reader parses
    a block only when asked for the next batch: read in the caller's thread, parsing and
    summing would take turns on one core. Both release the GIL, as numpy does for ``also``
    (the request ids' fingerprints: the summing thread is the busier). The thread's error, if
    any, is raised here; leaving early (closing this generator) stops the thread before
    returning."""
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
                    joined = _joined(pending)
                    handoff.put((joined, also(joined) if also else None))
                    pending = []
            if pending:
                joined = _joined(pending)
                handoff.put((joined, also(joined) if also else None))
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


def _count(text: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    lengths = pc.binary_length(text)
    if pc.max(lengths).as_py() > 12:  # no int64 overflow in a batch's sums
        raise RowReaderNeededError
    if pc.min(lengths).as_py():  # no blank: spared an if_else that copies every cell
        check(pc.ascii_is_decimal(text))
        return pc.cast(text, pa.int64())
    check(pc.or_(pc.ascii_is_decimal(text), pc.equal(text, "")))  # blank is 0
    return pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.int64())


def _single_line(texts: pa.Array) -> None:
    """No line break in any of the texts: one copy of their bytes searched with bytes.find
    (a memchr), some twenty times faster than a pyarrow pattern over a million metadata
    texts."""
    import pyarrow as pa

    buffers = texts.buffers()
    if not len(texts) or buffers[2] is None:
        return
    offsets = memoryview(buffers[1]).cast("q" if texts.type == pa.large_string() else "i")
    first, last = offsets[texts.offset], offsets[texts.offset + len(texts)]
    data = memoryview(buffers[2])[first:last].tobytes()
    if b"\n" in data or b"\r" in data:
        raise RowReaderNeededError


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``Reading.prepare`` made of a batch."""

    prints: tuple[np.ndarray, np.ndarray | None] | None
    """The fingerprints of its non-blank request ids, and which rows have one (None: all)."""
    prompt: pa.Array
    completion: pa.Array
    spend: pa.Array


def _numbers(batch: pa.RecordBatch, read: Reading) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(prompt tokens, completion tokens, spend) as int64, int64 and decimal256, as the row
    reader reads them; RowReaderNeededError for a cell it reads differently."""
    import pyarrow as pa
    import pyarrow.compute as pc

    spend_text = read.column(batch, "spend")
    check(pc.match_substring_regex(spend_text, _AMOUNT))
    if read.delimiter != ",":
        check(pc.invert(pc.match_substring_regex(spend_text, _AMBIGUOUS_AMOUNT)))
    spend = pc.cast(pc.if_else(pc.equal(spend_text, ""), pa.scalar(None, pa.string()),
                               spend_text), pa.decimal256(*SPEND_TYPE))
    return (_count(read.column(batch, "prompt_tokens")),
            _count(read.column(batch, "completion_tokens")), spend)


