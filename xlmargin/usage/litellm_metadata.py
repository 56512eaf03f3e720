"""Keys pulled out of LiteLLM's ``metadata`` JSON text by pyarrow, as the row reader
(``litellm``) pulls them with Python's ``re``: the patterns spelled for RE2, and a search that
looks at a key's first occurrence before it reads a whole text (see ``first_match``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class RowReaderNeededError(Exception):
    """Something in the file only the row reader handles exactly."""


def check(values: pa.Array) -> None:
    """Every value true, or the row reader reads the file."""
    import pyarrow.compute as pc

    if not pc.all(values).as_py():
        raise RowReaderNeededError


@dataclass
class SearchState:
    """What one batch's search learns for the next."""

    distinct_metadata: bool = True
    """Whether metadata texts repeat enough to search each distinct one once."""
    rare_keys: dict[str, bool] = field(default_factory=dict)
    """{metadata key: missing from most texts of the last batch}."""


# Python's \s (str.isspace) spelled out for RE2, whose \s is ASCII-only.
PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
            "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_S = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]*"
# The row reader's string pattern (litellm._string_key) with the same \s.
STRING = '"{name}"' + _S + ":" + _S + '"(?P<v>(?:[^"\\\\]|\\\\.)*)"'
# Its int pattern takes Python's \d+, which also matches non-ASCII digits: take ASCII digits plus
# the first non-ASCII character, if any, so a match the two could disagree on is seen and sent
# back to the row reader (see digits).
INT = '"{name}"' + _S + ":" + _S + "(?P<v>[0-9]+[^\\x00-\\x7f]?|[^\\x00-\\x7f])"
# What follows the key's quoted name in each pattern, anchored, and how many bytes after the
# name it is tried on (see first_match): a string up to its closing quote; a count of 1 to 12
# ASCII digits, with the character after them, which must be ASCII (a non-ASCII one is Python's
# \d or the int pattern's catch) and no digit (more digits: a window too short).
STRING_WINDOW = 64
INT_WINDOW = 24
TAILS = {
    STRING: "^" + _S + ":" + _S + '"(?P<v>(?:[^"\\\\]|\\\\.)*)"',
    INT: "^" + _S + ":" + _S + "(?P<v>[0-9]{1,12})[\\x00-\\x2f\\x3a-\\x7f]",
}


def digits(found: pa.Array) -> pa.Array:
    """The first match of an int key as int64, null where none; non-ASCII digits (Python's
    \\d) or more than 12 digits go back to the row reader."""
    import pyarrow as pa
    import pyarrow.compute as pc

    check(pc.fill_null(pc.match_substring_regex(found, r"^[0-9]{1,12}$"), True))
    return pc.cast(found, pa.int64())


class Metadata:
    """A batch's metadata texts, searched for keys. A file whose texts repeat (one per key, say)
    is searched once per distinct text of a batch; one whose texts differ row by row (a usage
    object in each) is searched row by row, without the cost of finding the repeats."""

    def __init__(self, texts: pa.Array, totals: SearchState) -> None:
        import pyarrow.compute as pc

        self.which: pa.Array | None = None
        self.texts = texts
        self.totals = totals
        self.absent: set[str] = set()
        if totals.distinct_metadata:
            encoded = pc.dictionary_encode(texts)
            self.texts, self.which = encoded.dictionary, encoded.indices
            totals.distinct_metadata = len(self.texts) <= len(texts) // 4

    def look_for(self, names: tuple[str, ...]) -> None:
        """Keys that were all missing from most texts of the last batch are looked for
        together, in one pass: in a file without them (OpenAI usage has no cache writes)
        that pass is all their searches cost."""
        import pyarrow.compute as pc

        if all(self.totals.rare_keys.get(name, True) for name in names):
            either = "(?:" + "|".join(map(re.escape, names)) + ')"'
            if not pc.any(pc.match_substring_regex(self.texts, either)).as_py():
                self.absent.update(names)

    def first(self, name: str, pattern: str, only: pa.Array | None = None) -> pa.Array:
        """The pattern's group first matched in each text, searched in the texts selected by
        ``only``: a string (null where none), or for ``INT`` a count (0 where none). A key
        that was missing from most texts of the last batch is first looked for as plain text
        (much faster than the pattern) and the pattern run only where it is."""
        import pyarrow as pa
        import pyarrow.compute as pc

        kind = pa.int64() if pattern == INT else pa.string()
        if name in self.absent:
            found = pa.nulls(len(self.texts), kind)
            return found.fill_null(0) if pattern == INT else found
        where = only
        if self.totals.rare_keys.get(name, True):
            # Without its opening quote the key is found several times faster (RE2 skips
            # ahead to a rarer first byte); the pattern still needs the quote.
            holding = pc.match_substring_regex(self.texts, f'{name}"')
            where = holding if where is None else pc.and_(holding, where)
        hits = len(self.texts) if where is None else pc.sum(where).as_py() or 0
        if hits == len(self.texts):
            found = first_match(self.texts, name, pattern)
        elif not hits:
            found = pa.nulls(len(self.texts), kind)
        else:
            found = pc.replace_with_mask(pa.nulls(len(self.texts), kind), where,
                                         first_match(pc.filter(self.texts, where), name,
                                                      pattern))
        self.totals.rare_keys[name] = 2 * (len(found) - found.null_count) < len(found)
        return pc.fill_null(found, 0) if pattern == INT else found

    def per_row(self, values: pa.Array) -> pa.Array:
        import pyarrow.compute as pc

        return values if self.which is None else pc.take(values, self.which)


