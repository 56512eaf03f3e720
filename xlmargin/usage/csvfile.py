"""Streaming CSV/TSV reading shared by the CSV importers: the delimiter is detected from the
header line, columns are found by header name (case-insensitive), rows come one at a time with
the line they ended on."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

Row = list[str]


def delimiter_of(header_line: str) -> str:
    """Tab, semicolon or comma: whichever splits the header into the most columns."""
    return max(("\t", ",", ";"), key=header_line.count) if header_line.strip() else ","


def header_of(path: Path) -> tuple[list[str], str]:
    """(lower-cased header names, delimiter) of a CSV file."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    delimiter = delimiter_of(first)
    names = next(csv.reader([first], delimiter=delimiter), [])
    return [n.strip().lower() for n in names], delimiter


def rows(path: Path) -> Iterator[tuple[dict[str, int], int, Row]]:
    """(columns {name: index}, line number, row) for every non-blank data row."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = delimiter_of(first)
        header = next(csv.reader([first], delimiter=delimiter), [])
        columns: dict[str, int] = {}
        for index, name in enumerate(header):
            columns.setdefault(name.strip().lower(), index)
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            if not row or not any(row):
                continue
            yield columns, reader.line_num + 1, row


def getter(columns: dict[str, int], row: Row):  # type: ignore[no-untyped-def]
    """get(name) -> the cell's text ('' when the column is absent or the row is short)."""
    width = len(row)

    def get(*names: str) -> str:
        for name in names:
            index = columns.get(name)
            if index is not None and index < width and row[index].strip():
                return row[index].strip()
        return ""

    return get
