"""What xlmargin attributes to the article is what the article says: each quote of
``xlmargin.article`` is checked against the article's own text, and each place that shows a
quote (the workbook's sheets, the README, the help texts) shows it as the table has it."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

import pytest

from xlmargin import article, calc
from xlmargin.article import QUOTES, Quote
from xlmargin.cli import build_parser
from xlmargin.presets import CLIENT_TYPES, USE_CASES
from xlmargin.sheets import NATIVE
from xlmargin.sheets.files import build_from_files

ROOT = Path(__file__).parents[1]
ARTICLE = ROOT.parent / "shared" / "000_1c3cda77217d73ae.txt"
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def words(text: str) -> str:
    """Whitespace as one space: the README and the help texts wrap lines anywhere."""
    return " ".join(text.split())


def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(text)]


@pytest.fixture(scope="module")
def article_text() -> str:
    if not ARTICLE.is_file():
        pytest.fail(f"the article is missing: expected it at {ARTICLE} (the repository's "
                    "../shared folder); the quotes cannot be checked without it")
    return words(ARTICLE.read_text(encoding="utf-8"))


def scaled(quote: Quote) -> list[float]:
    """The values as the article prints them: 3 for a 3% quote's 0.03."""
    return [v * 100 if quote.percent else v for v in quote.values]


@pytest.mark.parametrize("key", list(QUOTES))
def test_quote_is_the_articles_words(article_text: str, key: str) -> None:
    quote = QUOTES[key]
    for fragment in quote.wording:
        assert words(fragment) in article_text, f"{key}: not in the article: {fragment!r}"
    printed = [n for fragment in quote.wording for n in numbers(fragment)]
    for value in scaled(quote):
        assert any(value == pytest.approx(n, rel=1e-12) for n in printed), (
            f"{key}: {value:g} is not a number of the article's words {quote.wording}")
    # What xlmargin shows says the same numbers, in the same order.
    assert numbers(quote.text) == pytest.approx(scaled(quote), rel=1e-12), key


def test_known_misquotes_are_gone() -> None:
    """The Assumptions sheet once said 800-1,500 prompt tokens, 5-10% retries and 2-3x."""
    assert article.SYSTEM_PROMPT_RANGE.values == (500.0, 2000.0)
    assert article.RETRY_RANGE.values == (0.03, 0.08)
    assert article.CONTEXT_RANGE.values == (2.5, 3.0)


def test_presets_are_the_articles_tables() -> None:
    for case in USE_CASES:
        row = article.USE_CASE_ROWS[case.key]
        assert f"| {case.label} |" in row.wording[0]
        assert row.values == (case.input_tokens, case.output_tokens)
    for kind in CLIENT_TYPES:
        row = article.CLIENT_TYPE_ROWS[kind.key]
        assert f"| {kind.label} |" in row.wording[0]
        assert row.values == (kind.low, kind.high)


def test_engine_defaults_are_the_articles() -> None:
    assert calc.SYSTEM_PROMPT_TOKENS == 1000 and calc.CONTEXT_MULTIPLIER == 2.5
    assert calc.RETRY_RATE == 0.05 and calc.POWER_USER_MULTIPLIER == 1.15
    assert calc.BASE_MONTHLY_USD == article.BASE_MONTHLY.values[-1] == 133.5
    assert calc.PER_CLIENT_USD == article.PER_CLIENT_USD.values[0] == 5


def test_sensitivity_ranges_come_from_the_table() -> None:
    from xlmargin.sensitivity import ARTICLE_RANGES

    ends = {r.assumption: (r.low, r.high) for r in ARTICLE_RANGES}
    assert ends == {"retry_rate": (0.03, 0.08), "context_multiplier": (2.5, 3.0),
                    "system_prompt_tokens": (500, 2000), "power_user_multiplier": (1.10, 1.15),
                    "embeddings_overhead": (0.05, 0.15)}


