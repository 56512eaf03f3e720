"""An offline Pyodide for the tests: xlmargin as xlwings Lite installs and runs it.

Everything comes from this machine once downloaded: the npm ``pyodide`` package (pinned in
``tests/pyodide/package-lock.json``) and the emscripten wheels of ``tests/pyodide/wheels.txt``
(from PyPI through pip, hash-checked), cached outside the tree (``~/.cache/xlmargin/pyodide``)
and keyed by the hash of the file that pins them, so a changed pin refreshes them; and
xlmargin's own wheel, built afresh from a copy of the checkout. A PEP 503 index on 127.0.0.1
serves the wheels to micropip; Pyodide gets an empty lock file, so it fetches nothing from its
CDN. ``tests/pyodide/run.mjs`` is the Node side.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
HARNESS = TESTS / "pyodide"
WHEELS_TXT = HARNESS / "wheels.txt"
PAYLOAD = "payload"  # tests/pyodide/payload.py, run on both sides

# Where the emscripten wheels come from: Pyodide 314's ABI, CPython 3.14.
PLATFORM = ("--platform", "pyemscripten_2026_0_wasm32", "--python-version", "3.14",
            "--implementation", "cp", "--abi", "cp314")
# What the checkout contributes to xlmargin's wheel (setuptools finds xlmargin* packages).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "xlmargin")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xlmargin" / "pyodide"


def digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def require_node() -> str:
    """The node executable; without node and npm the tests fail under CI and skip elsewhere."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node
    missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
    reason = f"{missing} not found: the xlwings Lite tests run xlmargin under Pyodide in Node"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (.ci/run installs Debian's nodejs and npm)", pytrace=False)
    pytest.skip(f"{reason} (apt-get install nodejs npm)")
    raise AssertionError("unreachable")


def run_checked(command: list[str], **kwargs: Any) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


@contextlib.contextmanager
def filled(final: Path) -> Iterator[Path]:
    """A fresh folder to fill, renamed to ``final`` only once filled: a download stopped
    halfway leaves nothing that looks cached, and two runs filling at once both end up right."""
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=final.name + ".", dir=final.parent))
    try:
        yield work
        try:
            work.rename(final)
        except OSError:  # another run got there first with the same pinned content
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def node_modules() -> Path:
    """node_modules with the pinned Pyodide, installed by ``npm ci`` from the lock."""
    files = [HARNESS / "package.json", HARNESS / "package-lock.json"]
    final = cache_root() / f"node-{digest(*(f.read_bytes() for f in files))}"
    if not (final / "node_modules" / "pyodide" / "pyodide.mjs").is_file():
        with filled(final) as work:
            for f in files:
                shutil.copy(f, work / f.name)
            run_checked(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                        cwd=work, timeout=600)
    return final / "node_modules"


def emscripten_wheels() -> Path:
    """The folder of the pinned emscripten wheels, downloaded with pip (hashes checked)."""
    final = cache_root() / f"wheels-{digest(WHEELS_TXT.read_bytes())}"
    if not final.is_dir():
        with filled(final) as work:
            run_checked([sys.executable, "-m", "pip", "download", "-q", "--require-hashes",
                         "--only-binary=:all:", "--no-deps", *PLATFORM, "-d", str(work),
                         "-r", str(WHEELS_TXT)], timeout=600)
    return final


def _source_files() -> list[Path]:
    files: list[Path] = []
    for name in WHEEL_SOURCES:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*"))
                         if p.is_file() and "__pycache__" not in p.parts)
    return files


def xlmargin_wheel(folder: Path) -> Path:
    """xlmargin's wheel, built into ``folder`` by its own build backend from a copy of the
    checkout (building in place would write build/ into the tree). Not cached: it is the code
    under test, and building takes seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "src"
        for f in _source_files():
            target = copy / f.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
        run_checked([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                     "-w", str(folder), str(copy)], timeout=600)
    (wheel,) = folder.glob("xlmargin-*.whl")
    return wheel


def project_name(wheel: Path) -> str:
    """PEP 503's normalised project name of a wheel file."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


