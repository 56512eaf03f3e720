"""Opening a user's workbook to read it (``report``, ``sensitivity``): refused before anything
is unpacked when it would unpack too far, and a damaged part is one message naming the file and
the sheet, never a traceback.

openpyxl's read-only mode parses a sheet's XML as its rows are read, so a malformed sheet fails
in the middle of the reading, with whatever its parser met: a ParseError for broken XML, an
IndexError for a shared string that is not there, a ValueError for a number that is not one.
``ReadOnlyBook`` hands out sheets whose rows turn those into an InputError; the code reading
the rows is outside that guard, so its own mistakes are not taken for a damaged file.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from xlmargin.errors import InputError
from xlmargin.sheets.zipcheck import check_zip


class ReadOnlySheet:
    """A read-only worksheet whose ``iter_rows`` reports a damaged sheet as an InputError."""

    def __init__(self, ws: Any, where: str) -> None:
        self._ws = ws
        self.title: str = ws.title
        self._where = where

    def iter_rows(self, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        try:
            rows = self._ws.iter_rows(**kwargs)
        except Exception as error:  # see the module's docstring
            raise _damaged(self._where, self.title, error) from error
        while True:
            try:
                with quiet():
                    row = next(rows)
            except StopIteration:
                return
            except Exception as error:
                raise _damaged(self._where, self.title, error) from error
            yield row


class Name(NamedTuple):
    """A defined name as ``read_workbook`` uses it: where it points."""

    destinations: list[tuple[str, str]]


def usable_destinations(defined: Any) -> list[tuple[str, str]]:
    """(sheet, range) of a defined name, leaving out what is not a whole range: a reference
    openpyxl cannot parse (a name edited to ``$B$7``, with no sheet), one a deletion left
    (``Clients!#REF!``), or a whole column or row (``Clients!$A:$A``). A name left with none
    reads as missing, which the readers report and do without."""
    try:
        found = list(defined.destinations)
    except Exception:  # openpyxl parses the reference only here, raising what it meets
        return []
    usable = []
    for sheet, ref in found:
        try:
            bounds = range_boundaries(ref.replace("$", ""))
        except (ValueError, TypeError):
            continue
        if None not in bounds:
            usable.append((sheet, ref))
    return usable


class ReadOnlyBook:
    """The parts of a read-only openpyxl workbook that ``read_workbook`` uses."""

    def __init__(self, wb: Any, where: str) -> None:
        self._wb = wb
        self._where = where
        self.sheetnames: list[str] = list(wb.sheetnames)
        self.defined_names: dict[str, Name] = {
            name: Name(usable_destinations(defined))
            for name, defined in wb.defined_names.items()}

    def __getitem__(self, name: str) -> ReadOnlySheet:
        if name not in self.sheetnames:
            raise KeyError(name)
        try:
            ws = self._wb[name]
        except Exception as error:
            raise _damaged(self._where, name, error) from error
        return ReadOnlySheet(ws, self._where)

    def close(self) -> None:
        self._wb.close()


def open_read_only(path: str | Path) -> ReadOnlyBook:
    """The workbook at ``path`` for reading; InputError when it is not one or would unpack
    past the limits (``zipcheck``)."""
    where = str(path)
    check_zip(path)
    try:
        with quiet():
            wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        raise not_a_workbook(where, error) from error
    return ReadOnlyBook(wb, where)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """openpyxl warns about parts it would not keep in a save, printed as Python source
    lines; reading for a report saves nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def not_a_workbook(where: str, error: Exception) -> InputError:
    """One line for a workbook openpyxl cannot load. Its own message for a bad part is three
    lines naming the file again, with the reason in the exception it chains."""
    text = _first_line(error)
    step = re.match(r"Unable to read workbook: could not (.+?) from ", text)
    if step and error.__cause__ is not None:
        text = f"cannot {step.group(1)} ({_first_line(error.__cause__)})"
    return InputError(where, f"not an Excel workbook: {text}")


def _first_line(error: BaseException) -> str:
    if isinstance(error, KeyError) and error.args:
        key = str(error.args[0])  # zipfile's says what is missing; openpyxl's is a bare id
        return key if " " in key else f"it refers to {key!r}, which is missing"
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _damaged(where: str, sheet: str, error: Exception) -> InputError:
    detail = _first_line(error)
    return InputError(f"{where}: sheet {sheet}", f"damaged, cannot be read ({detail}); open it "
                      "in Excel and save it again")
