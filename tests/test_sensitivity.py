"""Sensitivity: the low / expected / high cases and the one-at-a-time drivers, with expected
numbers worked out here by hand from the article's formula and ranges; then the command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmargin import calc
from xlmargin.catalog import Catalog
from xlmargin.cli import main
from xlmargin.models import AgencySettings, Infra, Multipliers
from xlmargin.portfolio import PricedClient, compute
from xlmargin.roster import (
    preset_use_cases,
    price_roster,
    read_roster,
    read_settings,
    starter_roster,
    starter_settings,
)
from xlmargin.sensitivity import ARTICLE_RANGES, RETRIEVAL_USE_CASES, analyse, is_retrieval
from xlmargin.sheets import NATIVE
from xlmargin.sheets.files import build_from_files, save_atomic

ARTICLE = AgencySettings(infra=Infra(buffer=0.0))  # the article's defaults
AS_OF = "2026-11-01"


def client(name: str, input_tokens: float, output_tokens: float, per_day: float,
           price_in: float = 2.5, price_out: float = 10.0) -> PricedClient:
    """gpt-4o at the article's $2.50 / $10.00 unless told otherwise."""
    return PricedClient(name, "gpt-4o", input_tokens, output_tokens, per_day, 1500.0, price_in,
                        price_out, price_in)


def first_cheaper(api_per_client: float, base: float = 133.5, per_client: float = 5.0) -> int:
    """The crossover by walking n up: the first n where base + per_client * n < n * api."""
    n = 1
    while base + per_client * n >= n * api_per_client:
        n += 1
    return n


# --- One customer-support client on GPT-4o, 100 interactions a day (the article's example) ---

SUPPORT = client("Support", 350, 250, 100)


def support_cost(prompt: float, context: float, retry: float, power: float) -> float:
    input_tokens = (350 + prompt) * 100 * 30 * context * (1 + retry) * power
    output_tokens = 250 * 100 * 30 * context * (1 + retry) * power
    return input_tokens * 2.5 / 1e6 + output_tokens * 10.0 / 1e6


def test_one_support_client_low_expected_high() -> None:
    result = analyse([SUPPORT], [False], ARTICLE)
    high = ((350 + 2000) * 100 * 30 * 3.0 * 1.08 * 1.15 * 2.5
            + 250 * 100 * 30 * 3.0 * 1.08 * 1.15 * 10.0) / 1e6        # 65.67 + 27.95
    expected = ((350 + 1000) * 100 * 30 * 2.5 * 1.05 * 1.15 * 2.5
                + 250 * 100 * 30 * 2.5 * 1.05 * 1.15 * 10.0) / 1e6     # 30.56 + 22.64
    low = ((350 + 500) * 100 * 30 * 2.5 * 1.03 * 1.10 * 2.5
           + 250 * 100 * 30 * 2.5 * 1.03 * 1.10 * 10.0) / 1e6          # 18.06 + 21.24
    assert result.high.api_cogs == pytest.approx(high, rel=1e-12)
    assert result.expected.api_cogs == pytest.approx(expected, rel=1e-12)
    assert result.low.api_cogs == pytest.approx(low, rel=1e-12)
    assert result.high.api_cogs == pytest.approx(93.62, abs=0.005)
    assert result.expected.api_cogs == pytest.approx(53.31, abs=0.15)  # the article: $53.31
    assert result.low.api_cogs == pytest.approx(39.30, abs=0.005)
    # No retrieval: the embeddings' 5% / 15% do not touch a support client.
    assert result.high.values["embeddings_overhead"] == 0.15
    # One client: the average is the total. Self-hosting: $133.50 + $5 per client.
    #   low:      133.5 / (39.30 - 5) = 3.89 -> 4 clients
    #   expected: 133.5 / (53.21 - 5) = 2.77 -> 3 clients
    #   high:     133.5 / (93.62 - 5) = 1.51 -> 2 clients
    assert [c.crossover for c in result.cases] == [4, 3, 2]
    assert [c.crossover for c in result.cases] == [first_cheaper(c) for c in (low, expected,
                                                                              high)]
    assert result.expected.average_api_cost == result.expected.api_cogs