@dataclass
class LocalIndex:
    """A PEP 503 simple index of some wheels, served on 127.0.0.1 from a thread."""

    wheels: list[Path]
    served: list[tuple[str, int]] = field(default_factory=list)  # (path, status) requested
    url: str = ""

    @contextlib.contextmanager
    def serving(self) -> Iterator[LocalIndex]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            self._write(root)
            index = self

            class Handler(SimpleHTTPRequestHandler):
                def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                    index.served.append((self.path, int(code)))  # what micropip fetched

                def log_message(self, format: str, *args: Any) -> None:
                    pass  # quiet: the requests are in `served`

            server = ThreadingHTTPServer(("127.0.0.1", 0),
                                         partial(Handler, directory=str(root)))
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self.url = f"http://127.0.0.1:{server.server_address[1]}/simple/{{package_name}}/"
            try:
                yield self
            finally:
                server.shutdown()
                server.server_close()
                thread.join()

    def _write(self, root: Path) -> None:
        files = root / "files"
        files.mkdir()
        projects: dict[str, list[Path]] = {}
        for wheel in self.wheels:
            shutil.copy(wheel, files / wheel.name)
            projects.setdefault(project_name(wheel), []).append(wheel)
        for name, wheels in projects.items():
            page = root / "simple" / name
            page.mkdir(parents=True)
            links = "".join(
                f'<a href="../../files/{html.escape(w.name)}#sha256='
                f'{hashlib.sha256(w.read_bytes()).hexdigest()}">{html.escape(w.name)}</a>\n'
                for w in wheels)
            (page / "index.html").write_text(
                f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n", encoding="utf-8")


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements.txt, as pip reads them: comments (a '#' at the
    start of a line or after whitespace) and blank lines dropped."""
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def run_pyodide(node: str, *, index_url: str, installs: list[dict[str, Any]],
                module: str, module_input: Any, env: dict[str, str] | None = None,
                module_dir: Path = HARNESS, timeout: float = 600) -> dict[str, Any]:
    """One Node run of ``tests/pyodide/run.mjs``: start Pyodide, install each requirements list
    from ``index_url``, then ``await <module>.run(module_input)``, the module one of the .py
    files of ``module_dir`` (copied into Pyodide's file system)."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "out.json"
        job = {"node_modules": str(node_modules()), "index_url": index_url,
               "micropip_wheel": str(micropip_wheel()), "installs": installs,
               "module_dir": str(module_dir), "module": module, "input": module_input,
               "env": env or {}, "output": str(output)}
        (Path(tmp) / "job.json").write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run([node, str(HARNESS / "run.mjs"), str(Path(tmp) / "job.json")],
                              capture_output=True, text=True, timeout=timeout)
        if not output.is_file():
            raise RuntimeError(f"run.mjs wrote no answer ({done.returncode}):\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        result = json.loads(output.read_text(encoding="utf-8"))
    result["stderr"] = done.stderr
    return result


def micropip_wheel() -> Path:
    (wheel,) = emscripten_wheels().glob("micropip-*.whl")
    return wheel


def run_cpython(module_input: Any, timeout: float = 600) -> dict[str, Any]:
    """The same payload in a fresh CPython (this venv, numpy and all) with
    XLWINGS_ON_SERVER=true: the reference the Pyodide answers are held to."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XLMARGIN_", "XLWINGS_"))}
    env["XLWINGS_ON_SERVER"] = "true"
    with tempfile.TemporaryDirectory() as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job.write_text(json.dumps(module_input), encoding="utf-8")
        run_checked([sys.executable, str(HARNESS / f"{PAYLOAD}.py"), str(job), str(out)],
                    env=env, cwd=tmp, timeout=timeout)
        return json.loads(out.read_text(encoding="utf-8"))
