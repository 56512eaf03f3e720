"""Numbers as spreadsheets write them, in either convention: 1,234.5 (a decimal point, commas
between thousands) or 1.234,5 (a decimal comma, as European Excel writes, with semicolons
between cells). Shared by the usage CSVs and the roster.

Most numbers say which convention they use: 0.5, 59200.0 and 1,234.5 have a decimal point;
0,5, 1,25 and 1.234,5 a decimal comma; 1,234,567 and 1.234.567 group thousands. Only a single
separator followed by exactly three digits, as in 1.500 or 12,345, reads both ways. Such a
number takes its file's convention: the one every other number in the file shows, or, when no
number shows one, the delimiter's (a semicolon: a decimal comma; a comma: a decimal point). If
the file's numbers show both, or nothing shows either (a tab-separated file of whole numbers),
the number is refused with a message, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

DOT, COMMA, MIXED, UNKNOWN = "decimal point", "decimal comma", "mixed", "unknown"

_DIGITS = re.compile(r"[0-9]+(?:_[0-9]+)*")
_EXPONENT = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_SINGLE = re.compile(r"([0-9]*)([.,])([0-9]*)")
_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:([.,])[0-9]{3})(?:\1[0-9]{3})+")
_GROUPED_DECIMAL = re.compile(r"[1-9][0-9]{0,2}([.,])[0-9]{3}(?:\1[0-9]{3})*(?!\1)([.,])[0-9]*")
_NON_FINITE = re.compile(r"(?:inf(?:inity)?|nan)", re.IGNORECASE)


class NumberError(ValueError):
    """Text that is no number in its file's convention; the message says why."""


def _shape(text: str) -> tuple[str | None, str, str]:
    """(the convention the text shows, None for none, '' when it reads both ways; its value
    with a decimal point; for one that reads both ways, its value read with a decimal comma).
    ('', '', '') for text that is no number."""
    if _DIGITS.fullmatch(text):
        return None, text.replace("_", ""), ""
    if _EXPONENT.fullmatch(text):
        return (DOT if "." in text else None), text, ""
    if _AMBIGUOUS.fullmatch(text):
        head, tail = text[:-4], text[-3:]
        as_decimal = f"{head}.{tail}"
        return ("", as_decimal, head + tail) if text[-4] == "." else ("", head + tail,
                                                                       as_decimal)
    single = _SINGLE.fullmatch(text)
    if single is not None and (single.group(1) or single.group(3)):
        whole, separator, fraction = single.groups()
        return (DOT if separator == "." else COMMA), f"{whole or '0'}.{fraction or '0'}", ""
    grouped = _GROUPED.fullmatch(text)
    if grouped is not None:  # 1,234,567 or 1.234.567: thousands only
        return (DOT if grouped.group(1) == "," else COMMA), re.sub("[.,]", "", text), ""
    both = _GROUPED_DECIMAL.fullmatch(text)
    if both is not None:
        thousands, point = both.group(1), both.group(2)
        value = text.replace(thousands, "").replace(point, ".")
        return (DOT if point == "." else COMMA), value + ("0" if value.endswith(".") else ""), ""
    return "", "", ""


def shows(text: str) -> str | None:
    """The convention a cell's number shows (DOT or COMMA), or None."""
    stripped = text.strip().lstrip("+-")
    if not stripped or not (stripped[0].isdigit() or stripped[0] in ".,"):
        return None
    kind, value, _ = _shape(stripped)
    return kind if kind in (DOT, COMMA) and value else None


class Convention:
    """How one file writes numbers: ``fixed`` (JSON always has a decimal point), or found from
    the file itself the first time a number reads both ways (``cells`` gives every cell)."""

    def __init__(self, fixed: str | None = None, delimiter: str = ",",
                 cells: Callable[[], Iterable[str]] | None = None) -> None:
        self._value = fixed
        self.fixed = fixed is not None
        self.delimiter = delimiter
        self._cells = cells
        self.used_comma = False
        """Whether a number was read with a decimal comma (the reader says so)."""

    @property
    def value(self) -> str:
        if self._value is None:
            seen: set[str] = set()
            for cell in self._cells() if self._cells is not None else ():
                kind = shows(cell)
                if kind is not None:
                    seen.add(kind)
                    if len(seen) == 2:
                        break
            if len(seen) == 2:
                self._value = MIXED
            elif seen:
                self._value = seen.pop()
            else:
                self._value = {";": COMMA, ",": DOT}.get(self.delimiter, UNKNOWN)
        return self._value

    def why(self) -> str:
        """Why the file's convention is what it is, for a message."""
        if self.fixed:
            return f"numbers here have a {self.value}"
        if self.value == MIXED:
            return "the file's numbers have both a decimal point and a decimal comma"
        if self.value == UNKNOWN:
            return ("no other number in the file has a decimal point or a decimal comma, and "
                    "its delimiter does not say")
        return f"read with a {self.value}, as the file's other numbers or its delimiter show"

    def decimal(self, text: str) -> Decimal:
        """The number a cell holds. Raises NumberError for text that is no number, or one
        that reads both ways where the file does not say which."""
        stripped = text.strip()
        sign = ""
        if stripped[:1] in ("+", "-"):
            sign, stripped = stripped[0], stripped[1:].lstrip()
        if _NON_FINITE.fullmatch(stripped):
            return Decimal(sign + stripped)
        kind, value, other = _shape(stripped)
        if not value:
            raise NumberError("not a number")
        if kind == "":  # both readings possible
            convention = self.value
            if convention not in (DOT, COMMA):
                raise NumberError(f"reads as {sign}{_plain(value)} or as {sign}{_plain(other)}: "
                                  f"{self.why()}; write it without a thousands separator")
            if convention == COMMA:
                value = other
            kind = convention
        elif kind is not None and self.fixed and kind != self.value:
            raise NumberError(f"has a {kind}, but {self.why()}")
        if kind == COMMA:
            self.used_comma = True
        try:
            return Decimal(sign + value)
        except InvalidOperation:  # pragma: no cover - the shapes above are all Decimal syntax
            raise NumberError("not a number") from None


def _plain(value: str) -> str:
    return f"{Decimal(value).normalize():f}"


JSON_NUMBERS = Convention(fixed=DOT)
"""Numbers given as JSON strings ("12.50"): a decimal point, commas only between thousands."""
