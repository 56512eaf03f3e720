"""The article's planning tables: tokens per interaction by use case, and interactions per day
by client type."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xlmargin.errors import InputError, UnknownUseCaseError


def slug(text: str) -> str:
    """'Document Q&A / RAG' -> 'document_q_a_rag': the form names are compared in."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@dataclass(frozen=True, slots=True)
class UseCase:
    """Average tokens per interaction for one kind of workload (section 1's first table)."""

    key: str
    label: str
    input_tokens: int
    output_tokens: int
    aliases: tuple[str, ...] = ()
    uses_retrieval: bool = False


USE_CASES: tuple[UseCase, ...] = (
    UseCase("customer_support", "Customer support chatbot", 350, 250, ("support", "chatbot")),
    UseCase("document_qa", "Document Q&A / RAG", 800, 400, ("rag", "document_q_a"),
            uses_retrieval=True),
    UseCase("lead_qualification", "Lead qualification", 200, 150, ("leads",)),
    UseCase("content_generation", "Content generation", 300, 800, ("content",)),
    UseCase("data_extraction", "Data extraction / classification", 500, 100,
            ("extraction", "classification")),
)


@dataclass(frozen=True, slots=True)
class ClientType:
    """Interactions per day for a client size (section 1's second table)."""

    key: str
    label: str
    low: int
    high: int

    @property
    def planning(self) -> float:
        """The middle of the range: a planning number when the real volume is unknown."""
        return (self.low + self.high) / 2


CLIENT_TYPES: tuple[ClientType, ...] = (
    ClientType("small_business", "Small business (1-10 employees)", 20, 50),
    ClientType("mid_market", "Mid-market (50-500 employees)", 100, 300),
    ClientType("enterprise", "Enterprise (500+ employees)", 500, 2000),
)


def _index_use_cases() -> dict[str, UseCase]:
    index: dict[str, UseCase] = {}
    for case in USE_CASES:
        for name in (case.key, case.label, *case.aliases):
            index[slug(name)] = case
    return index


_USE_CASE_INDEX = _index_use_cases()


def use_case(name: str, where: str = "use_case") -> UseCase:
    """Find a use case by key, article label or alias, ignoring case and punctuation."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(where, "expected a use-case name")
    found = _USE_CASE_INDEX.get(slug(name))
    if found is None:
        raise UnknownUseCaseError(name, [c.key for c in USE_CASES], where)
    return found


def client_type(name: str, where: str = "client_type") -> ClientType:
    """Find a client type by key, label or the start of its key ('small', 'mid'); a start two
    types share is refused rather than guessed."""
    wanted = slug(name) if isinstance(name, str) else ""
    exact = [k for k in CLIENT_TYPES if wanted in (k.key, slug(k.label))]
    found = exact or [k for k in CLIENT_TYPES if wanted and k.key.startswith(wanted)]
    if len(found) == 1:
        return found[0]
    known = ", ".join(k.key for k in CLIENT_TYPES)
    if found:
        raise InputError(where, f"{name!r} could be {' or '.join(k.key for k in found)}: "
                         "type more of it")
    raise InputError(where, f"unknown client type {name!r}; known: {known}")


def is_guess(name: str, key: str, label: str) -> bool:
    """Whether ``name`` found its use case or client type by an alias or a start of the key
    (a guess to tell the user about) rather than by the key or the article's label."""
    return slug(name) not in (slug(key), slug(label))
