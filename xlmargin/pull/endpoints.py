"""What each admin API serves and the query each needs: daily buckets, grouped as finely as
the endpoint allows by what names a client (project, API key, workspace) and what sets a
price (model, batch or service tier), the page size at its maximum for daily buckets.

OpenAI takes unix seconds and repeats array parameters (``group_by=model&group_by=...``, as
the official cookbook sends them); Anthropic takes RFC 3339 times and bracketed arrays
(``group_by[]=model``, as its docs' examples send them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser lists the endpoints; the HTTP side waits for a pull
    from xlmargin.pull.http import Api

OPENAI_URL = "https://api.openai.com"
ANTHROPIC_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
OPENAI_KEY_ENV, ANTHROPIC_KEY_ENV = "OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY"


@dataclass(frozen=True)
class Endpoint:
    provider: str
    """'openai' or 'anthropic': the first part of the page files' names."""
    name: str
    """The endpoint's short name, the second part of the file names."""
    path: str
    group_by: tuple[str, ...]
    limit: int
    """Buckets per page: the most a daily page may hold."""
    billed: bool = False
    """A cost endpoint (dollars as billed), kept apart from token usage."""

    @property
    def stem(self) -> str:
        return f"{self.provider}-{self.name}"

    def params(self, start: datetime, end: datetime, page: str | None) -> list[tuple[str, str]]:
        """The query of one page of the window [start, end)."""
        if self.provider == "openai":
            found = [("start_time", str(int(start.timestamp()))),
                     ("end_time", str(int(end.timestamp()))), ("bucket_width", "1d")]
            found += [("group_by", g) for g in self.group_by]
        else:
            found = [("starting_at", rfc3339(start)), ("ending_at", rfc3339(end)),
                     ("bucket_width", "1d")]
            found += [("group_by[]", g) for g in self.group_by]
        found.append(("limit", str(self.limit)))
        if page is not None:
            found.append(("page", page))
        return found


def rfc3339(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


_KEYS = ("project_id", "api_key_id")
_USAGE = "/v1/organization/usage/"
OPENAI: tuple[Endpoint, ...] = (
    Endpoint("openai", "completions", _USAGE + "completions", (*_KEYS, "model", "batch"), 31),
    Endpoint("openai", "embeddings", _USAGE + "embeddings", (*_KEYS, "model"), 31),
    Endpoint("openai", "images", _USAGE + "images", (*_KEYS, "model", "size", "source"), 31),
    Endpoint("openai", "audio_speeches", _USAGE + "audio_speeches", (*_KEYS, "model"), 31),
    Endpoint("openai", "audio_transcriptions", _USAGE + "audio_transcriptions",
             (*_KEYS, "model"), 31),
    Endpoint("openai", "web_search_calls", _USAGE + "web_search_calls", (*_KEYS, "model"), 31),
    Endpoint("openai", "file_search_calls", _USAGE + "file_search_calls", _KEYS, 31),
    Endpoint("openai", "vector_stores", _USAGE + "vector_stores", ("project_id",), 31),
    Endpoint("openai", "code_interpreter_sessions", _USAGE + "code_interpreter_sessions",
             ("project_id",), 31),
    # Costs' limit goes to 180, but a month's 31 days keep one page per file.
    Endpoint("openai", "costs", "/v1/organization/costs", (*_KEYS, "line_item"), 31,
             billed=True),
)
"""Moderations are free: not pulled."""
ANTHROPIC: tuple[Endpoint, ...] = (
    Endpoint("anthropic", "messages", "/v1/organizations/usage_report/messages",
             ("api_key_id", "workspace_id", "model", "service_tier"), 31),
    Endpoint("anthropic", "cost", "/v1/organizations/cost_report",
             ("workspace_id", "description"), 31, billed=True),
)
ENDPOINTS = {"openai": OPENAI, "anthropic": ANTHROPIC}


def openai_api(key: str, key_source: str, base_url: str | None) -> Api:
    from xlmargin.pull.http import Api

    return Api("OpenAI", (base_url or OPENAI_URL).rstrip("/"),
               {"Authorization": f"Bearer {key}", "Accept": "application/json",
                "User-Agent": _agent()},
               key, key_source,
               "the usage and costs endpoints need an organization Admin key (Organization "
               "settings > Admin keys) with read access to usage (api.usage.read); a project "
               "key cannot read them")


def anthropic_api(key: str, key_source: str, base_url: str | None) -> Api:
    from xlmargin.pull.http import Api

    return Api("Anthropic", (base_url or ANTHROPIC_URL).rstrip("/"),
               {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION,
                "Accept": "application/json", "User-Agent": _agent()},
               key, key_source,
               "the usage and cost reports need an organization Admin key (sk-ant-admin..., "
               "Console > Settings > Admin keys); a workspace API key cannot read them")


def _agent() -> str:
    from xlmargin import __version__

    return f"xlmargin/{__version__}"
