"""Attribute, price and sum the records of one or more exports: the result
``xlmargin import-usage`` prints and writes to a workbook. Every record passes the ``dedup``
ledger first, so usage that two exports (or one, twice) hold is counted once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from xlmargin.errors import InputError
from xlmargin.usage import detect, litellm, litellm_arrow, litellm_postgres
from xlmargin.usage.actuals import Actuals, FileCounts, Totals, Unpriced
from xlmargin.usage.clients import UNATTRIBUTED, attributor, load_map
from xlmargin.usage.dedup import Ledger
from xlmargin.usage.drift import SOURCES as COMPARED
from xlmargin.usage.drift import DriftSums
from xlmargin.usage.pricing import Pricer
from xlmargin.usage.record import Malformed, Note, Skipped, UsageRecord

__all__ = ["NO_MODEL", "NO_USAGE", "Actuals", "Totals", "import_usage"]

NO_MODEL = "(no model: export not grouped by model)"
LISTED_PROBLEMS = 20
NO_USAGE = "no usage in the files"
BILLED_SOURCES = {"openai-costs", "openai-costs-csv", "anthropic-cost", "anthropic-cost-csv"}
ZERO_IS_UNPRICED = {litellm.JSON, litellm.CSV, litellm_postgres.FORMAT}
"""Sources whose amount is a gateway's own estimate, logged as 0 when the gateway has no price
for the model: a 0 beside tokens is no cost known, so the tokens are priced as usage is."""


def import_usage(files: Sequence[str | Path], *, by: str = "api_key",
                 clients_file: str | Path | None = None, forced: str | None = None,
                 pricer: Pricer | None = None) -> Actuals:
    """Read every file, attribute each record to a client, price token usage, sum.

    Raises InputError for an unreadable or unknown file, a bad client map, or mixed
    currencies; malformed rows are counted, listed in the warnings and left out; duplicates
    are counted once and said."""
    state = _State()
    mapping = load_map(clients_file, notify=state.notes.append) if clients_file else None
    attribute = attributor(by, mapping)
    databases = [str(f) for f in files if litellm_postgres.is_url(f)]
    paths, listed = expand([f for f in files if not litellm_postgres.is_url(f)], state.notes)
    if not paths and not databases:
        raise InputError(", ".join(map(str, files)), "no file to read: " + "; ".join(state.notes))
    repeats = _repeats(paths)
    sources: list[tuple[str, Path, str, Iterable[detect.Item]]] = []
    passed_over: dict[Path, list[str]] = {}
    for i, p in enumerate(paths):
        if i in repeats:
            continue
        try:
            sources.append((str(p), p, *detect.read(p, forced)))
        except detect.UnknownFormatError:
            if p not in listed:
                raise
            passed_over.setdefault(p.parent, []).append(p.name)
    for folder, names in passed_over.items():
        state.notes.append(f"{folder}: not read, not usage exports xlmargin knows (give one "
                           f"by itself to see why): {', '.join(names)}")
    if not sources and listed:
        raise InputError(", ".join(str(f) for f in files), "no usage export xlmargin knows in "
                         "the folder(s)")
    result = Actuals(None, None, {}, {}, [], {file: name for file, _p, name, _ in sources})
    state.attribute, state.pricer, state.result = attribute, pricer or Pricer(), result
    ledger = Ledger()
    for file, path, name, items in sources:
        result.files[file] = FileCounts(name)
        if name == litellm.CSV:
            # Millions of rows: summed by pyarrow unless the file needs the row reader.
            grouped = litellm_arrow.summed(path, by, ledger.index)
            if grouped is not None:
                items = iter(grouped)
        _consume(items, file, ledger, state)
    for url in databases:  # last: the files' LiteLLM request ids are known (litellm_postgres)
        where = litellm_postgres.shown(url)
        if where in result.files:
            state.repeated.append(f"{where} is given twice: read once")
            continue
        result.files[where] = FileCounts(litellm_postgres.FORMAT)
        result.formats[where] = litellm_postgres.FORMAT
        _consume(litellm_postgres.read(url, by, litellm_postgres.known_request_ids(ledger)),
                 where, ledger, state)
    # Buckets are merged, and requests a summed file may hold settled, once all are read.
    for record, file in ledger.settled():
        result.files[file].records += record.rows
        _add(record, state)
    for i, j in sorted(repeats.items()):
        first, again = str(paths[j]), str(paths[i])
        counts = FileCounts(result.files[first].format, same_as=first,
                            duplicates=result.files[first].records)
        result.files.setdefault(again, counts)
        ledger.dropped[again] = ledger.dropped.get(again, 0) + counts.duplicates
        state.repeated.append(f"{again} is given twice: read once" if again == first else
                              f"{again} holds the same bytes as {first}: read once")
    for file, n in ledger.dropped.items():
        result.files[file].duplicates = n
    for file, n in ledger.superseded.items():
        result.files[file].replaced = n
    result.conflicts = ledger.conflicts
    result.drift = state.drift.rows()
    _finish(result, state, ledger)
    return result


def expand(files: Sequence[str | Path], notes: list[str]) -> tuple[list[Path], set[Path]]:
    """(the files to read, those of them found in a folder): each folder given becomes its
    files, sorted by name, hidden ones left out. A folder's subfolders are not read (said in
    ``notes``): a pull keeps billed costs in one, apart from the token usage."""
    paths: list[Path] = []
    listed: set[Path] = set()
    for entry in map(Path, files):
        if not entry.is_dir():
            paths.append(entry)
            continue
        inside = sorted(p for p in entry.iterdir() if not p.name.startswith("."))
        found = [p for p in inside if p.is_file()]
        paths.extend(found)
        listed.update(found)
        folders = [p.name for p in inside if p.is_dir()]
        if folders:
            notes.append(f"{entry}: its subfolder(s) {', '.join(folders)} not read (give "
                         "them by name to read them)")
        if not found and not folders:
            raise InputError(str(entry), "an empty folder: no usage export to read")
    return paths, listed


def _repeats(paths: list[Path]) -> dict[int, int]:
    """{index: index of the earlier path} for each file given before, by name or by content
    (a copy, or a page saved twice): read once, not deduplicated record by record."""
    found: dict[int, int] = {}
    seen: dict[tuple[int, int] | str, int] = {}
    digests: dict[int, bytes] = {}

    def digest(i: int) -> bytes:
        if i not in digests:
            with open(paths[i], "rb") as handle:
                digests[i] = hashlib.file_digest(handle, "blake2b").digest()
        return digests[i]

    sizes: dict[int, list[int]] = {}
    for i, path in enumerate(paths):
        if not path.is_file():
            continue  # detect.read says so
        stat = path.stat()
        same = seen.get((stat.st_dev, stat.st_ino))
        if same is None:
            same = next((j for j in sizes.get(stat.st_size, []) if digest(j) == digest(i)),
                        None)
        if same is not None:
            found[i] = same
            continue
        seen[(stat.st_dev, stat.st_ino)] = i
        sizes.setdefault(stat.st_size, []).append(i)
    return found


@dataclass
class _State:
    result: Actuals | None = None
    attribute: Callable[[UsageRecord], str] | None = None
    pricer: Pricer | None = None
    currency: tuple[str, str] | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    assumed_batch: set[str] = field(default_factory=set)
    billed: bool = False
    tokens_priced: bool = False
    unattributed_records: int = 0
    records: int = 0
    zero_spend: dict[str, int] = field(default_factory=dict)
    """{model: rows} of ZERO_IS_UNPRICED records whose 0 amount was set aside."""
    drift: DriftSums = field(default_factory=DriftSums)


def _consume(items: Iterable[UsageRecord | Malformed | Skipped | Note], file: str,
             ledger: Ledger, state: _State) -> None:
    result = state.result
    assert result is not None
    counts = result.files[file]
    start, end = result.start, result.end
    for item in items:
        if type(item) is not UsageRecord:
            if isinstance(item, Malformed):
                result.malformed += 1
                counts.malformed += 1
                if len(state.problems) < LISTED_PROBLEMS:
                    state.problems.append(f"{item.where}: {item.problem}")
            elif isinstance(item, Skipped):
                state.skipped[item.kind] = state.skipped.get(item.kind, 0) + 1
                counts.skipped += 1
            elif isinstance(item, Note):
                state.notes.append(item.text)
            continue
        record: UsageRecord = item  # type: ignore[assignment]
        # A duplicate still says the file covers its period.
        if start is None or record.start < start:
            start = record.start
        if end is None or record.end > end:
            end = record.end
        if record.identity is not None and not ledger.admit(record, file):
            continue  # a duplicate, or held until every file is read
        counts.records += record.rows
        _add(record, state)
    result.start, result.end = start, end


def _add(record: UsageRecord, state: _State) -> None:
    """Attribute one record to its client and add its tokens and cost."""
    if record.empty:
        if record.source in COMPARED:
            state.drift.add(record, None)
        return
    result, pricer = state.result, state.pricer
    assert result is not None and pricer is not None and state.attribute is not None
    state.records += record.rows
    client = state.attribute(record)
    totals = result.clients.get(client)
    if totals is None:
        totals = result.clients[client] = Totals()
    if client == UNATTRIBUTED:
        state.unattributed_records += record.rows
    cost = _cost(record, state)
    totals.add_record(record, cost)
    if record.source in COMPARED:
        state.drift.add(record, cost)


def _cost(record: UsageRecord, state: _State) -> Decimal | None:
    """The record's billed amount, or its tokens priced; None when it has neither."""
    result, pricer = state.result, state.pricer
    assert result is not None and pricer is not None
    cost = record.cost_usd
    if cost is not None:
        currency = record.currency or "USD"
        if state.currency is None:
            state.currency = (currency, record.where)
        elif currency != state.currency[0]:
            raise InputError(record.where, f"amount in {currency}, but "
                             f"{state.currency[1]} is in {state.currency[0]}: mixed "
                             "currencies are refused, not summed; convert to one currency")
        if not cost and record.source in ZERO_IS_UNPRICED \
                and (record.input_tokens or record.output_tokens):
            # LiteLLM's 0 for a model it cannot price: no bill of $0, priced below
            name = record.model or NO_MODEL
            state.zero_spend[name] = state.zero_spend.get(name, 0) + record.rows
        else:
            if record.source in BILLED_SOURCES:
                state.billed = True
            return cost
    if not (record.input_tokens or record.output_tokens):
        return None
    model = record.model
    prices = pricer.price(model, record.start.date(), record.batch) if model else None
    if prices is None:
        entry = result.unpriced.setdefault(model or NO_MODEL, Unpriced())
        entry.input_tokens += record.input_tokens
        entry.output_tokens += record.output_tokens
        return None
    state.tokens_priced = True
    if prices.batch_price_assumed:
        state.assumed_batch.add(prices.model)
    return prices.cost(record.input_tokens, record.cached_input_tokens,
                       record.cache_write_tokens, record.cache_write_1h_tokens,
                       record.output_tokens)


