"""xlmargin pull openai|anthropic: usage and cost pages straight from the admin APIs."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from xlmargin.cli import FORMATTER, example

PROVIDERS = {
    "openai": ("OpenAI", "OPENAI_ADMIN_KEY",
               "the Usage API (completions, embeddings, images, audio, searches, vector "
               "stores, code interpreter) grouped by project, API key and model, and the "
               "Costs API grouped by project, API key and line item"),
    "anthropic": ("Anthropic", "ANTHROPIC_ADMIN_KEY",
                  "the messages usage report grouped by API key, workspace, model and service "
                  "tier, and the cost report grouped by workspace and description"),
}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from xlmargin.cli.import_usage import add_import_options

    parser = commands.add_parser(
        "pull", help="pull usage and costs from the OpenAI or Anthropic admin API",
        description="Pull daily usage and cost pages from a provider's admin API into a "
                    "folder, as the API sends them, one file per endpoint and calendar "
                    "month; `xlmargin import-usage FOLDER` reads them (billed costs are in "
                    "FOLDER/costs, apart from the token usage, so that they are not counted "
                    "twice). A month already pulled and settled (pulled 2 days after its end) "
                    "is not asked for again; one cut half-way resumes at the page it reached.",
        epilog=example("xlmargin pull openai --since 2026-08-01 -o usage/openai --import "
                       "--clients clients.csv --by project"),
        formatter_class=FORMATTER)
    providers = parser.add_subparsers(dest="provider", metavar="PROVIDER", required=True,
                                      parser_class=type(parser))
    for name, (title, env, what) in PROVIDERS.items():
        sub = providers.add_parser(
            # No abbreviations: `--key sk-...` must be refused, not taken for --key-file.
            name, help=f"pull from the {title} admin API", allow_abbrev=False,
            description=f"Pull {what}. The admin key is read from {env}, or from --key-file; "
                        "never from the command line, and never printed.",
            epilog=example(f"{env}=... xlmargin pull {name} --since 2026-08-01 --until "
                           f"2026-11-01 -o usage/{name}"),
            formatter_class=FORMATTER)
        _options(sub, name)
        add_import_options(sub)
    return parser


def _options(parser: argparse.ArgumentParser, provider: str) -> None:
    from xlmargin.pull.endpoints import ENDPOINTS

    names = [e.name for e in ENDPOINTS[provider]]
    parser.add_argument("--since", required=True, metavar="YYYY-MM-DD",
                        help="first day to pull (UTC)")
    parser.add_argument("--until", metavar="YYYY-MM-DD",
                        help="the day after the last day to pull (UTC; default: now)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="folder for the pages (made if missing)")
    parser.add_argument("--key-file", metavar="PATH",
                        help=f"read the admin key from this file instead of "
                             f"{PROVIDERS[provider][1]}")
    parser.add_argument("--base-url", metavar="URL",
                        help="the API's address, for a proxy (default: the provider's)")
    parser.add_argument("--endpoint", action="append", choices=names, metavar="NAME",
                        help="pull only this endpoint (repeatable): " + ", ".join(names))
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time-out of each request (default: %(default)g)")
    parser.add_argument("--refresh", action="store_true",
                        help="pull settled months again too")
    parser.add_argument("--force", action="store_true",
                        help="replace page files in DIR that xlmargin pull did not write")
    parser.add_argument("--import", dest="import_", nargs="?", const="usage",
                        choices=("usage", "costs"),
                        help="then import what was pulled, as `import-usage` does: the token "
                             "usage (default) or the billed costs")
    parser.add_argument("--json", action="store_true",
                        help="print JSON (with --import: the import's)")


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from pathlib import Path

    from xlmargin.errors import InputError
    from xlmargin.pull.endpoints import ENDPOINTS, anthropic_api, openai_api
    from xlmargin.pull.http import Session
    from xlmargin.pull.run import pull, read_key, window_of
    from xlmargin.pull.store import Store
    from xlmargin.sheets.lock import locked

    title, env, _ = PROVIDERS[args.provider]
    now = datetime.now(UTC)
    window = window_of(args.since, args.until, now)
    if args.timeout <= 0:
        raise InputError("--timeout", "must be more than 0 seconds")
    if args.base_url is not None and not args.base_url.startswith(("http://", "https://")):
        raise InputError("--base-url", "an http:// or https:// address")
    key, source = read_key(env, args.key_file)
    make = openai_api if args.provider == "openai" else anthropic_api
    api = make(key, source, args.base_url)
    api.timeout_seconds = args.timeout
    api.notify = _to_stderr
    endpoints = [e for e in ENDPOINTS[args.provider]
                 if args.endpoint is None or e.name in args.endpoint]
    store = Store(Path(args.output), force=args.force)
    tty = sys.stderr.isatty()
    store.state.mkdir(parents=True, exist_ok=True)
    # One pull at a time in a folder: two would save pages of one window over each other.
    with locked(store.state / "pull", where=args.output, wait=1.0), Session(api) as session:
        result = pull(session, endpoints, window, store, now=now, refresh=args.refresh,
                      progress=_to_stderr if tty else lambda _line: None)
    summary = sys.stderr if args.import_ else sys.stdout
    if args.json and not args.import_:
        from xlmargin.render import dump_json

        print(dump_json(result.as_json()))
    else:
        counts = {s: sum(f.status == s for f in result.files)
                  for s in ("pulled", "resumed", "kept")}
        print(f"{title} {window.text()}: {len(result.files)} file(s) in {result.folder} "
              f"({counts['pulled']} pulled, {counts['resumed']} resumed, {counts['kept']} "
              f"kept as settled), {sum(f.pages for f in result.files)} page(s) requested",
              file=summary)
        if not args.import_:
            print(f"Import the token usage with: xlmargin import-usage {result.folder}",
                  file=summary)
            if result.paths(billed=True):
                print(f"or the billed costs with: xlmargin import-usage "
                      f"{result.folder / 'costs'}", file=summary)
    if not args.import_:
        return 0
    from xlmargin.cli import import_usage

    files = [str(p) for p in result.paths(billed=args.import_ == "costs")]
    if not files:
        raise InputError("--import", f"no {args.import_} endpoint was pulled")
    args.files, args.format = files, None
    return import_usage.run(args)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