# --- Where each quote is shown ----------------------------------------------------------------

SHEETS = {article.ASSUMPTIONS_SHEET: "Assumptions", article.SENSITIVITY_SHEET: "Sensitivity",
          article.CROSSOVER_SHEET: "Crossover"}
HELPS = {article.COST_HELP: "cost", article.CROSSOVER_HELP: "crossover",
         article.SENSITIVITY_HELP: "sensitivity"}


@pytest.fixture(scope="module")
def sheet_texts() -> dict[str, list[str]]:
    wb, _count = build_from_files("Acme", mode=NATIVE, as_of=date(2026, 11, 1))
    return {ws.title: [c.value for row in ws.iter_rows() for c in row
                       if isinstance(c.value, str) and c.data_type == "s"]
            for ws in wb.worksheets}


def subparser(command: str) -> argparse.ArgumentParser:
    action = next(a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def shown_in(place: str, sheet_texts: dict[str, list[str]]) -> str:
    if place == article.README:
        return words((ROOT / "README.md").read_text(encoding="utf-8"))
    if place in SHEETS:
        return words(" | ".join(sheet_texts[SHEETS[place]]))
    if place in HELPS:
        return words(subparser(HELPS[place]).format_help())
    raise AssertionError(f"unknown place {place!r}")


PLACES = [*SHEETS, *HELPS, article.README]


@pytest.mark.parametrize("place", PLACES)
def test_each_place_shows_its_quotes(place: str, sheet_texts: dict[str, list[str]]) -> None:
    shown = shown_in(place, sheet_texts)
    quoted = {k: q for k, q in QUOTES.items() if place in q.used_in}
    assert quoted, f"no quote is used on {place}"
    for key, quote in quoted.items():
        assert words(quote.text) in shown, f"{place} does not show {key}: {quote.text!r}"


def allowed_numbers(place: str) -> set[float]:
    """Numbers a passage naming the article may hold on ``place``: those of its quotes, as the
    table says them and as the article prints them."""
    found: set[float] = set()
    for quote in QUOTES.values():
        if place in quote.used_in:
            found.update(numbers(quote.text))
            found.update(n for fragment in quote.wording for n in numbers(fragment))
            found.update(quote.values)
    return found


def article_passages(text: str) -> list[str]:
    """The clauses of ``text`` that attribute something to the article."""
    clauses = re.split(r"(?<=[.;])\s|[()]", words(text))
    return [c for c in clauses if "article" in c.lower()]


@pytest.mark.parametrize("place", [*SHEETS, *HELPS])
def test_every_number_said_to_be_the_articles_is_a_quote(
        place: str, sheet_texts: dict[str, list[str]]) -> None:
    """The other way round: a number next to "the article" on a sheet or in a help text is one
    of the table's, so a hand-typed range cannot creep back in."""
    allowed = allowed_numbers(place)
    texts = sheet_texts[SHEETS[place]] if place in SHEETS else [
        subparser(HELPS[place]).format_help()]
    passages = [p for text in texts for p in article_passages(text)]
    assert passages, place
    for passage in passages:
        stray = [n for n in numbers(passage) if n not in allowed]
        assert not stray, f"{place}: {passage!r} says {stray} without a quote for it"


def test_cost_defaults_are_the_articles() -> None:
    parser = subparser("cost")
    group = next(g for g in parser._action_groups if "the article's defaults" in (g.title or ""))
    defaults = {a.dest: a.default for a in group._group_actions}
    quoted = {"system_prompt_tokens": article.SYSTEM_PROMPT,
              "context_multiplier": article.CONTEXT_MULTIPLIER,
              "retry_rate": article.RETRY_RATE,
              "power_user_multiplier": article.POWER_USER_MULTIPLIER, "days": article.DAYS}
    assert defaults == {dest: q.values[0] for dest, q in quoted.items()}
    assert all(article.COST_DEFAULTS in q.used_in for q in quoted.values())
