"""The SQL that sums LiteLLM's ``LiteLLM_SpendLogs`` table inside PostgreSQL, to the same values
``import-usage`` reads from a CSV dump of the same rows (``litellm.read_csv``).

A CSV dump of the table holds each ``jsonb`` column as its text (``metadata::text``) and each
``double precision`` spend as its shortest exact text. So the query reads them the same way: the
metadata keys are pulled out of ``metadata::text`` with the row reader's patterns (PostgreSQL's
regular expressions here, Python's ``re`` there; for these patterns the two match the same
text), spend is summed as ``spend::text::numeric`` (exact, as the row reader's Decimals are, where
``spend::numeric`` would keep only 15 digits), the tags are ``request_tags::text``, read by
``litellm.tags_of``. What the row reader does per distinct value (strip a cell, decode a JSON
escape) is done in Python on the grouped rows, once per group.

Rows the row reader would call malformed (a negative count, spend NaN, infinite or of 15 digits
or more before the point, a cache count over ``record.MAX_COUNT``) are grouped apart by their
``problem``, their sums never used: the import counts and lists them.

One statement, one ``GROUP BY`` over the identifiers ``--by`` attributes on, the model, the day,
the kind of spend (none, an amount, 0 beside tokens: ``litellm_arrow``'s kinds) and the
problem: no row reaches Python."""

from __future__ import annotations

from xlmargin.usage.litellm_reading import IDENTIFIERS
from xlmargin.usage.record import MAX_COUNT

TABLE = "LiteLLM_SpendLogs"
COLUMNS = ("request_id", "api_key", "spend", "prompt_tokens", "completion_tokens", "startTime",
           "model", "user", "metadata", "request_tags", "team_id", "end_user")
"""The table's columns the query reads (LiteLLM's names; ``startTime`` is quoted camelCase)."""
MEASURES = ("rows", "prompt", "cached", "writes", "completion", "spend")
"""What each grouped row ends with, after ``day, model, kind, problem`` and the identifiers."""

# The row reader's patterns (litellm._string_key, litellm._int_key) in PostgreSQL's syntax: a
# string key's raw JSON text up to its closing quote, an int key's digits.
_STRING = '"{name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"'
_INT = '"{name}"\\s*:\\s*([0-9]+)'
# What follows the key's name in each, anchored, tried on the few characters after the name's
# first occurrence (see _found): a string up to its closing quote; digits and the character
# after them, which must be no digit (more digits: a window too short).
_TAILS = {_STRING: ('^\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"', 64),
          _INT: ("^\\s*:\\s*([0-9]+)[^0-9]", 24)}