def _finish(result: Actuals, state: _State, ledger: Ledger) -> None:
    warnings = result.warnings
    if state.currency is not None and state.currency[0] != "USD":
        raise InputError(state.currency[1], f"amounts are in {state.currency[0]}; xlmargin "
                                            "reports USD: convert the export first")
    warnings.extend(state.notes)
    warnings.extend(state.repeated)
    warnings.extend(ledger.warnings(list(result.files)))
    if result.malformed:
        more = result.malformed - len(state.problems)
        warnings.append(f"{result.malformed} malformed row(s) left out"
                        + (f" ({more} more not listed)" if more > 0 else ""))
        warnings.extend(state.problems)
    for kind, n in sorted(state.skipped.items()):
        warnings.append(f"{n} {kind} result(s) skipped: not per-token usage")
    for model, usage in sorted(result.unpriced.items()):
        warnings.append(f"{model}: no catalog price; {usage.input_tokens} input and "
                        f"{usage.output_tokens} output tokens are counted but not in any cost")
    if state.zero_spend:
        rows = sum(state.zero_spend.values())
        warnings.append(
            f"{rows} LiteLLM row(s) have tokens but spend 0 ("
            + ", ".join(f"{model}: {n}" for model, n in sorted(state.zero_spend.items()))
            + "): LiteLLM logs 0 for a model it cannot price, so their tokens are priced at "
            "the catalog price of their day, or listed as unpriced; a request LiteLLM answered "
            "from its own response cache also logs 0, and is priced here as if it was sent")
    for model in sorted(state.assumed_batch):
        warnings.append(f"{model}: batch usage before the catalog's batch price date; the "
                        "earliest known batch price was used")
    if state.unattributed_records:
        warnings.append(f"{state.unattributed_records} of {state.records} record(s) "
                        "unattributed: no mapped identifier")
    if state.billed and state.tokens_priced:
        warnings.append("billed cost exports and token usage were both given: if they cover "
                        "the same usage, the costs are counted twice"
                        + ("; the drift lines compare the two" if result.drift else ""))
    if result.start is None:
        warnings.append(NO_USAGE)
