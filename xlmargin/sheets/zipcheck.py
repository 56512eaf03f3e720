"""Refuse a workbook that would inflate past what xlmargin can hold, before anything inflates
it.

An .xlsx is a zip, and a zip of a few kilobytes can unpack to gigabytes (a zip bomb), which
openpyxl would inflate into memory. The zip's directory states each part's unpacked size, and
Python's zipfile, which openpyxl reads through, never inflates a part past its stated size
(the part then fails its checksum), so the stated sizes are checked and nothing is inflated.

The limits are far above any workbook a spreadsheet program writes: real parts compress about
10:1 (a 20,000-client workbook from ``xlmargin new`` is 47 MB unpacked, 4 MB packed).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from xlmargin.errors import InputError

MAX_UNPACKED_BYTES = 1_000_000_000
"""1 GB unpacked in all."""
MAX_RATIO = 100
"""Unpacked : packed, for a part over RATIO_FROM_BYTES; zip bombs reach 1,000:1."""
RATIO_FROM_BYTES = 10_000_000
MAX_PARTS = 10_000

LIMITS = (f"xlmargin opens workbooks up to {MAX_UNPACKED_BYTES / 1e9:g} GB unpacked, with "
          f"parts over {RATIO_FROM_BYTES / 1e6:g} MB compressed at most {MAX_RATIO}:1")


def check_zip(path: str | Path, where: str | None = None) -> None:
    """Raise InputError naming ``where`` (``path`` by default) when the workbook at ``path`` is
    not a zip, or would unpack past the limits above; reads only the zip's directory."""
    where = where or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as error:
        raise InputError(where, "not an Excel workbook (not a zip file)") from error
    except OSError as error:
        raise InputError(where, f"cannot read: {error.strerror or error}") from error
    except Exception as error:  # a damaged directory: zipfile raises what it meets there
        raise InputError(where, f"not an Excel workbook (a damaged zip: {error})") from error
    if len(infos) > MAX_PARTS:
        raise InputError(where, f"refused: {len(infos):,} parts, more than the {MAX_PARTS:,} "
                                "xlmargin opens")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED_BYTES:
        raise InputError(where, f"refused before unpacking: it would unpack to "
                                f"{total / 1e9:,.2f} GB (a zip bomb?); {LIMITS}")
    for info in infos:
        if (info.file_size > RATIO_FROM_BYTES
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            ratio = info.file_size / max(info.compress_size, 1)
            raise InputError(where, f"refused before unpacking: part {info.filename} would "
                                    f"unpack {ratio:,.0f}:1 to {info.file_size / 1e6:,.0f} MB "
                                    f"(a zip bomb?); {LIMITS}")