def test_one_support_client_drivers_sorted_by_swing() -> None:
    result = analyse([SUPPORT], [False], ARTICLE)
    e = dict(prompt=1000, context=2.5, retry=0.05, power=1.15)
    swings = {
        "system_prompt_tokens": (support_cost(**{**e, "prompt": 500}),      # $41.89
                                 support_cost(**{**e, "prompt": 2000})),    # $75.85
        "context_multiplier": (support_cost(**{**e, "context": 2.5}),       # $53.21
                               support_cost(**{**e, "context": 3.0})),      # $63.85
        "retry_rate": (support_cost(**{**e, "retry": 0.03}),                # $52.19
                       support_cost(**{**e, "retry": 0.08})),               # $54.73
        "power_user_multiplier": (support_cost(**{**e, "power": 1.10}),     # $50.89
                                  support_cost(**{**e, "power": 1.15})),    # $53.21
        "embeddings_overhead": (support_cost(**e), support_cost(**e)),      # no retrieval
    }
    # Swings: prompt 33.96 > context 10.64 > retry 2.53 > power users 2.31 > embeddings 0.
    assert [d.assumption for d in result.drivers] == [
        "system_prompt_tokens", "context_multiplier", "retry_rate", "power_user_multiplier",
        "embeddings_overhead"]
    for d in result.drivers:
        low, high = swings[d.assumption]
        assert d.low_api_cogs == pytest.approx(low, rel=1e-12), d.assumption
        assert d.high_api_cogs == pytest.approx(high, rel=1e-12), d.assumption
        assert d.swing == pytest.approx(abs(high - low), rel=1e-9, abs=1e-12)
    # The context multiplier's low end and the power users' high end are the defaults.
    context = next(d for d in result.drivers if d.assumption == "context_multiplier")
    assert context.low_api_cogs == pytest.approx(result.expected.api_cogs, rel=1e-12)


def test_ties_keep_the_table_order() -> None:
    # A client with no tokens at all: every swing is 0, so the article's order stays.
    result = analyse([client("Idle", 0, 0, 0)], [True], ARTICLE)
    assert [d.assumption for d in result.drivers] == [r.assumption for r in ARTICLE_RANGES]
    assert all(d.swing == 0 for d in result.drivers)
    assert result.expected.crossover is None  # $0 per client never pays for a server


# --- Embeddings: retrieval clients only ----------------------------------------------------

RAG = client("RAG", 800, 400, 150, 3.0, 15.0)  # document Q&A on Claude 3.5 Sonnet


def rag_cost(prompt: float, context: float, retry: float, power: float) -> float:
    k = 150 * 30 * context * (1 + retry) * power
    return ((800 + prompt) * k * 3.0 + 400 * k * 15.0) / 1e6


def test_embeddings_apply_to_retrieval_clients_only() -> None:
    result = analyse([SUPPORT, RAG], [False, True], ARTICLE)
    # The embeddings' low end is the expected 0%: the article's 5% would cost more than
    # expected, and the range is widened to take in expected (low <= expected <= high).
    low = (support_cost(500, 2.5, 0.03, 1.10)
           + rag_cost(500, 2.5, 0.03, 1.10) * 1.00)
    high = (support_cost(2000, 3.0, 0.08, 1.15)
            + rag_cost(2000, 3.0, 0.08, 1.15) * 1.15)   # and 15% at the high end
    expected = support_cost(1000, 2.5, 0.05, 1.15) + rag_cost(1000, 2.5, 0.05, 1.15)  # 0%
    assert result.low.api_cogs == pytest.approx(low, rel=1e-12)
    assert result.high.api_cogs == pytest.approx(high, rel=1e-12)
    assert result.expected.api_cogs == pytest.approx(expected, rel=1e-12)
    embeddings = next(d for d in result.drivers if d.assumption == "embeddings_overhead")
    rag = rag_cost(1000, 2.5, 0.05, 1.15)
    assert embeddings.low == 0.0  # min(5%, the expected 0%)
    assert embeddings.low_api_cogs == pytest.approx(expected, rel=1e-12)
    assert embeddings.high_api_cogs == pytest.approx(expected + 0.15 * rag, rel=1e-12)
    # The same two clients, neither retrieving: no embeddings anywhere.
    plain = analyse([SUPPORT, RAG], [False, False], ARTICLE)
    assert plain.high.api_cogs == pytest.approx(
        support_cost(2000, 3.0, 0.08, 1.15) + rag_cost(2000, 3.0, 0.08, 1.15), rel=1e-12)


