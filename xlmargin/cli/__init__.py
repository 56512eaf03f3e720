"""The ``xlmargin`` command line. Each command lives in a module of this package with
``add_parser(subparsers)`` and ``run(args) -> int``; heavy imports wait inside ``run``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from xlmargin import __version__
from xlmargin.errors import XlmarginError

COMMANDS = ("cost", "crossover", "prices", "new", "report", "import-usage", "sensitivity",
            "plan", "chargeback", "pull")

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        # argparse repeats what it could not parse: an API key typed there is not shown.
        message = re.sub(r"sk-\S+", "sk-…", message)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="xlmargin",
        description="Per-client AI cost and margin for agencies: what each client costs on "
                    "API models, when self-hosting fine-tuned models wins, and the margins.",
    )
    parser.add_argument("--version", action="version", version=f"xlmargin {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"xlmargin.cli.{name.replace('-', '_')}")
        module.add_parser(commands).set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    if not isinstance(sys.unraisablehook, _QuietZipCleanup):
        sys.unraisablehook = _QuietZipCleanup(sys.unraisablehook)
    try:
        with _signals_raise():
            return args.run(args)
    except XlmarginError as error:
        print(f"xlmargin {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except OSError as error:  # a file the OS refused; the message names it (no traceback)
        where = f"{error.filename}: " if error.filename else ""
        print(f"xlmargin {args.command}: error: {where}{error.strerror or error}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"xlmargin {args.command}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Stopped as stop:
        print(f"xlmargin {args.command}: stopped by {signal.Signals(stop.signum).name}",
              file=sys.stderr)
        return 128 + stop.signum


class _QuietZipCleanup:
    """An unraisable-exception hook that stays silent about a zip failing to close when it is
    garbage-collected: a zip whose writing or reading failed (a full disk, a damaged workbook)
    tries again to finish then, fails again, and Python prints that as a traceback after the
    command's own one-line message, which already said what went wrong. Everything else goes
    to the hook that was there."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, unraisable: Any) -> None:
        if getattr(unraisable.object, "__qualname__", "") == "ZipFile.__del__":
            return
        self.previous(unraisable)


class Stopped(BaseException):
    """The process was asked to end (SIGTERM, SIGHUP). Raised, as Ctrl-C raises
    KeyboardInterrupt, so that the ``finally`` and ``except BaseException`` blocks run and
    remove temp files; the default action would end the process on the spot. A BaseException,
    so that no ``except Exception`` mistakes it for a problem with a file."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> NoReturn:
    raise Stopped(signum)


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped while a command runs; the handlers are put back
    after (main() also runs inside other programs, such as the tests)."""
    previous: dict[int, Any] = {}
    try:
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                previous[number] = signal.signal(number, _stop)
    except ValueError:  # not the main thread: signals stay as they are
        pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def example(text: str) -> str:
    """The epilog every command's --help ends with."""
    return f"Example:\n  {text}"


FORMATTER = argparse.RawDescriptionHelpFormatter
