"""A stand-in for the OpenAI and Anthropic admin APIs on 127.0.0.1: a real HTTP server
(``ThreadingHTTPServer`` on a free port) that serves the documented page shapes (the result
objects of ``fixtures/usage``), refuses what the real APIs refuse (a missing or wrong key or
version header, start times in the wrong form, a bucket width or group_by the endpoint does
not have, a limit over the maximum, a cursor it did not give), pages through ``next_page``,
and injects the faults a test asks for: 429 and 500 (with ``Retry-After``, or without), a
slow answer, a connection cut half-way through a body.

The data: day ``d`` of a month holds the fixture's result times ``d``, once per client, so a
window's totals are sums of day numbers a test can write out, whatever window asks for it."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "usage"
OPENAI_KEY = "sk-admin-TESTKEY-0123456789abcdefXYZ"
ANTHROPIC_KEY = "sk-ant-admin01-TESTKEY-0123456789abcdefXYZ"
DAY = timedelta(days=1)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

OPENAI_GROUPS = {
    "completions": {"project_id", "user_id", "api_key_id", "model", "batch", "service_tier"},
    "embeddings": {"project_id", "user_id", "api_key_id", "model"},
    "images": {"project_id", "user_id", "api_key_id", "model", "size", "source"},
    "audio_speeches": {"project_id", "user_id", "api_key_id", "model"},
    "audio_transcriptions": {"project_id", "user_id", "api_key_id", "model"},
    "web_search_calls": {"project_id", "user_id", "api_key_id", "model", "context_level"},
    "file_search_calls": {"project_id", "user_id", "api_key_id", "vector_store_id"},
    "vector_stores": {"project_id"},
    "code_interpreter_sessions": {"project_id"},
    "costs": {"project_id", "line_item", "api_key_id"},
}
"""The group_by values each OpenAI endpoint accepts (the spec's)."""
ANTHROPIC_GROUPS = {
    "messages": {"account_id", "api_key_id", "context_window", "inference_geo", "model",
                 "service_account_id", "service_tier", "speed", "workspace_id"},
    "cost": {"description", "workspace_id"},
}
CLIENTS = (("proj_acme", "key_acme", "apikey_01AAA", "wrkspc_acme"),
           ("proj_globex", "key_globex", "apikey_01GGG", "wrkspc_globex"))
"""(OpenAI project, OpenAI key, Anthropic key, Anthropic workspace) of the two clients."""


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _scaled(result: dict[str, Any], times: int) -> dict[str, Any]:
    """``result`` with every count (and amount) multiplied by ``times``."""
    found: dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, bool) or key in ("object", "currency"):
            found[key] = value
        elif isinstance(value, int):
            found[key] = value * times
        elif isinstance(value, dict):
            found[key] = _scaled(value, times)
        elif key in ("amount", "value") and value is not None:
            scaled = Decimal(str(value)) * times
            found[key] = str(scaled) if isinstance(value, str) else float(scaled)
        else:
            found[key] = value
    return found


def openai_results(endpoint: str) -> list[dict[str, Any]]:
    """One day's results of an OpenAI endpoint (at scale 1), grouped by client."""
    if endpoint == "completions":
        base = _fixture("usage_completions_page.spec_example.json")["data"][0]["results"][0]
        extra = {"model": "gpt-4o-mini-2024-07-18", "batch": False}
    elif endpoint == "embeddings":
        base = _fixture("usage_embeddings_page.spec_example.json")["data"][0]["results"][0]
        extra = {"model": "text-embedding-3-small"}
    elif endpoint == "costs":
        base = _fixture("costs_page.spec_example.json")["data"][0]["results"][0]
        extra = {"line_item": "gpt-4o-mini-2024-07-18, input"}
    else:
        others = _fixture("usage_other_endpoints.spec_examples.json")
        name = {"web_search_calls": "web_searches", "file_search_calls": "file_searches"}
        page = others.get(endpoint) or others.get(name.get(endpoint, endpoint))
        if page is None:
            return []
        base, extra = page["data"][0]["results"][0], {}
    found = []
    for i, (project, key, _akey, _ws) in enumerate(CLIENTS):
        result = copy.deepcopy(base) | extra
        if "project_id" in result:
            result["project_id"] = project
        if "api_key_id" in result and endpoint not in ("vector_stores",
                                                       "code_interpreter_sessions"):
            result["api_key_id"] = key
        if endpoint == "costs":  # the Costs API sends amount.value as a number or a string
            result["amount"] = {"value": "0.06" if i == 0 else 0.25, "currency": "usd"}
        found.append(result)
    return found