def test_non_retrieval_clients_keep_the_expected_embeddings() -> None:
    # An agency that set 10% embeddings for everyone: report charges every client 10%; the
    # cases move only the retrieval client's share to 5% / 15%.
    tenth = AgencySettings(infra=Infra(buffer=0.0), multipliers=Multipliers(
        embeddings_overhead=0.10))
    result = analyse([SUPPORT, RAG], [False, True], tenth)
    assert result.expected.api_cogs == pytest.approx(
        compute([SUPPORT, RAG], tenth).api_cogs, rel=1e-12)
    assert result.low.api_cogs == pytest.approx(
        support_cost(500, 2.5, 0.03, 1.10) * 1.10 + rag_cost(500, 2.5, 0.03, 1.10) * 1.05,
        rel=1e-12)
    assert result.high.api_cogs == pytest.approx(
        support_cost(2000, 3.0, 0.08, 1.15) * 1.10 + rag_cost(2000, 3.0, 0.08, 1.15) * 1.15,
        rel=1e-12)


def test_retrieval_use_cases() -> None:
    assert RETRIEVAL_USE_CASES == ("document_qa",)
    assert is_retrieval("document_qa", RETRIEVAL_USE_CASES)
    assert is_retrieval("Document_QA", RETRIEVAL_USE_CASES)
    assert not is_retrieval("customer_support", RETRIEVAL_USE_CASES)
    assert not is_retrieval(None, RETRIEVAL_USE_CASES)
    assert not is_retrieval("", RETRIEVAL_USE_CASES)


# --- Against the engine: every case is the sum of calc.api_cost over the clients ------------

