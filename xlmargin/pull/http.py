"""One GET of an admin API, the way a good client makes it: a time-out on every request, 429
and 5xx (and a network failure or a time-out) retried a bounded number of times with
exponential backoff or the server's ``Retry-After``, and every other failure a one-line
``PullError`` that says what to do. No message ever holds the key: they are built here from
the status and the API's own error text, which is scrubbed of the key and of anything that
looks like one, never from an exception's text as it comes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlmargin.errors import XlmarginError

RETRIED = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
"""Statuses worth a retry: rate limits, time-outs and overload (Anthropic says 529)."""
REFUSED = frozenset({400, 404, 422})
MAX_WAIT_SECONDS = 120.0
"""A ``Retry-After`` longer than this is not waited out: the pull stops and says when to retry."""
_KEYLIKE = re.compile(r"sk-[A-Za-z0-9_\-*.]+")


def pause(seconds: float) -> None:
    time.sleep(seconds)


class PullError(XlmarginError):
    """A pull failed; the message is one line and never holds the key."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status that ended the request, if one did."""


@dataclass
class Api:
    """How to reach one provider's admin API."""

    provider: str
    """'OpenAI' or 'Anthropic', for messages."""
    base_url: str
    headers: dict[str, str]
    """Every request's headers, the key among them."""
    key: str
    key_source: str
    """Where the key came from (an environment variable or a file), for messages."""
    key_help: str
    """What kind of key the API needs, said on a 401 or 403."""
    timeout_seconds: float = 60.0
    retries: int = 5
    """Attempts after the first, for the failures worth another try."""
    backoff_seconds: float = 1.0
    """The first wait; doubled at each retry (at most ``MAX_WAIT_SECONDS``)."""
    sleep: Callable[[float], None] | None = None
    """How to wait between attempts (default: ``pause``, looked up at each wait)."""
    notify: Callable[[str], None] = field(default=lambda _line: None)
    """Told of each retry (one line)."""

    def scrub(self, text: str) -> str:
        """``text`` without the key, or anything key-like, on one line of at most 300 chars."""
        if self.key:
            text = text.replace(self.key, "[key]")
        text = _KEYLIKE.sub("sk-…", text)
        text = " ".join(text.split())
        return text if len(text) <= 300 else text[:299] + "…"


class Session:
    """A connection pool to one API; ``get`` returns a page's bytes and its JSON."""

    def __init__(self, api: Api) -> None:
        import httpx2

        self.api = api
        self._httpx = httpx2
        timeout = httpx2.Timeout(api.timeout_seconds, connect=min(api.timeout_seconds, 15.0))
        self.client = httpx2.Client(base_url=api.base_url, headers=api.headers,
                                    timeout=timeout, follow_redirects=False)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.close()

    def get(self, path: str, params: Sequence[tuple[str, str]], what: str) -> tuple[bytes, Any]:
        """The body of ``GET path?params`` and its JSON. ``what`` names the request in
        messages (endpoint, window, page). Raises PullError."""
        api, httpx = self.api, self._httpx
        attempts = api.retries + 1
        for attempt in range(1, attempts + 1):
            wait: float | None = None
            try:
                response = self.client.get(path, params=list(params))
            except httpx.TimeoutException:
                reason = f"no answer within {api.timeout_seconds:g} s"
            except httpx.TransportError as error:
                reason = (f"network failure ({_transport_reason(error)}, "
                          f"{self.client.base_url.host or api.base_url})")
            else:
                status = response.status_code
                if status == 200:
                    return response.content, self._json(response.content, what)
                if status not in RETRIED:
                    raise self._failure(status, response.content, path, what)
                reason = f"HTTP {status}{_detail(api, response.content)}"
                wait = retry_after(response.headers.get("retry-after"))
                if wait is not None and wait > MAX_WAIT_SECONDS:
                    raise PullError(f"{api.provider} {what}: {reason}; the API asks to wait "
                                    f"{wait:.0f} s: try again later")
            if attempt == attempts:
                raise PullError(f"{api.provider} {what}: {reason}; gave up after {attempts} "
                                "attempts")
            if wait is None:
                wait = min(api.backoff_seconds * 2 ** (attempt - 1), MAX_WAIT_SECONDS)
            api.notify(f"{api.provider} {what}: {reason}; retrying in {wait:g} s "
                       f"(attempt {attempt + 1} of {attempts})")
            (api.sleep or pause)(wait)
        raise AssertionError("unreachable")

    def _json(self, body: bytes, what: str) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise PullError(f"{self.api.provider} {what}: the answer is not JSON (a proxy's "
                            "page? check --base-url)") from None

    def _failure(self, status: int, body: bytes, path: str, what: str) -> PullError:
        api = self.api
        detail = _detail(api, body)
        if status == 401:
            return PullError(f"{api.provider} refused the key from {api.key_source} "
                             f"(HTTP 401{detail}): {api.key_help}", status)
        if status == 403:
            return PullError(f"{api.provider}: the key from {api.key_source} may not read "
                             f"{path} (HTTP 403{detail}): {api.key_help}", status)
        if status in REFUSED:
            return PullError(f"{api.provider} refused {what} (HTTP {status}{detail})", status)
        return PullError(f"{api.provider} {what}: unexpected HTTP {status}{detail}", status)


def _detail(api: Api, body: bytes) -> str:
    """': <the API's error message>' from an error body (both APIs put it at error.message)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f": {api.scrub(str(message))}" if message else ""


def _transport_reason(error: Exception) -> str:
    """What went wrong on the wire, by kind, without the exception's own text (it can hold
    a URL or a proxy's credentials)."""
    name = type(error).__name__
    return {"ConnectError": "could not connect", "ConnectTimeout": "could not connect in time",
            "RemoteProtocolError": "the connection was cut", "ReadError": "the read failed",
            "WriteError": "the request could not be sent", "ProxyError": "the proxy failed",
            "UnsupportedProtocol": "not an http(s) URL"}.get(name, name)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
