"""From files to a saved workbook: read and check the inputs, build, write atomically."""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from xlmargin.catalog import Catalog
from xlmargin.errors import InputError
from xlmargin.models import AgencySettings, Client, ModelPrice
from xlmargin.portfolio import compute
from xlmargin.roster import (
    check_computes,
    check_hosting,
    open_weight_prices,
    preset_use_cases,
    price_roster,
    read_roster_rows,
    read_settings,
    starter_roster,
)
from xlmargin.sheets import LITE, NATIVE, UDF, build_workbook, layout
from xlmargin.sheets.cached import cache_engine_values, cached_values_written
from xlmargin.sheets.cells import clean_properties, cleaned_warning
from xlmargin.sheets.lite_parts import LiteParts, add_parts
from xlmargin.sheets.lock import locked
from xlmargin.sheets.tempfiles import flush_folder, flush_to_disk, new_temp, resolved, sweep

SUFFIX = {LITE: ".xlsx", UDF: ".xlsm", NATIVE: ".xlsx"}


def default_output(agency: str, mode: str) -> Path:
    stem = re.sub(r"[^\w.-]+", "-", agency.strip()).strip("-.") or "agency"
    return Path(stem[:100] + SUFFIX[mode])


def pricing_list(roster: Sequence[Client], catalog: Catalog,
                 extra: Sequence[str] = ()) -> list[ModelPrice]:
    """The roster's models first, in roster order, then ``extra`` (the hosted open-weight
    model), then the curated popular ones."""
    found: dict[str, ModelPrice] = {}
    for name in [*(client.model for client in roster), *extra]:
        price = catalog.lookup(name)
        found.setdefault(price.model.lower(), price)
    for price in catalog.popular():
        found.setdefault(price.model.lower(), price)
    return list(found.values())


def build_from_files(agency: str, *, roster: str | Path | None = None,
                     settings: str | Path | None = None, mode: str = LITE,
                     as_of: date | None = None, price_file: str | Path | None = None,
                     extra_rows: int | None = None) -> tuple[Workbook, int]:
    """Read and check the roster and settings, then build (nothing is written here). Without
    ``roster``, the starter roster; without ``settings``, the article's defaults."""
    as_of = as_of or datetime.now(UTC).date()
    catalog = Catalog(as_of=as_of)
    if price_file:
        from xlmargin.price_file import load_prices

        catalog = catalog.with_overrides(load_prices(price_file))
    # Without a settings file, the article's defaults, as report and sensitivity take a roster
    # CSV; the starter settings (templates/agency.toml) apply only when passed.
    agency_settings = read_settings(settings) if settings else AgencySettings()
    open_weight = open_weight_prices(agency_settings, catalog, settings)
    extra: list[str] = []
    if open_weight is not None:
        # The Pricing sheet's id, so the workbook's lookups find it.
        agency_settings = agency_settings.model_copy(
            update={"open_weight_model": open_weight.model})
        extra.append(open_weight.model)
    roster_path = roster or starter_roster()
    rows = read_roster_rows(roster_path, catalog)
    check_hosting(roster_path, rows, open_weight)
    clients = [client for _row, client in rows]
    # A row so large its month overflows a float would make a workbook that cannot compute.
    prices = {c.model.lower(): catalog.lookup(c.model) for c in clients}
    priced = price_roster(clients, prices, preset_use_cases(), str(roster_path),
                          [row for row, _client in rows])
    check_computes(roster_path, rows, priced, agency_settings, open_weight)
    if not agency.strip():
        raise InputError("AGENCY", "give the agency's name")
    kwargs = {} if extra_rows is None else {"extra_rows": extra_rows}
    wb = build_workbook(agency.strip(), clients, agency_settings,
                        pricing_list(clients, catalog, extra), mode=mode, as_of=as_of, **kwargs)
    # The engine's numbers saved as the formulas' results, for previews and readers that do
    # not recalculate.
    costs = wb.defined_names[layout.CLIENT_RANGE_NAMES["api_cost"]].attr_text  # ...$J$66
    cache_engine_values(wb, priced, compute(priced, agency_settings, open_weight=open_weight),
                        agency_settings, int(costs.rsplit("$", 1)[1]), udf=mode == UDF,
                        catalog=catalog)
    return wb, len(clients)