_CACHE_KEYS = ("cached_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _found(name: str, pattern: str) -> str:
    """The group of the pattern's first match in the metadata text, NULL where none; as
    ``litellm_metadata.first_match`` finds it, for a fraction of a search of the whole text.
    Every match starts with the key's quoted name, so the first match, if any, is at the
    name's first occurrence (found by strpos, a plain search) or a later one. The pattern's
    tail is tried on the few characters after that occurrence: where it matches there, that
    is the first match (a string's closing quote, or a non-digit after the digits, ends it
    within the window). Anywhere else (no key, a value longer than the window, no match at
    the first occurrence) the whole text is searched with the full pattern."""
    key = _literal(f'"{name}"')
    tail, window = _TAILS[pattern]
    after = f"substr(m, strpos(m, {key}) + {len(name) + 2}, {window})"
    full = f"substring(m FROM {_literal(pattern.format(name=name))})"
    tried = f"substring({after} FROM {_literal(tail)})"
    return f"CASE WHEN strpos(m, {key}) > 0 THEN coalesce({tried}, {full}) END"


def _count(text: str) -> str:
    """A key's digits as a count: 0 where the key is not there, NULL (a problem) over
    MAX_COUNT."""
    return (f"CASE WHEN {text} IS NULL THEN 0 WHEN length({text}) <= 15 THEN {text}::bigint "
            f"WHEN {text}::numeric <= {MAX_COUNT} THEN {text}::numeric::bigint END")


def identifiers(by: str) -> tuple[str, ...]:
    """The names of the identifier columns the query groups by for ``by``, in order: CSV
    columns, then metadata keys (as ``litellm_reading.IDENTIFIERS``)."""
    csv_ids, meta_ids = IDENTIFIERS[by]
    return (*csv_ids, *meta_ids)


def _names(by: str) -> str:
    return ", ".join(map(_quoted, identifiers(by)))


def rows_query(by: str, present: set[str], table: str, only: str = "") -> str:
    """A derived table of one row per spend log, with what the sums need: ``request_id, day,
    model, kind, problem``, the identifiers of ``by``, then ``prompt`` (with the cache counts
    added where a provider reports them apart, as the row reader does), ``cached, writes,
    completion, spend``. Columns missing from an older LiteLLM's table read as blank, as
    absent CSV columns do. ``only``: "known" for the rows whose request ids are in the text
    array parameter ``%(known)s``, "unknown" for the others, "" for all."""
    def column(name: str, cast: str = "") -> str:
        return f"{_quoted(name)}{cast}" if name in present else "NULL"

    csv_ids, meta_ids = IDENTIFIERS[by]
    ids = _names(by)
    known = "SELECT unnest(%(known)s::text[])"
    where = {"": "", "known": f" WHERE request_id IN ({known})",
             "unknown": f" WHERE request_id NOT IN ({known})"}[only]
    # OFFSET 0 keeps each level a subquery of its own: pulled up into the one above, the
    # metadata text and its pattern searches would be computed again for every use.
    logs = (f"SELECT request_id, {column('startTime')}::date AS day, {column('model')} AS model,"
            f" coalesce({column('prompt_tokens')}, 0) AS prompt,"
            f" coalesce({column('completion_tokens')}, 0) AS completion,"
            f" {column('spend')} AS spend, {column('metadata', '::text')} AS m"
            + "".join(f", {column(name, '::text' if name == 'request_tags' else '')}"
                      f" AS {_quoted(name)}" for name in csv_ids)
            + f" FROM {table}{where} OFFSET 0")
    found = ("SELECT request_id, day, model, prompt, completion, spend, "
             + ", ".join([*map(_quoted, csv_ids),
                          *(f"{_found(name, _STRING)} AS {_quoted(name)}" for name in meta_ids),
                          *(f"{_found(name, _INT)} AS {name}" for name in _CACHE_KEYS)])
             + f" FROM ({logs}) AS logs OFFSET 0")
    counts = (f"SELECT request_id, day, model, prompt, completion, spend, {ids}, "
              f"{_count('cached_tokens')} AS first_cached, "
              f"{_count('cache_read_input_tokens')} AS cache_read, "
              f"{_count('cache_creation_input_tokens')} AS writes FROM ({found}) AS found"
              " OFFSET 0")
    # The row reader takes cached_tokens, or cache_read_input_tokens where that is 0 (NULL,
    # a count over MAX_COUNT, stays NULL: a problem).
    cached = ("SELECT *, CASE WHEN first_cached = 0 THEN cache_read ELSE first_cached END "
              f"AS cached FROM ({counts}) AS counts")
    tokens = "prompt + completion + cached + writes"
    problem = ("CASE WHEN day IS NULL THEN 'startTime: no time'"
               " WHEN cached IS NULL THEN 'metadata: a cache count over 10**15'"
               " WHEN writes IS NULL THEN 'metadata.cache_creation_input_tokens: count over "
               "10**15'"
               " WHEN prompt < 0 THEN 'prompt_tokens: negative count'"
               " WHEN completion < 0 THEN 'completion_tokens: negative count'"
               " WHEN NOT abs(spend) < 1e15 THEN 'spend: not a finite amount under 10**15'"
               " END")
    return (f"SELECT request_id, day, model,"
            f" CASE WHEN spend IS NULL THEN 0 WHEN spend = 0 AND {tokens} > 0 THEN 2 ELSE 1 END"
            f" AS kind, {problem} AS problem, {ids},"
            " CASE WHEN cached + writes > prompt THEN prompt + cached + writes ELSE prompt END"
            " AS prompt, cached, writes, completion,"
            " CASE WHEN abs(spend) < 1e15 THEN spend::text::numeric END AS spend"
            f" FROM ({cached}) AS cached")


def grouped_query(by: str, present: set[str], table: str = _quoted(TABLE),
                  without_known: bool = False) -> str:
    """The one GROUP BY: ``day, model, kind, problem``, the identifiers of ``by``, then
    MEASURES. ``without_known``: leave out the rows whose request ids are in ``%(known)s``
    (read one by one instead: see ``litellm_postgres``)."""
    ids = _names(by)
    rows = rows_query(by, present, table, "unknown" if without_known else "")
    return (f"SELECT day, model, kind, problem, {ids}, count(*), sum(prompt), sum(cached),"
            f" sum(writes), sum(completion), sum(spend) FROM ({rows}) AS spend_logs"
            f" GROUP BY day, model, kind, problem, {ids}")


def known_query(by: str, present: set[str], table: str = _quoted(TABLE)) -> str:
    """The rows whose request ids are in ``%(known)s``, one by one: ``request_id`` then the
    columns of ``rows_query``."""
    return f"SELECT * FROM ({rows_query(by, present, table, 'known')}) AS spend_logs"


def problems_query(by: str, present: set[str], table: str = _quoted(TABLE),
                   limit: int = 20) -> str:
    """The first ``limit`` malformed rows: request id and problem."""
    return (f"SELECT request_id, problem FROM ({rows_query(by, present, table)}) AS spend_logs"
            f" WHERE problem IS NOT NULL ORDER BY day NULLS FIRST, request_id LIMIT {limit}")
