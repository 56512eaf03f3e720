"""The normalised usage record every importer yields, and the small parsers they share.

Token convention (whatever the source's): ``input_tokens`` counts *all* input tokens, cached
reads and cache writes included (OpenAI's convention); ``cached_input_tokens``,
``cache_write_tokens`` and ``cache_write_1h_tokens`` are the parts of it billed at other rates.
Anthropic's ``uncached_input_tokens`` is therefore added to its cache counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from xlmargin.usage.numbers import JSON_NUMBERS, Convention, NumberError

DAY = timedelta(days=1)
MAX_COUNT = 10**15
"""The most tokens (or requests) one row may hold: far beyond any real bucket. A larger count
is a broken export; it is reported as a malformed row, not summed."""
SHORT_COUNT_DIGITS = 15
"""A count of this many digits or fewer is under MAX_COUNT: readers may int() it unchecked."""
MAX_AMOUNT_DIGITS = 15
"""Amounts are under 10**15 in the export's unit: a larger one is no real bill, and one like
1E+999999 would overflow Decimal's context once summed."""


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One row, bucket result or request of an export, in a common shape."""

    source: str
    """The format name, e.g. 'openai-usage'."""
    where: str
    """File and line ('usage.csv:7') or JSON path ('costs.json:$.data[0].results[1]')."""
    start: datetime
    """Start of the period the record covers (UTC, inclusive)."""
    end: datetime
    """End of that period (UTC, exclusive). A request covers its whole UTC day."""
    model: str | None = None
    requests: int = 0
    input_tokens: int = 0
    """All input tokens, cached reads and cache writes included."""
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    """Cache writes at the (5-minute) write price."""
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    batch: bool = False
    cost_usd: Decimal | None = None
    """The amount billed (or logged by a gateway) when the export has one, in ``currency``."""
    currency: str | None = None
    project_id: str | None = None
    api_key_id: str | None = None
    key_alias: str | None = None
    workspace: str | None = None
    user: str | None = None
    tags: tuple[str, ...] = ()
    client: str | None = None
    """A client named by the file itself (the plain CSV's ``client`` column)."""
    rows: int = 1
    """How many rows of the file this record sums: 1, except from a reader that groups rows
    (``litellm_arrow``); the unattributed-records warning counts rows."""
    identity: tuple[Any, ...] | None = None
    """What makes two records the same usage (see ``dedup``): (kind, source family, ...).
    None for a record that cannot be told apart from another (no request id)."""

    @property
    def empty(self) -> bool:
        """A bucket or row with no usage: it only says the period was covered."""
        return (self.cost_usd is None and not self.requests and not self.input_tokens
                and not self.output_tokens and self.model is None)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A row or record that could not be read; the rest of the file still is."""

    where: str
    problem: str


@dataclass(frozen=True, slots=True)
class Note:
    """Something the reader did that the user should know (the encoding it read a file in)."""

    where: str
    text: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """Usage that is not priced per token (images, audio seconds, vector storage...)."""

    where: str
    kind: str


class RowError(ValueError):
    """A value in one row is unusable; the importer turns it into a Malformed."""


def count(value: object, name: str, numbers: Convention = JSON_NUMBERS) -> int:
    """A token or request count: ints, '1,234' (or '1.234' where ``numbers`` has a decimal
    comma), and the float text spreadsheets write ('59200.0'); blank is 0. More than MAX_COUNT
    is refused."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise RowError(f"{name}: expected a count, got {value!r}")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise RowError(f"{name}: expected a whole number, got {value!r}")
        result = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= SHORT_COUNT_DIGITS:
            return int(text)
        if not text:
            return 0
        if len(text) > 80:  # no regular expression over a megabyte of digits
            raise _too_large(name, value) if text.isdigit() else \
                RowError(f"{name}: expected a count, got {_shown(value)!r}")
        try:
            number = numbers.decimal(text)
        except NumberError as error:
            problem = str(error)
            raise RowError(f"{name}: expected a count, got {value!r}" if problem == "not a number"
                           else f"{name}: {value!r} {problem}") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise RowError(f"{name}: expected a whole number, got {value!r}")
        if number.copy_abs() > MAX_COUNT:  # before int(): "1e999999999" is a 400 MB int
            raise _too_large(name, value)
        result = int(number)
    else:
        raise RowError(f"{name}: expected a count, got {value!r}")
    if result < 0:
        raise RowError(f"{name}: negative count {value!r}")
    if result > MAX_COUNT:
        raise _too_large(name, value)
    return result


def _shown(value: object) -> object:
    return value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "..."


def _too_large(name: str, value: object) -> RowError:
    return RowError(f"{name}: count {_shown(value)!r} is over {MAX_COUNT:,}: not a real count")


def money(value: object, name: str, numbers: Convention = JSON_NUMBERS) -> Decimal | None:
    """An amount as Decimal from a number or a string (never through float), in the
    convention of ``numbers`` ('1,25' is 1.25 only where it has a decimal comma); blank is
    None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"{name}: expected an amount, got {value!r}")
    if isinstance(value, str):
        if len(value) > 80:
            raise RowError(f"{name}: expected an amount, got {_shown(value)!r}")
        text = value.strip()
        if _POINT_ONLY.fullmatch(text) and not _BOTH_WAYS.fullmatch(text):
            # most amounts: with a point or none, read the same in every convention
            return checked_amount(Decimal(text), name, value)
        try:
            amount = numbers.decimal(value)
        except NumberError as error:
            problem = str(error)
            raise RowError(f"{name}: expected an amount, got {value!r}"
                           if problem == "not a number" else f"{name}: {value!r} {problem}"
                           ) from None
    else:
        amount = Decimal(str(value))
    return checked_amount(amount, name, value)


_POINT_ONLY = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOTH_WAYS = re.compile(r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}")
"""An amount like 1.500: 1.5, or 1500 where the file has a decimal comma (usage.numbers)."""


def checked_amount(amount: Decimal, name: str, value: object) -> Decimal:
    """The amount, if finite and under 10**MAX_AMOUNT_DIGITS; else a RowError."""
    if not amount.is_finite():
        raise RowError(f"{name}: expected an amount, got {value!r}")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise RowError(f"{name}: amount {value!r} is {MAX_AMOUNT_DIGITS} digits or more "
                       "before the point: not a real amount")
    return amount


def flag(value: object, name: str) -> bool:
    """true/false/1/0/yes/no in any case, booleans; blank or null is False."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "1.0", "t"}:
        return True
    if text in {"false", "0", "no", "0.0", "f"}:
        return False
    raise RowError(f"{name}: expected true or false, got {value!r}")


def unix(value: object, name: str) -> datetime:
    """Unix seconds (OpenAI) as an aware UTC datetime; accepts '1759622400.0' text too."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            seconds = value
        else:
            number = Decimal(str(value).strip())
            if number.is_finite() and number.adjusted() > 12:  # no int of a million digits
                raise ValueError
            seconds = int(number)
        return datetime.fromtimestamp(seconds, UTC)
    except (InvalidOperation, ValueError, OverflowError, OSError):
        raise RowError(f"{name}: expected unix seconds, got {value!r}") from None


def timestamp(value: object, name: str) -> datetime:
    """RFC 3339 / ISO 8601 ('2025-08-01T00:00:00Z', '+00:00', naive = UTC) or a bare date."""
    if not isinstance(value, str) or not value.strip():
        raise RowError(f"{name}: expected a date or time, got {value!r}")
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(day(text, name), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise RowError(f"{name}: expected a date or time, got {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def day(text: object, name: str) -> date:
    """A 'YYYY-MM-DD' day (also the first 10 characters of an ISO time)."""
    if not isinstance(text, str):
        raise RowError(f"{name}: expected a date, got {text!r}")
    try:
        return _day(text.strip()[:10])
    except ValueError:
        raise RowError(f"{name}: expected a date YYYY-MM-DD, got {text!r}") from None


@lru_cache(maxsize=4096)
def day_span(when: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) UTC of a day."""
    start = datetime(when.year, when.month, when.day, tzinfo=UTC)
    return start, start + DAY


def text_or_none(value: object) -> str | None:
    """A non-blank identifier as text, else None."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
