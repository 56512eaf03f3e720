"""The error types the core raises.

Each edge translates them: the CLI into exit code 2 and one line on stderr, an Excel function
into a short cell text starting with ``#``."""

from __future__ import annotations


class XlmarginError(Exception):
    """Base class for every error xlmargin raises on purpose."""


class InputError(XlmarginError, ValueError):
    """A value is wrong. ``where`` names the argument, field, cell or file position."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class UnknownModelError(InputError, LookupError):
    """A model name the catalog does not know; carries close matches for "did you mean"."""

    def __init__(self, name: str, suggestions: list[str], where: str = "model") -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(where, f"unknown model {name!r}{hint}")


class UnknownUseCaseError(InputError, LookupError):
    """A use-case name that is not in the preset table."""

    def __init__(self, name: str, known: list[str], where: str = "use_case") -> None:
        self.name = name
        super().__init__(where, f"unknown use case {name!r}; known: {', '.join(known)}")
