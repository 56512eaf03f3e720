"""The chargeback as a CSV of invoice lines a person pastes into a billing tool.

One row per client, then a total row, then unattributed usage (listed, not billed). Money is
a decimal with two places, the currency and the month are columns. Text that came from a user
(client names) and starts like a formula (= + - @, a tab or carriage return) is written with a
leading apostrophe, so a spreadsheet that opens the file shows it as text instead of running
it. UTF-8 with a byte-order mark, so Excel reads accented names as written. The file is written
to a temp file beside it, flushed and renamed: complete or absent.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from xlmargin.chargeback import AT_COST, CURRENCY, FIXED, MARKUP, Chargeback, Line
from xlmargin.errors import InputError

HEADER = ("month", "client", "description", "currency", "ai_cost", "markup", "markup_amount",
          "billable", "requests", "input_tokens", "cached_input_tokens", "output_tokens",
          "days_covered", "note")
TOTAL = "TOTAL"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """User text as a CSV cell no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{Decimal(str(value)) * 100:f}".rstrip("0").rstrip(".") + "%"


def description(line: Line, month: str, days: str) -> str:
    if line.basis == MARKUP:
        return f"AI usage {month}{days}: cost + {_share(line.markup)} markup"
    if line.basis == FIXED:
        return f"AI fee {month}{days}: fixed"
    if line.basis == AT_COST:
        return f"AI usage {month}{days}: at cost"
    return f"Unattributed AI usage {month}{days}: not billed"


def rows(result: Chargeback) -> Iterator[list[str]]:
    month = result.month
    days = f" ({result.days} days)" if result.partial else ""
    covered = str(result.days)

    def row(client: str, text: str, line_markup: str, cost: Decimal,
            markup_usd: Decimal | None, billable: Decimal | None, counts: dict[str, int],
            note: str) -> list[str]:
        return [month, text_cell(client), text_cell(text), CURRENCY, _amount(cost),
                line_markup, _amount(markup_usd), _amount(billable),
                *(str(counts[k]) for k in ("requests", "input_tokens", "cached_input_tokens",
                                           "output_tokens")),
                covered, text_cell(note)]

    for line in result.lines:
        yield row(line.client, description(line, month, days), _share(line.markup),
                  line.cost_usd, line.markup_usd, line.billable_usd, line.counts, line.note)
    total = result.total
    yield row(TOTAL, f"AI for {month}{days}: {len(result.lines)} client(s)", "",
              total["cost_usd"], total["markup_usd"], total["billable_usd"], total,
              "unattributed usage below is not in the total" if result.unattributed else "")
    if result.unattributed:
        line = result.unattributed
        yield row(line.client, description(line, month, days), "", line.cost_usd, None, None,
                  line.counts, line.note)


def csv_text(result: Chargeback) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(result))
    return out.getvalue()


def check_output(path: str | Path, force: bool) -> Path:
    """The -o file, refused before any work when it exists without --force."""
    path = Path(path)
    if path.is_dir():
        raise InputError(str(path), "is a folder; -o takes a file name such as chargeback.csv")
    if path.exists() and not force:
        raise InputError(str(path), "already exists; use --force to replace it")
    return path


def write_csv(result: Chargeback, path: Path, force: bool) -> None:
    """Write atomically; an existing file only with ``force`` (a file that appears while this
    one is written is not replaced either: the rename is a link that fails when it exists)."""
    from xlmargin.sheets.tempfiles import flush_folder, flush_to_disk, new_temp, resolved

    check_output(path, force)
    target = resolved(path)
    try:
        temp = new_temp(target)
    except OSError as error:
        raise InputError(str(path), f"cannot write here: {error.strerror or error}") from error
    try:
        with open(temp, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(csv_text(result))
        os.chmod(temp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
        flush_to_disk(temp)
        if force:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)
            except FileExistsError:
                raise InputError(str(path), "already exists; use --force to replace it"
                                 ) from None
            except OSError:  # a filesystem without hard links
                os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(str(path), f"cannot write: {error.strerror or error}") from error
        raise
    temp.unlink(missing_ok=True)  # after a link, the temp name is a second name of the file
    flush_folder(target.parent)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