def anthropic_results(endpoint: str) -> list[dict[str, Any]]:
    if endpoint == "messages":
        base = _fixture("usage_report_messages.docs_example.json")["data"][0]["results"][0]
    else:
        base = _fixture("cost_report.docs_example.json")["data"][0]["results"][0]
    found = []
    for _project, _key, akey, workspace in CLIENTS:
        result = copy.deepcopy(base)
        result["workspace_id"] = workspace
        if "api_key_id" in result:
            result["api_key_id"] = akey
        found.append(result)
    return found


@dataclass
class Fault:
    endpoint: str
    """The endpoint's short name ('completions', 'messages', 'cost'...)."""
    kind: str
    """'429', '500', '503', 'slow', 'cut', '401', '403', '400'."""
    page: int | None = None
    """Only this page (1 for the first); None: the next request of the endpoint."""
    times: int = 1
    """How many requests it hits (then it is used up)."""
    retry_after: str | None = "0"


@dataclass
class FakeAdminApi:
    provider: str
    key: str
    per_page: int = 3
    """Buckets per page, whatever the limit asked: pages must be followed."""
    slow_seconds: float = 1.0
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What the client sent that the real API would refuse (each also answered 400)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    # -- what the API answers --------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]],
               headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, Fault | None]:
        with self.lock:
            self.requests.append((path, query))
        endpoint = self._endpoint(path)
        if endpoint is None:
            return self._error(404, f"no such endpoint {path}")
        denied = self._auth(headers)
        if denied is not None:
            return denied
        try:
            start, end, groups, limit, first = self._query(endpoint, query)
        except ValueError as problem:
            with self.lock:
                self.problems.append(f"{path}: {problem}")
            return self._error(400, str(problem))
        page_number = first // self.per_page + 1
        fault = self._fault(endpoint, page_number)
        if fault is not None and fault.kind in ("401", "403", "400", "429", "500", "503"):
            status = int(fault.kind)
            response = self._error(status, {401: f"Incorrect API key provided: {self.key}",
                                            403: "Missing scopes: api.usage.read",
                                            400: "start_time is too far in the past"}.get(
                                                status, "try again"))
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return response[0], {**response[1], **extra}, response[2], None
        days = self._days(start, end)
        chunk = days[first:first + min(limit, self.per_page)]
        more = first + len(chunk) < len(days)
        page: dict[str, Any] = {"data": [self._bucket(endpoint, when, when.day, groups)
                                         for when in chunk],
                                "has_more": more,
                                "next_page": self._cursor(path, start, first + len(chunk))
                                if more else None}
        if self.provider == "openai":
            page = {"object": "page", **page}
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode(), fault

    def _endpoint(self, path: str) -> str | None:
        if self.provider == "openai":
            match = re.fullmatch(r"/v1/organization/(?:usage/(\w+)|(costs))", path)
            name = match and (match[1] or match[2])
            return name if name in OPENAI_GROUPS else None
        return {"/v1/organizations/usage_report/messages": "messages",
                "/v1/organizations/cost_report": "cost"}.get(path)

    def _auth(self, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, None] | None:
        if self.provider == "openai":
            given = headers.get("authorization", "")
            if given != f"Bearer {self.key}":
                return self._error(401, f"Incorrect API key provided: {given[7:]}")
            return None
        if headers.get("anthropic-version") != "2023-06-01":
            return self._error(400, "anthropic-version header is required")
        if headers.get("x-api-key") != self.key:
            return self._error(401, "invalid x-api-key")
        return None

    def _query(self, endpoint: str,
               query: dict[str, list[str]]) -> tuple[datetime, datetime, list[str], int, int]:
        def one(name: str, required: bool = True) -> str | None:
            values = query.get(name, [])
            if len(values) > 1:
                raise ValueError(f"{name} given {len(values)} times")
            if not values and required:
                raise ValueError(f"{name} is required")
            return values[0] if values else None

        if self.provider == "openai":
            start_text, end_text = one("start_time"), one("end_time")
            if not (start_text or "").isdigit() or not (end_text or "").isdigit():
                raise ValueError("start_time and end_time are unix seconds")
            start = datetime.fromtimestamp(int(start_text or 0), UTC)
            end = datetime.fromtimestamp(int(end_text or 0), UTC)
            groups, allowed = query.get("group_by", []), OPENAI_GROUPS[endpoint]
            maximum = 180 if endpoint == "costs" else 31
            if "group_by[]" in query:
                raise ValueError("group_by is sent repeated, without brackets")
        else:
            start_text, end_text = one("starting_at"), one("ending_at")
            if not RFC3339.match(start_text or "") or not RFC3339.match(end_text or ""):
                raise ValueError("starting_at and ending_at are RFC 3339 times")
            start = datetime.strptime(start_text or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            end = datetime.strptime(end_text or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            groups, allowed, maximum = query.get("group_by[]", []), ANTHROPIC_GROUPS[endpoint], 31
            if "group_by" in query:
                raise ValueError("group_by[] is sent with brackets")
        if one("bucket_width") != "1d":
            raise ValueError("bucket_width must be 1d here")
        if not set(groups) <= allowed:
            raise ValueError(f"group_by {sorted(set(groups) - allowed)} not allowed")
        if len(set(groups)) != len(groups):
            raise ValueError("a group_by value repeated")
        limit_text = one("limit")
        if not (limit_text or "").isdigit() or not 1 <= int(limit_text or 0) <= maximum:
            raise ValueError(f"limit must be 1..{maximum}")
        if end <= start:
            raise ValueError("the end is not after the start")
        first = 0
        cursor = one("page", required=False)
        if cursor is not None:
            first = self._uncursor(cursor, start)
        return start, end, groups, int(limit_text or 0), first

    def _days(self, start: datetime, end: datetime) -> list[datetime]:
        found, day = [], start
        while day < end:
            found.append(day)
            day = (day + DAY).replace(hour=0, minute=0, second=0)
        return found

    def _bucket(self, endpoint: str, when: datetime, number: int,
                groups: list[str]) -> dict[str, Any]:
        until = (when + DAY).replace(hour=0, minute=0, second=0)
        base = openai_results(endpoint) if self.provider == "openai" else \
            anthropic_results(endpoint)
        results = []
        for result in base:
            grouped = {k: (v if k not in _GROUP_KEYS or k in groups else None)
                       for k, v in result.items()}
            results.append(_scaled(grouped, number))
        if self.provider == "openai":
            return {"object": "bucket", "start_time": int(when.timestamp()),
                    "end_time": int(until.timestamp()), "results": results}
        return {"starting_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ending_at": until.strftime("%Y-%m-%dT%H:%M:%SZ"), "results": results}

    def _cursor(self, path: str, start: datetime, index: int) -> str:
        raw = f"{path}|{int(start.timestamp())}|{index}".encode()
        return "page_" + base64.urlsafe_b64encode(raw).decode()

    def _uncursor(self, cursor: str, start: datetime) -> int:
        try:
            _path, when, index = base64.urlsafe_b64decode(
                cursor.removeprefix("page_")).decode().split("|")
        except ValueError:
            raise ValueError("page is not a cursor this API gave") from None
        if int(when) != int(start.timestamp()):
            raise ValueError("page is a cursor of another window")
        return int(index)

    def _fault(self, endpoint: str, page: int) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.endpoint == endpoint and fault.times > 0 and \
                        (fault.page is None or fault.page == page):
                    fault.times -= 1
                    return fault
        return None

    def _error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes, None]:
        body = {"error": {"message": message, "type": "invalid_request_error"}}
        if self.provider == "anthropic":
            body = {"type": "error", **body}
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode(), None

    def pages_of(self, endpoint: str) -> int:
        return sum(1 for path, _ in self.requests if self._endpoint(path) == endpoint)


_GROUP_KEYS = {"project_id", "user_id", "api_key_id", "model", "batch", "service_tier",
               "size", "source", "context_level", "vector_store_id", "line_item",
               "workspace_id", "account_id", "service_account_id", "context_window",
               "inference_geo", "speed", "description"}
"""Result fields that are null unless grouped by."""


def _handler(api: FakeAdminApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits for a delayed ACK

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            query = parse_qs(split.query, keep_blank_values=True)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body, fault = api.answer(split.path, query, headers)
            if fault is not None and fault.kind == "slow":
                threading.Event().wait(api.slow_seconds)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault is not None and fault.kind == "cut":
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


def serve(api: FakeAdminApi) -> Iterator[FakeAdminApi]:
    """Run ``api`` on 127.0.0.1 (a free port) while the generator is suspended."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# Fixtures, for the test modules to import.

def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts, recorded instead of slept."""
    waits: list[float] = []
    from xlmargin.pull import http

    monkeypatch.setattr(http, "pause", waits.append)
    return waits


@pytest.fixture
def openai_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdminApi]:
    _no_proxy(monkeypatch)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    yield from serve(FakeAdminApi("openai", OPENAI_KEY))


@pytest.fixture
def anthropic_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdminApi]:
    _no_proxy(monkeypatch)
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    yield from serve(FakeAdminApi("anthropic", ANTHROPIC_KEY))


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    path = tmp_path / "clients.csv"
    path.write_text("identifier,client\nproj_acme,Acme Corp\nproj_globex,Globex\n"
                    "apikey_01AAA,Acme Corp\napikey_01GGG,Globex\n"
                    "wrkspc_acme,Acme Corp\nwrkspc_globex,Globex\n", encoding="utf-8")
    return path
