"""CSV/TSV files read record by record with every physical line accounted for: shared by the
usage CSV importers and the roster.

The delimiter is detected from the header line and columns are found by header name
(case-insensitive). Each record is a row, a blank line, or reported as malformed with its file
and line; none is lost. A quote that never closes does not swallow the rest of the file: the row
where it opened is reported (the message says it runs to the end of the file) and the lines
after it are read again as rows of their own. The same happens to a record that a quote spreads
over several lines when the result is not a row (the wrong number of cells, or a line break in
a cell that holds a number, a date or an identifier).

A row with fewer cells than the header is malformed: a row cut short would count as a day of no
usage, or of less. (Where a reader lets a row stop early, as the roster does, its missing cells
are blank; the file's last line without its line break is still a row cut short.) A row with
more cells than the header is malformed unless the extra cells are blank, as OpenAI's dashboard
writes its empty buckets; such a row that a reader finds malformed says it has too many cells
(``Row.hint``): a delimiter inside an unquoted cell shifts every cell after it.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError
from xlmargin.textfile import Lines, split_lines
from xlmargin.usage.numbers import Convention
from xlmargin.usage.record import Malformed, Note, RowError

# Python csv's default limit is 128 KB a cell, which a LiteLLM log's stored prompt can pass; a
# quote that never closes is stopped here rather than read into one cell of the whole file.
FIELD_LIMIT = 16 << 20
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
# Appended after the last line: a cell that holds it is a quote still open at the end.
_END = "\x00\ufdd0end of file\ufdd0\x00"


def delimiter_of(header_line: str) -> str:
    """Tab, semicolon or comma: whichever splits the header into the most columns."""
    return max(("\t", ",", ";"), key=header_line.count) if header_line.strip() else ","


class Row:
    """One data record: its cells, the line it starts on and its ordinal (header = 1)."""

    __slots__ = ("cells", "columns", "hint", "line", "lines", "number")

    def __init__(self, cells: list[str], columns: dict[str, int], line: int, lines: int,
                 number: int) -> None:
        self.cells, self.columns, self.line, self.lines, self.number = (cells, columns, line,
                                                                         lines, number)
        self.hint = ""
        """What to add to a problem the reader finds in the row: that it has blank cells past
        the header, which a shifted row has."""

    def get(self, *names: str) -> str:
        """The first non-blank cell of the named columns, stripped ('' when there is none)."""
        cells, width = self.cells, len(self.cells)
        for name in names:
            index = self.columns.get(name)
            if index is not None and index < width:
                text = cells[index].strip()
                if text:
                    return text
        return ""


class _Feed:
    """The lines handed to csv.reader, one at a time, remembered until their record is
    complete; lines pushed back are handed out again first. After the last line comes _END."""

    def __init__(self, lines: Iterable[tuple[int, str]]) -> None:
        self._source = iter(lines)
        self.pending: deque[tuple[int, str]] = deque()
        self._ended = False
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pending:
            item = self.pending.popleft()
        else:
            try:
                item = next(self._source)
            except StopIteration:
                if self._ended:
                    raise
                self._ended = True
                item = (0, _END)
        self.taken.append(item)
        return item[1]

    def push_back(self, items: list[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(items))


@dataclass
class Counts:
    """How a file's physical lines were accounted for: every line is in exactly one of these."""

    blank: int = 0
    header: int = 0
    row_lines: int = 0
    malformed_lines: int = 0
    rows: int = 0
    malformed: int = 0

    @property
    def lines(self) -> int:
        return self.blank + self.header + self.row_lines + self.malformed_lines


