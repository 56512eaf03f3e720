"""The SQL that sums LiteLLM's ``LiteLLM_SpendLogs`` table inside PostgreSQL, to the same values
``import-usage`` reads from a CSV dump of the same rows (``litellm.read_csv``).

The metadata keys are read with jsonb's operators where LiteLLM writes them: the key alias, team
alias and project at the top of ``metadata``, the cache counts in its ``usage_object``
(``prompt_tokens_details.cached_tokens``, else ``cache_read_input_tokens``;
``cache_creation_input_tokens``), as the ``/spend/logs`` JSON reader reads them. The CSV row
reader finds the same keys by searching the dump's text for their first occurrence; for the
metadata LiteLLM writes, where each key is in its one place, that is the same value. (A text
search of every row, the CSV's way, costs PostgreSQL ten times the rest of the query.) A string
value is handed over as its JSON text, which a dump holds, so Python cleans it as the row
reader does. Spend is summed as ``spend::text::numeric``: the shortest text that reads back as
the same double, as a dump writes it, summed exactly (``spend::numeric`` would keep only 15
digits). The tags are ``request_tags::text``, read by ``litellm.tags_of``. What the row reader
does per distinct value (strip a cell, decode a JSON escape) is done in Python on the grouped
rows, once per group.

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
WORK_MEM = "64MB"
"""At least this much memory for the grouping: with the default 4MB, PostgreSQL sorts the rows
(on disk) to group them rather than hash them; the hash is some 25% faster on a million rows."""
_CACHE_PATHS = {"first_cached": ("prompt_tokens_details", "cached_tokens"),
                "cache_read": ("cache_read_input_tokens",),
                "writes": ("cache_creation_input_tokens",)}
"""Where in ``metadata.usage_object`` LiteLLM writes each cache count."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _string(value: str) -> str:
    """A jsonb value's JSON text where it is a string (the text a dump holds), else NULL."""
    return f"CASE WHEN jsonb_typeof({value}) = 'string' THEN ({value})::text END"


def _path(value: str, keys: tuple[str, ...]) -> str:
    return f"{value} #> {_literal('{' + ','.join(keys) + '}')}"


def _number(value: str) -> str:
    """A jsonb value as numeric where it is a number, else NULL."""
    return f"CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::numeric END"


def _count(number: str) -> str:
    """A number (or NULL) as a count: 0 where there is none, NULL (a problem) where it is no
    count (negative, fractional, over MAX_COUNT)."""
    return (f"CASE WHEN {number} IS NULL THEN 0 WHEN {number} BETWEEN 0 AND {MAX_COUNT}"
            f" AND {number} = trunc({number}) THEN {number}::bigint END")


def identifiers(by: str) -> tuple[str, ...]:
    """The names of the identifier columns the query groups by for ``by``, in order: table
    columns, then metadata keys (as ``litellm_reading.IDENTIFIERS``)."""
    csv_ids, meta_ids = IDENTIFIERS[by]
    return (*csv_ids, *meta_ids)


def metadata_keys(by: str) -> tuple[str, ...]:
    """The identifiers of ``by`` that are metadata keys, handed over as JSON text."""
    return IDENTIFIERS[by][1]


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
    metadata = f"({column('metadata')})::jsonb"
    # OFFSET 0 keeps each level a subquery of its own: pulled up into the one above, each
    # lookup would be made again for every use of its value.
    logs = (f"SELECT request_id, {column('startTime')}::date AS day, {column('model')} AS model,"
            f" coalesce({column('prompt_tokens')}, 0) AS prompt,"
            f" coalesce({column('completion_tokens')}, 0) AS completion,"
            f" {column('spend')} AS spend"
            + "".join(f", {column(name, '::text' if name == 'request_tags' else '')}"
                      f" AS {_quoted(name)}" for name in csv_ids)
            + "".join(f", {metadata} -> {_literal(name)} AS {_quoted(name)}"
                      for name in meta_ids)
            + "".join(f", {_path(metadata, ('usage_object', *path))} AS {name}"
                      for name, path in _CACHE_PATHS.items())
            + f" FROM {table}{where} OFFSET 0")
    typed = ("SELECT request_id, day, model, prompt, completion, spend"
             + "".join(f", {_quoted(name)}" for name in csv_ids)
             + "".join(f", {_string(_quoted(name))} AS {_quoted(name)}" for name in meta_ids)
             + "".join(f", {_number(name)} AS {name}" for name in _CACHE_PATHS)
             + f" FROM ({logs}) AS logs OFFSET 0")
    counts = (f"SELECT request_id, day, model, prompt, completion, spend, {ids}"
              + "".join(f", {_count(name)} AS {name}" for name in _CACHE_PATHS)
              + f" FROM ({typed}) AS typed OFFSET 0")
    # The row reader takes cached_tokens, or cache_read_input_tokens where that is 0 (NULL,
    # no count, stays NULL: a problem).
    cached = ("SELECT *, CASE WHEN first_cached = 0 THEN cache_read ELSE first_cached END "
              f"AS cached FROM ({counts}) AS counts")
    tokens = "prompt + completion + cached + writes"
    problem = ("CASE WHEN day IS NULL THEN 'startTime: no time'"
               " WHEN cached IS NULL OR writes IS NULL THEN 'metadata.usage_object: a cache "
               "count that is negative, fractional or over 10**15'"
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
    """The one GROUP BY: ``day, model, kind, problem``, the identifiers of ``by``, then the
    row count and the sums of prompt, cached, writes, completion and spend.
    ``without_known``: leave out the rows whose request ids are in ``%(known)s`` (read one by
    one instead: see ``litellm_postgres``)."""
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
