"""LiteLLM's spend logs read at the source: ``import-usage postgresql://USER@HOST:PORT/DB`` sums
the proxy's ``LiteLLM_SpendLogs`` table inside PostgreSQL (``litellm_sql``: one GROUP BY, no
row into Python) to the records a CSV dump of the same rows gives, attributed the same ways.

The connection is libpq's (psycopg 3, the optional extra ``xlmargin[postgres]``, imported only
here): the URL as libpq reads it, the password from the URL, ``PGPASSWORD`` or ``~/.pgpass``
(``PGPASSFILE``), TLS and the rest from its parameters or the ``PG*`` variables. A Prisma URL's
``schema`` parameter (LiteLLM's ``DATABASE_URL``) names the table's schema. Everything is read
in one read-only, repeatable-read transaction: the groups, the malformed rows listed, the
requests other files hold, all from one snapshot. No password is ever printed: messages name
the URL without it (``shown``).

Deduplication: the database is one source of truth whose request ids are unique (its primary
key), so its rows are never compared one by one, and its grouped records have no identity. A
CSV or JSON export given with it may hold the same requests (a dump of this very table, or of
months the proxy has since deleted): the request ids of every LiteLLM file read before are sent
to the database, the rows holding them are left out of the sums and read one by one instead,
as request records for the ledger (``dedup``), which counts each request once (a duplicate of
the file's copy, or a conflict when the numbers differ). So a dump given with its database
counts nothing twice, and is said to be a duplicate, row by row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from xlmargin.errors import InputError
from xlmargin.usage import litellm, litellm_arrow, litellm_sql
from xlmargin.usage.litellm_metadata import RowReaderNeededError
from xlmargin.usage.record import Malformed, UsageRecord, day_span

if TYPE_CHECKING:
    from xlmargin.usage.dedup import Ledger

FORMAT = "litellm-postgres"
SCHEMES = ("postgresql://", "postgres://")
EXTRA = "pip install 'xlmargin[postgres]'"
LISTED = 20
NO_SPEND, SPENT, ZERO_SPEND = litellm_arrow.NO_SPEND, litellm_arrow.SPENT, litellm_arrow.ZERO_SPEND
STREAM_ROWS = 10_000
CONNECT_TIMEOUT = 15
"""Seconds to wait for the server, unless the URL or PGCONNECT_TIMEOUT says otherwise."""

_PASSWORD_IN_NETLOC = re.compile(r"^(?P<scheme>[a-z]+://)(?P<user>[^:@/?#]*):[^@/?#]*@",
                                 re.IGNORECASE)
_PASSWORD_PARAMETER = re.compile(r"(?P<name>[?&]password=)[^&#]*", re.IGNORECASE)


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.lower().startswith(SCHEMES)


def shown(url: str) -> str:
    """The URL as messages show it: without a password, in the user part or a parameter."""
    text = _PASSWORD_IN_NETLOC.sub(r"\g<scheme>\g<user>@", url)
    return _PASSWORD_PARAMETER.sub(r"\g<name>***", text)


def _secrets(url: str) -> list[str]:
    from urllib.parse import unquote

    found = []
    match = re.match(r"^[a-z]+://[^:@/?#]*:([^@/?#]*)@", url, re.IGNORECASE)
    if match and match.group(1):
        found += [match.group(1), unquote(match.group(1))]
    found += [unquote(m.group(1)) for m in re.finditer(r"[?&]password=([^&#]*)", url, re.I)]
    return [s for s in found if s]


def _prisma_schema(url: str) -> tuple[str, str | None]:
    """(the URL for libpq, the schema a Prisma URL's ``schema`` parameter names): libpq
    refuses parameters it does not know."""
    from urllib.parse import parse_qsl, urlencode

    base, mark, query = url.partition("?")
    if not mark:
        return url, None
    pairs = parse_qsl(query, keep_blank_values=True)
    schema = next((v for k, v in pairs if k == "schema"), None)
    kept = [(k, v) for k, v in pairs if k != "schema"]
    return (base + ("?" + urlencode(kept) if kept else "")), schema or None


def _psycopg(where: str) -> Any:
    try:
        import psycopg
    except ImportError:
        raise InputError(where, "reading LiteLLM's database needs the "
                         f"PostgreSQL driver psycopg: {EXTRA}") from None
    return psycopg


def _problem(error: Exception, url: str) -> str:
    """A driver's error as one line, without any password the URL holds."""
    text = " ".join(str(error).split()) or type(error).__name__
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    if "password" in text and ("no password supplied" in text or "authentication" in text):
        text += " (give the password in PGPASSWORD or ~/.pgpass)"
    return text


def connect(url: str) -> Any:
    """A psycopg connection whose transactions are read-only; InputError (one line, no
    password) when the server cannot be reached or refuses."""
    psycopg = _psycopg(shown(url))
    import os

    libpq_url, _schema = _prisma_schema(url)
    options: dict[str, Any] = {"application_name": "xlmargin import-usage",
                               "autocommit": True}
    try:
        given = psycopg.conninfo.conninfo_to_dict(libpq_url)
    except psycopg.Error as error:
        raise InputError(shown(url), f"not a PostgreSQL URL: {_problem(error, url)}") from None
    if "connect_timeout" not in given and not os.environ.get("PGCONNECT_TIMEOUT"):
        options["connect_timeout"] = CONNECT_TIMEOUT
    try:
        conn = psycopg.connect(libpq_url, **options)
    except psycopg.Error as error:
        raise InputError(shown(url), f"cannot connect: {_problem(error, url)}") from None
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def read(url: str, by: str, known: list[str] | None = None
         ) -> Iterator[UsageRecord | Malformed]:
    """The table's rows summed into records by ``by``'s identifiers, model, day and kind of
    spend, as ``litellm_arrow`` sums a CSV dump; rows whose request ids are in ``known`` (read
    from other files) one record each, with their identity. Malformed rows are counted, the
    first LISTED listed by request id."""
    where = shown(url)
    psycopg = _psycopg(where)
    _libpq_url, schema = _prisma_schema(url)
    with connect(url) as conn:
        try:
            yield from _read(conn, where, by, schema, sorted(set(known or ())))
        except psycopg.Error as error:
            raise InputError(where, _problem(error, url)) from None


def _read(conn: Any, where: str, by: str, schema: str | None, known: list[str]
          ) -> Iterator[UsageRecord | Malformed]:
    with conn.transaction(), conn.cursor() as cursor:
        table = litellm_sql.TABLE if schema is None else f"{schema}.{litellm_sql.TABLE}"
        quoted = ".".join('"' + part.replace('"', '""') + '"' for part in
                          ([schema] if schema else []) + [litellm_sql.TABLE])
        cursor.execute("SELECT to_regclass(%s)", (quoted,))
        relation = cursor.fetchone()[0]
        if relation is None:
            raise InputError(where, f"no {table} table: is this LiteLLM's database (and "
                                    "schema, given as ?schema=NAME)?")
        cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                       "AND attnum > 0 AND NOT attisdropped", (quoted,))
        present = {name for (name,) in cursor.fetchall()}
        if "startTime" not in present or "request_id" not in present:
            raise InputError(where, f"{table} has no startTime or request_id column: not "
                                    "LiteLLM's spend logs")
        # Spend as the shortest text that reads back as the same double, as a dump writes it.
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute("SELECT pg_size_bytes(current_setting('work_mem')) "
                       "< pg_size_bytes(%s)", (litellm_sql.WORK_MEM,))
        if cursor.fetchone()[0]:
            cursor.execute(f"SET LOCAL work_mem = '{litellm_sql.WORK_MEM}'")
        params = {"known": known} if known else None
        problems = 0
        groups = _stream(cursor, litellm_sql.grouped_query(by, present, quoted,
                                                          without_known=bool(known)), params)
        names = litellm_sql.identifiers(by)
        for row in groups:
            day, model, kind, problem = row[:4]
            raw = dict(zip(names, row[4:4 + len(names)], strict=True))
            rows, prompt, cached, writes, completion, spend = row[4 + len(names):]
            if problem is not None:
                problems += rows
                continue
            yield _record(where, by, day, model, kind, raw, rows, int(prompt), int(cached),
                          int(writes), int(completion), spend)
        if problems:
            cursor.execute(litellm_sql.problems_query(by, present, quoted, LISTED), params)
            listed = cursor.fetchall()
            for request_id, problem in listed:
                yield Malformed(f"{where}: request_id {request_id!r}", problem)
            for _ in range(problems - len(listed)):
                yield Malformed(where, "malformed row")
        if known:
            cursor.execute(litellm_sql.known_query(by, present, quoted), params)
            for row in cursor:
                yield from _request(where, by, names, row)