@dataclass
class Made:
    """What ``make_agency_workbook`` wrote, for the command's message."""

    path: Path
    clients: int
    target: Path
    """The file written: ``path``, or the file it is a symbolic link to."""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_agency_workbook(agency: str, *, roster: str | Path | None = None,
                          settings: str | Path | None = None, mode: str = LITE,
                          output: str | Path | None = None, force: bool = False,
                          as_of: date | None = None,
                          price_file: str | Path | None = None) -> tuple[Path, int]:
    made = make_agency_workbook(agency, roster=roster, settings=settings, mode=mode,
                                output=output, force=force, as_of=as_of, price_file=price_file)
    return made.path, made.clients


def make_agency_workbook(agency: str, *, roster: str | Path | None = None,
                         settings: str | Path | None = None, mode: str = LITE,
                         output: str | Path | None = None, force: bool = False,
                         as_of: date | None = None,
                         price_file: str | Path | None = None) -> Made:
    """Check, build and save the agency's workbook, holding its lock while it is replaced."""
    path = Path(output) if output else default_output(agency, mode)
    if path.suffix.lower() != SUFFIX[mode]:
        raise InputError(str(path), f"--formulas {mode} writes a {SUFFIX[mode]} file")
    if path.exists() and not force:
        raise InputError(str(path), "already exists; pass --force to replace it")
    target = resolved(path)
    if not target.parent.is_dir():
        raise InputError(str(path), "folder does not exist")
    wb, count = build_from_files(agency, roster=roster, settings=settings, mode=mode,
                                 as_of=as_of, price_file=price_file)
    made = Made(path, count, target)
    with locked(target, str(path)):
        # Again under the lock: another run may have made the file while this one built.
        if target.exists() and not force:
            raise InputError(str(path), "already exists; pass --force to replace it")
        made.notes.extend(leftover_notes(sweep(target)))
        save_workbook(wb, path, mode)
    warning = cleaned_warning(wb)
    if warning:
        made.warnings.append(warning)
    if path.is_symlink():
        made.notes.append(f"{path} is a symbolic link: wrote the file it points to, {target}")
    return made


def leftover_notes(removed: Sequence[Path]) -> list[str]:
    return [f"removed {p.name}, a temp file left by an xlmargin run that was stopped "
            "before it finished" for p in removed]


def save_workbook(wb: Workbook, path: Path, mode: str) -> None:
    """Save a workbook ``build_from_files`` made, atomically; in the ``lite`` mode with xlwings
    Lite's parts holding its main.py and requirements.txt."""
    parts = None
    if mode == LITE:
        from xlmargin.excel.lite import main_py, requirements_txt
        from xlmargin.sheets.lite_parts import LiteCode, parts_for

        parts = parts_for(LiteCode(main_py=main_py(), requirements_txt=requirements_txt()))
    save_atomic(wb, path, parts=parts)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def save_atomic(wb: Workbook, path: Path, *, parts: LiteParts | None = None) -> None:
    """Write next to ``path`` and rename over it: a reader never sees half a file, and a failed
    write leaves the old file as it was. ``parts`` (xlwings Lite's, which openpyxl cannot write)
    go into the written file before the rename. A symbolic link is written through: the file
    it points to is replaced and the link kept. The temp file is flushed to disk before the
    rename and removed on any error or interruption. An OS error (a read-only or special
    folder, ``path`` a folder, a full disk) is an InputError naming ``path``."""
    target = resolved(path)
    try:
        temp = new_temp(target)
    except OSError as error:
        raise InputError(str(path), f"cannot write here: {error.strerror or error}") from error
    try:
        write_xlsx(wb, temp)
        if parts is not None:
            add_parts(temp, parts)
        # The temp file is private (0600); give it the mode a plain new file would get.
        os.chmod(temp, target.stat().st_mode & 0o777 if target.exists()
                 else 0o666 & ~_umask())
        flush_to_disk(temp)
        os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(str(path), f"cannot write: {error.strerror or error}") from error
        if isinstance(error, InputError) and error.where == str(temp):
            # The Lite writer names the file it was given: to the user, that is ``path``.
            raise InputError(str(path), error.problem) from error
        raise
    flush_folder(target.parent)


def write_xlsx(wb: Workbook, temp: Path) -> None:
    """openpyxl's ``Workbook.save``, with the zip closed when writing fails (a full disk) as
    well: openpyxl leaves it to the garbage collector then, whose second attempt to finish the
    zip fails too and is printed as a traceback after the command's one-line message."""
    wb.properties.modified = datetime.now(UTC).replace(tzinfo=None)
    clean_properties(wb)
    with (zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
          cached_values_written()):
        ExcelWriter(wb, archive).save()