class Table:
    """A CSV file's header and records.

    ``required``: the columns a row must have a cell for (None: all; a row may stop early, its
    other cells blank, only after the columns listed); ``single_line``: those
    whose cells cannot hold a line break (None: all of them); ``numbers``: the columns whose numbers
    show the file's number convention. Raises InputError for a header whose quote never
    closes (nothing after it can be read)."""

    def __init__(self, lines: Iterable[tuple[int, str]], name: str, *,
                 source: Lines | None = None, reopen: Callable[[], Table] | None = None,
                 required: Collection[str] | None = None,
                 single_line: Collection[str] | None = None,
                 numbers: Collection[str] = ()) -> None:
        self.name = name
        self.counts = Counts()
        self._source, self._reopen = source, reopen
        rest = iter(lines)
        first: tuple[int, str] | None = None
        for item in rest:  # the delimiter comes from the first line that is not blank
            if item[1].strip():
                first = item
                break
            self.counts.blank += 1
        self.delimiter = delimiter_of(first[1] if first is not None else "")
        self._feed = _Feed(chain([first] if first is not None else [], rest))
        self._records = self._parse()
        self.header: list[str] = []
        """The header's names, stripped and lower-cased (``raw_header``: as written)."""
        self.raw_header: list[str] = []
        self.header_line = self.counts.blank + 1
        self._number = self.counts.blank  # the ordinal of the last record read
        for taken, cells in self._records:
            lines = [n for n, _ in taken if n]
            if not lines:
                self._feed.push_back(taken)  # the end: an empty file
                break
            self._number += 1
            if cells is None or (cells and _END in cells[-1]):
                raise InputError(f"{name}:{lines[0]}", "a quote in the header row never "
                                 "closes, so no row after it can be read")
            bad = self._source.bad if self._source is not None else {}
            problem = next((bad[n] for n in lines if n in bad), None)
            if problem is not None:
                raise InputError(f"{name}:{lines[0]}", f"the header row: {problem}")
            self.raw_header = [c.strip() for c in cells]
            self.header = [c.lower() for c in self.raw_header]
            self.header_line, self.counts.header = lines[0], len(lines)
            break
        self.columns: dict[str, int] = {}
        for index, column in enumerate(self.header):
            self.columns.setdefault(column, index)
        self.required = list(self.columns) if required is None else \
            [c for c in required if c in self.columns]
        self.single_line = {self.columns[c] for c in (self.columns if single_line is None
                                                      else single_line) if c in self.columns}
        self.number_columns = [c for c in numbers if c in self.columns]
        self.numbers = Convention(delimiter=self.delimiter, cells=self._number_cells)

    def read_numbers_of(self, columns: Collection[str]) -> None:
        """Take the file's number convention from these columns' numbers (header names)."""
        self.number_columns = [c for c in columns if c in self.columns]

    @classmethod
    def of_file(cls, path: Path, **options: Any) -> Table:
        """The table of a file, decoded as ``textfile.Lines`` decodes it, line by line."""
        source = Lines(path)
        return cls(source, path.name, source=source,
                   reopen=lambda: cls.of_file(path, **options), **options)

    @classmethod
    def of_text(cls, text: str, name: str, **options: Any) -> Table:
        return cls(enumerate(split_lines(text), start=1), name,
                   reopen=lambda: cls.of_text(text, name, **options), **options)

    def _number_cells(self) -> Iterator[str]:
        """Every cell of the number columns, from a second reading of the file: only done when
        a number reads both ways."""
        if self._reopen is None:
            return
        again = self._reopen()
        indexes = [again.columns[c] for c in self.number_columns]
        for item in again:
            if isinstance(item, Row):
                width = len(item.cells)
                yield from (item.cells[i] for i in indexes if i < width)

    def _parse(self) -> Iterator[tuple[list[tuple[int, str]], list[str] | None]]:
        """(lines, cells) of each record csv reads; cells None where csv gave up on it."""
        feed = self._feed
        while True:
            reader = csv.reader(feed, delimiter=self.delimiter)
            try:
                for cells in reader:
                    taken, feed.taken = feed.taken, []
                    yield taken, cells
            except csv.Error:  # a cell past FIELD_LIMIT: a new reader takes the next line
                taken, feed.taken = feed.taken, []
                yield taken, None
                continue
            if not feed.pending:  # lines pushed back after the end are read too
                return

    def __iter__(self) -> Iterator[Row | Malformed | Note]:
        width, counts = len(self.header), self.counts
        bad = self._source.bad if self._source is not None else {}
        for taken, cells in self._records:
            lines = [n for n, _ in taken if n]
            if not lines:  # only the end was left
                break
            self._number += 1
            first = lines[0]
            # the end mark can only be in the last cell: a quote still open there took it
            unclosed = cells is not None and bool(cells) and _END in cells[-1]
            if cells is None or unclosed:
                self._feed.push_back(taken[1:])  # the lines after it are read again
                yield self._malformed(first, 1, "a quote opened on this line never closes: it "
                                      "runs to the end of the file" if unclosed else
                                      f"a quoted cell opened on this line runs past "
                                      f"{FIELD_LIMIT >> 20} MB: a quote that never closes?")
                continue
            if not "".join(cells).strip():
                counts.blank += len(lines)
                continue
            if len(lines) > 1 and not self._spans_fine(cells, width):
                self._feed.push_back(taken[1:])
                yield self._malformed(first, 1, f"a quote opened on this line runs over "
                                      f"{len(lines)} lines, to line {lines[-1]}, and does not "
                                      "make a row of the header's cells: an unbalanced quote?")
                continue
            problem = next((bad[n] for n in lines if n in bad), None) if bad else None
            if problem is None:
                problem = self._width_problem(cells, width, taken[-1][1])
            if problem is not None:
                yield self._malformed(first, len(lines), problem)
                continue
            counts.rows += 1
            counts.row_lines += len(lines)
            row = Row(cells, self.columns, first, len(lines), self._number)
            if len(cells) > width:
                row.hint = f" ({self._too_many(len(cells), width)})"
            yield row
        if self._source is not None:
            note = self._source.note()
            if note is not None:
                yield Note(self.name, note)
        if self.numbers.used_comma:
            yield Note(self.name, f"{self.name}: numbers read with a decimal comma (1.234,5 "
                                  "is 1234.5), as the file's numbers or its semicolons show")

    def _too_many(self, cells: int, width: int) -> str:
        return (f"{cells} cells where the header has {width}: a delimiter "
                f"({_named(self.delimiter)}) inside a cell that is not quoted?")

    def _malformed(self, line: int, lines: int, problem: str) -> Malformed:
        self.counts.malformed += 1
        self.counts.malformed_lines += lines
        return Malformed(f"{self.name}:{line}", problem)

    def _spans_fine(self, cells: list[str], width: int) -> bool:
        """A record over several lines is a row only with the header's cells and its line
        breaks in cells that may hold them."""
        if len(cells) < width or any(c.strip() for c in cells[width:]):
            return False
        return not any("\n" in cells[i] or "\r" in cells[i] for i in self.single_line
                       if i < len(cells))

    def _width_problem(self, cells: list[str], width: int, last_line: str) -> str | None:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            return self._too_many(len(cells), width)
        if len(cells) >= width:
            return None
        if not last_line.endswith(("\n", "\r")):
            return (f"the file ends inside this row ({len(cells)} of the header's {width} "
                    "cells): cut short?")
        missing = [c for c in self.required if self.columns[c] >= len(cells)]
        if missing:
            return (f"{len(cells)} cells where the header has {width}, none for "
                    f"{', '.join(missing)}: a short or cut-off row")
        return None


def _named(delimiter: str) -> str:
    return {"\t": "a tab", ";": "a semicolon", ",": "a comma"}.get(delimiter, repr(delimiter))


def header_of(path: Path) -> tuple[list[str], str]:
    """(lower-cased header names, delimiter) of a CSV file."""
    table = Table.of_file(path)
    return table.header, table.delimiter


def each_record(path: Path, read_row: Callable[[Row, str, Table], Any],
                numbers: Collection[str] = ()) -> Iterator[Any]:
    """What a CSV export's reader yields: ``read_row(row, where, table)`` for each row, where
    ``where`` is 'file:line'; its RowError becomes a Malformed naming that line, and the
    table's own notes and malformed lines pass through."""
    table = Table.of_file(path, numbers=numbers)
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        at = f"{path.name}:{row.line}"
        try:
            yield read_row(row, at, table)
        except RowError as error:
            yield Malformed(at, str(error) + row.hint)