def _stream(cursor: Any, query: str, params: dict[str, Any] | None) -> Iterator[Any]:
    """The grouped rows as they come: in chunks of STREAM_ROWS where psycopg (3.2) and libpq
    (17) can, else one by one; never the whole result held at once."""
    import inspect

    import psycopg

    if psycopg.pq.version() >= 170000 and "size" in inspect.signature(cursor.stream).parameters:
        return cursor.stream(query, params, size=STREAM_ROWS)  # type: ignore[no-any-return]
    return cursor.stream(query, params)  # type: ignore[no-any-return]


def _request(where: str, by: str, names: tuple[str, ...], row: tuple[Any, ...]
             ) -> Iterator[UsageRecord | Malformed]:
    """One row a file also holds, as a request record for the ledger."""
    request_id, day, model, kind, problem = row[:5]
    raw = dict(zip(names, row[5:5 + len(names)], strict=True))
    prompt, cached, writes, completion, spend = row[5 + len(names):]
    if problem is not None:
        yield Malformed(f"{where}: request_id {request_id!r}", problem)
        return
    record = _record(where, by, day, model, kind, raw, 1, int(prompt), int(cached), int(writes),
                     int(completion), spend)
    yield replace(record, identity=litellm.identity_of(request_id))


def _record(where: str, by: str, day: date, model: str | None, kind: int,
            raw: dict[str, Any], rows: int, prompt: int, cached: int, writes: int,
            completion: int, spend: Decimal | None) -> UsageRecord:
    """A group as the row reader's records of its rows add up: cells stripped, metadata
    escapes decoded, blank as None."""
    start, end = day_span(day)
    # A metadata string comes as its JSON text, quotes and escapes as a dump holds them.
    values = {name: raw[name][1:-1] if name in litellm_sql.metadata_keys(by)
              and raw[name] is not None else raw[name] for name in raw}
    try:
        found = litellm_arrow.identifiers(by, {name: values.get(name) for name in (
            "api_key", "team_id", "end_user", "user", "request_tags", "user_api_key_alias",
            "user_api_key_team_alias", "user_api_key_project_alias",
            "user_api_key_project_id")})
    except RowReaderNeededError:  # jsonb's text has valid escapes only
        raise AssertionError("a JSON escape PostgreSQL wrote cannot be read") from None
    cost = None if kind == NO_SPEND else Decimal(0) if kind == ZERO_SPEND else spend
    return UsageRecord(
        source=FORMAT, where=where, start=start, end=end,
        model=(model or "").strip() or None, requests=rows, rows=rows, input_tokens=prompt,
        cached_input_tokens=cached, cache_write_tokens=writes, output_tokens=completion,
        cost_usd=cost, currency="USD", **litellm_arrow.named(by, found))


def known_request_ids(ledger: Ledger) -> list[str]:
    """The LiteLLM request ids of the files read so far: those the ledger holds, those it
    waits to settle, and those of the files the fast path summed (read again: it keeps only
    fingerprints)."""
    from xlmargin.usage.dedup import REQUEST

    found = set(ledger.requests)
    found.update(record.identity[2] for record, _ in ledger.pending
                 if record.identity is not None and record.identity[0] == REQUEST)
    for summed in ledger.index.summed:
        found.update(_request_ids(summed.path))
    return sorted(found)


def _request_ids(path: Any) -> list[str]:
    """A summed CSV dump's request ids, stripped, blanks left out, read by pyarrow (the fast
    path read the file, so pyarrow reads it)."""
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    from xlmargin.usage.litellm_reading import reading

    read = reading(path, "user")
    options, parse, convert = read.options
    column = read.columns["request_id"]
    convert = pcsv.ConvertOptions(include_columns=[column],
                                  column_types={column: convert.column_types[column]},
                                  strings_can_be_null=False)
    ids = pc.utf8_trim_whitespace(pcsv.read_csv(path, options, parse, convert).column(0))
    return [i for i in ids.to_pylist() if i]