clients_strategy = st.lists(st.tuples(
    st.floats(0, 5000), st.floats(0, 5000), st.floats(0, 3000), st.floats(0, 60),
    st.floats(0, 80), st.floats(0, 1), st.booleans()), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(rows=clients_strategy, share=st.floats(0, 1), embeddings=st.floats(0, 0.3))
def test_every_case_is_the_engines_sum(rows: list[tuple[float, ...]], share: float,
                                       embeddings: float) -> None:
    clients = [PricedClient(f"c{i}", "m", i_t, o_t, per_day, 100.0, p_in, p_out, p_in * cache)
               for i, (i_t, o_t, per_day, p_in, p_out, cache, _r) in enumerate(rows)]
    retrieval = [r[-1] for r in rows]
    agency = AgencySettings(multipliers=Multipliers(cached_input_share=share,
                                                    embeddings_overhead=embeddings))
    result = analyse(clients, retrieval, agency)
    base = agency.multipliers.model_dump()

    def engine(values: dict[str, float]) -> float:
        total = 0.0
        for c, uses in zip(clients, retrieval, strict=True):
            m = {**base, **values,
                 "embeddings_overhead": values["embeddings_overhead"] if uses else embeddings}
            total += calc.api_cost(c.input_tokens, c.output_tokens, c.interactions_per_day,
                                   c.input_usd_per_mtok, c.output_usd_per_mtok,
                                   cache_read_usd_per_mtok=c.cache_read_usd_per_mtok, **m)
        return total

    for case in result.cases:
        assert case.api_cogs == pytest.approx(engine(case.values), rel=1e-9, abs=1e-9)
    assert result.expected.api_cogs == pytest.approx(compute(clients, agency).api_cogs,
                                                     rel=1e-9, abs=1e-9)
    for d in result.drivers:
        expected_values = result.expected.values
        assert d.low_api_cogs == pytest.approx(
            engine({**expected_values, d.assumption: d.low}), rel=1e-9, abs=1e-9)
        assert d.high_api_cogs == pytest.approx(
            engine({**expected_values, d.assumption: d.high}), rel=1e-9, abs=1e-9)
    swings = [d.swing for d in result.drivers]
    assert swings == sorted(swings, reverse=True)
    for case in result.cases:
        average = case.api_cogs / len(clients)
        assert case.crossover == calc.crossover(average, agency.infra.base_monthly_usd,
                                                agency.infra.per_client_usd,
                                                agency.infra.buffer)


# --- The command ---------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape_and_report_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    roster, agency = starter_roster(), starter_settings()
    code, out, err = run(capsys, "sensitivity", roster, "--settings", agency, "--as-of", AS_OF,
                         "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) >= {"low", "expected", "high", "drivers"}
    for case in ("low", "expected", "high"):
        assert set(data[case]) >= {"api_cogs", "crossover"}
    assert data["low"]["api_cogs"] < data["expected"]["api_cogs"] < data["high"]["api_cogs"]
    assert [set(d) >= {"assumption", "low_api_cogs", "high_api_cogs"}
            for d in data["drivers"]] == [True] * 5
    swings = [abs(d["high_api_cogs"] - d["low_api_cogs"]) for d in data["drivers"]]
    assert swings == sorted(swings, reverse=True)
    assert data["clients"] == 12
    code, out, _ = run(capsys, "report", roster, "--settings", agency, "--as-of", AS_OF,
                       "--json")
    report = json.loads(out)
    assert data["expected"]["api_cogs"] == pytest.approx(report["totals"]["api_cogs"],
                                                         rel=1e-12)
    assert data["expected"]["crossover"] == report["crossover"]
    # Keller & Stone and Atlas (document_qa) are the retrieval clients: the embeddings
    # driver's low end is the expected 0% (min(5%, 0%)), the high end adds 15% of their cost.
    rag = sum(c["api_cost"] for c in report["clients"]
              if c["client"] in ("Keller & Stone Law", "Atlas Manufacturing"))
    embeddings = next(d for d in data["drivers"] if d["assumption"] == "embeddings_overhead")
    assert (embeddings["low"], embeddings["high"]) == (0.0, 0.15)
    assert embeddings["low_api_cogs"] == pytest.approx(report["totals"]["api_cogs"], rel=1e-12)
    assert embeddings["high_api_cogs"] == pytest.approx(report["totals"]["api_cogs"]
                                                        + 0.15 * rag, rel=1e-12)


def test_readable_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sensitivity", starter_roster(), "--as-of", AS_OF)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Case", "API", "COGS"]
    assert [line.split()[0] for line in lines[2:5]] == ["Low", "Expected", "High"]
    assert "System prompt tokens   500 to 2,000" in out
    assert "12 clients." in out


def test_workbook_and_roster_give_the_same_numbers(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    wb, _count = build_from_files("Acme", mode=NATIVE, as_of=date.fromisoformat(AS_OF),
                                  settings=starter_settings())
    path = tmp_path / "acme.xlsx"
    save_atomic(wb, path)
    code, out, err = run(capsys, "sensitivity", path, "--json")
    assert code == 0 and err == ""
    from_book = json.loads(out)
    code, out, _ = run(capsys, "sensitivity", starter_roster(), "--settings", starter_settings(),
                       "--as-of", AS_OF, "--json")
    from_roster = json.loads(out)
    for case in ("low", "expected", "high"):
        assert from_book[case]["api_cogs"] == pytest.approx(from_roster[case]["api_cogs"],
                                                            rel=1e-12)
        assert from_book[case]["crossover"] == from_roster[case]["crossover"]
    assert [d["assumption"] for d in from_book["drivers"]] == [
        d["assumption"] for d in from_roster["drivers"]]


def test_workbook_edits_to_the_ranges_are_used(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    wb, _count = build_from_files("Acme", mode=NATIVE, as_of=date.fromisoformat(AS_OF))
    path = tmp_path / "acme.xlsx"
    save_atomic(wb, path)
    code, out, _ = run(capsys, "sensitivity", path, "--json")
    before = json.loads(out)
    book = load_workbook(path)
    names = {n: d.attr_text.split("!")[1].replace("$", "") for n, d in book.defined_names.items()}
    ws = book["Sensitivity"]
    ws[names["HighRetryRate"]] = 0.20                          # a rougher provider
    ws[names["RetrievalUseCases"].split(":")[0]] = None        # nobody pays for embeddings
    ws[names["LowSystemPromptTokens"]] = "lots"                # a bad cell: the article's 500
    book.save(path)
    code, out, err = run(capsys, "sensitivity", path, "--json")
    assert code == 0
    after = json.loads(out)
    assert "Sensitivity!B14: expected a number, got 'lots'; using the article's 500" in err
    assert after["high"]["assumptions"]["retry_rate"] == 0.20
    drivers = {d["assumption"]: d for d in after["drivers"]}
    for end in ("low_api_cogs", "high_api_cogs"):
        assert drivers["embeddings_overhead"][end] == pytest.approx(after["expected"]["api_cogs"],
                                                                    rel=1e-12)
    retry = drivers["retry_rate"]
    # Retry enters as (1 + retry): the 20% end is the expected total * 1.20 / 1.05.
    assert retry["high_api_cogs"] == pytest.approx(after["expected"]["api_cogs"] * 1.20 / 1.05,
                                                   rel=1e-12)
    # The same through the engine: the starter roster, nobody retrieving, retry's high end 20%.
    catalog = Catalog(as_of=date.fromisoformat(AS_OF))
    roster = read_roster(starter_roster(), catalog)
    priced = price_roster(roster, {c.model.lower(): catalog.lookup(c.model) for c in roster},
                          preset_use_cases())
    ranges = tuple(replace(r, high=0.20) if r.assumption == "retry_rate" else r
                   for r in ARTICLE_RANGES)
    direct = analyse(priced, [False] * len(priced), read_settings(starter_settings()), ranges)
    for case in direct.cases:
        assert after[case.name]["api_cogs"] == pytest.approx(case.api_cogs, rel=1e-12)
    # Nobody retrieving: the embeddings' end no longer matters, and the low case (whose
    # embeddings end was already the expected 0%) is unchanged.
    assert after["low"]["api_cogs"] == pytest.approx(before["low"]["api_cogs"], rel=1e-12)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sensitivity", tmp_path / "missing.csv")
    assert code == 2 and out == "" and err.count("\n") == 1 and "not found" in err
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook", encoding="utf-8")
    code, _, err = run(capsys, "sensitivity", text)
    assert code == 2 and err.count("\n") == 1 and "not an Excel workbook" in err
    wb, _count = build_from_files("Acme", mode=NATIVE, as_of=date.fromisoformat(AS_OF))
    book = tmp_path / "acme.xlsx"
    save_atomic(wb, book)
    code, _, err = run(capsys, "sensitivity", book, "--settings", starter_settings())
    assert code == 2 and err.count("\n") == 1 and "--settings: applies to a roster CSV" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("client,model,interactions_per_day,monthly_revenue,use_case\n",
                     encoding="utf-8")
    code, _, err = run(capsys, "sensitivity", empty)
    assert code == 2 and "no clients" in err


def test_workbook_without_the_sheet_uses_the_articles_ranges(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    wb, _count = build_from_files("Acme", mode=NATIVE, as_of=date.fromisoformat(AS_OF))
    path = tmp_path / "acme.xlsx"
    save_atomic(wb, path)
    code, out, _ = run(capsys, "sensitivity", path, "--json")
    with_sheet = json.loads(out)
    book = load_workbook(path)  # a workbook made before the Sensitivity sheet existed
    del book["Sensitivity"]
    book.save(path)
    code, out, err = run(capsys, "sensitivity", path, "--json")
    assert code == 0
    assert "warning: no Sensitivity sheet: using the article's ranges" in err
    without = json.loads(out)
    for case in ("low", "expected", "high"):
        assert without[case]["api_cogs"] == pytest.approx(with_sheet[case]["api_cogs"],
                                                          rel=1e-12)


def test_a_client_whose_numbers_overflow_is_left_out_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("client,use_case,interactions_per_day,model,monthly_revenue\n"
                      "Support,customer_support,100,gpt-4o,1500\n"
                      "Huge,customer_support,1e308,gpt-4o,900\n", encoding="utf-8")
    code, out, err = run(capsys, "sensitivity", roster, "--as-of", AS_OF, "--json")
    assert code == 1, err  # reported, but incomplete
    data = json.loads(out)
    assert data["warnings"] == [f"{roster}: row 3: client 'Huge' skipped: API cost: too large "
                                "to compute (the inputs overflow a float)"]
    assert data["complete"] is False
    assert [(s["row"], s["cell"]) for s in data["skipped"]] == [(3, f"{roster}: row 3")]
    assert data["clients"] == 1
    # The article's GPT-4o support client alone, at each case's values (embeddings: not RAG).
    assert data["expected"]["api_cogs"] == pytest.approx(support_cost(1000, 2.5, 0.05, 1.15))
    assert data["expected"]["average_api_cost"] == data["expected"]["api_cogs"]
    assert data["high"]["api_cogs"] == pytest.approx(support_cost(2000, 3.0, 0.08, 1.15))
    prompt = next(d for d in data["drivers"] if d["assumption"] == "system_prompt_tokens")
    assert prompt["high_api_cogs"] == pytest.approx(support_cost(2000, 2.5, 0.05, 1.15))


@settings(max_examples=80, deadline=None)
@given(rows=clients_strategy, retry=st.floats(0, 0.3), context=st.floats(1, 4),
       prompt=st.floats(0, 4000), power=st.floats(1, 1.6), embeddings=st.floats(0, 0.4))
def test_low_is_never_above_expected_nor_high_below(rows: list[tuple[float, ...]], retry: float,
                                                    context: float, prompt: float,
                                                    power: float, embeddings: float) -> None:
    # Whatever the workbook's expected values, inside the article's ranges or outside them.
    clients = [PricedClient(f"c{i}", "m", i_t, o_t, per_day, 100.0, p_in, p_out, p_in * cache)
               for i, (i_t, o_t, per_day, p_in, p_out, cache, _r) in enumerate(rows)]
    agency = AgencySettings(multipliers=Multipliers(
        retry_rate=retry, context_multiplier=context, system_prompt_tokens=prompt,
        power_user_multiplier=power, embeddings_overhead=embeddings))
    result = analyse(clients, [r[-1] for r in rows], agency)
    tolerance = 1e-9 * (1 + result.expected.api_cogs)
    assert result.low.api_cogs <= result.expected.api_cogs + tolerance
    assert result.expected.api_cogs <= result.high.api_cogs + tolerance
    for d in result.drivers:
        assert d.low <= result.expected.values[d.assumption] <= d.high
        assert d.low_api_cogs <= result.expected.api_cogs + tolerance, d
        assert result.expected.api_cogs <= d.high_api_cogs + tolerance, d