def first_match(texts: pa.Array, name: str, pattern: str) -> pa.Array:
    """The group of the pattern's first match in each text, null where none (for ``INT``,
    read by ``_digits``): what ``extract_regex`` over the whole texts gives, for much less work
    where the texts differ (a million metadata texts that each hold a request id and a usage
    object).

    Every match begins with the key's quoted name, so the first match, if any, is the one at
    the name's first occurrence (found by a plain split) or a later one. The pattern's tail
    (``TAILS``) is tried, anchored, on the few bytes after that occurrence; those windows
    repeat (an alias and what follows it; a count), so it runs once per distinct window.
    Where it matches inside the window, that match is the first match and its group the
    same: a string's closing quote, or a count's digits followed by an ASCII non-digit,
    end the match within the window whatever the text holds after it. Anywhere else (no
    match at the first occurrence, a value longer than the window, non-ASCII after the
    digits) the row is searched whole with the full pattern, as before."""
    import pyarrow as pa
    import pyarrow.compute as pc

    window, tail = STRING_WINDOW if pattern == STRING else INT_WINDOW, TAILS[pattern]
    pieces = pc.split_pattern(texts, f'"{name}"', max_splits=1)
    holding = pc.equal(pc.list_value_length(pieces), 2)  # before and after the name: it occurs
    held = pc.sum(holding).as_py() or 0
    kind = pa.int64() if pattern == INT else pa.string()
    if not held:
        return pa.nulls(len(texts), kind)
    # A window may end inside a UTF-8 sequence: seen as string, its bytes only meet the tail
    # pattern, which matches whole characters before it or not at all.
    after = pc.take(pc.binary_slice(pieces.values.view(pa.binary()), 0, window),
                    pc.filter(pc.add(pieces.offsets[:-1], 1), holding))
    distinct = pc.dictionary_encode(after)
    values = pc.struct_field(pc.extract_regex(distinct.dictionary.view(pa.string()), tail), [0])
    if pattern == INT:
        values = pc.cast(values, pa.int64())  # 1 to 12 ASCII digits
    found = pc.take(values, distinct.indices)
    if found.null_count:
        unsettled = pc.is_null(found)
        rows = pc.filter(pc.indices_nonzero(holding), unsettled)
        regex = pattern.replace("{name}", name)
        whole = pc.struct_field(pc.extract_regex(pc.take(texts, rows), regex), [0])
        found = pc.replace_with_mask(found, unsettled,
                                     digits(whole) if pattern == INT else whole)
    if held == len(texts):
        return found
    return pc.replace_with_mask(pa.nulls(len(texts), kind), holding, found)


def found_text(value: str | None) -> str | None:
    """litellm._found on the text RE2 matched."""
    if value is None:
        return None
    if "\\" not in value:
        return value or None
    try:
        return json.loads(f'"{value}"')  # type: ignore[no-any-return]
    except ValueError:
        raise RowReaderNeededError from None  # the row reader stops here: let it say so


