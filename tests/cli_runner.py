"""Run ``xlmargin ARGS`` in a child process, with hooks that only tests use, so a test can stop
or race real processes at a chosen point of a save. The product has no such hooks: they are
put in here, around the functions the CLI calls, before it starts.

    python tests/cli_runner.py import-usage usage.csv --workbook agency.xlsx

Environment:
  RUNNER_LOCK_WAIT=SECONDS      how long a second writer waits for the workbook's lock
  RUNNER_SLOW_LOAD=SECONDS      sleep after the workbook is loaded (inside the lock), so two
                                runs started together overlap in their read-modify-write
  RUNNER_PAUSE_AFTER_SAVE=1     once the workbook is written to its temp file, print
                                "saved PATH" to stdout and sleep, so the test can kill it there
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def install_hooks() -> None:
    if "RUNNER_LOCK_WAIT" in os.environ:
        from xlmargin.sheets import lock

        lock.WAIT_SECONDS = float(os.environ["RUNNER_LOCK_WAIT"])
    if "RUNNER_SLOW_LOAD" in os.environ:
        from xlmargin.sheets import actuals

        load = actuals.load_workbook
        pause = float(os.environ["RUNNER_SLOW_LOAD"])

        def slow_load(*args: Any, **kwargs: Any) -> Any:
            wb = load(*args, **kwargs)
            time.sleep(pause)
            return wb

        actuals.load_workbook = slow_load  # type: ignore[assignment]
    if os.environ.get("RUNNER_PAUSE_AFTER_SAVE"):
        from xlmargin.sheets import files

        write = files.write_xlsx

        def write_then_pause(wb: Any, temp: Any) -> None:
            write(wb, temp)
            print(f"saved {temp}", flush=True)
            time.sleep(600)

        files.write_xlsx = write_then_pause  # type: ignore[assignment]


if __name__ == "__main__":
    install_hooks()
    from xlmargin.cli import main

    sys.exit(main(sys.argv[1:]))
