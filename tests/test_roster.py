"""Roster CSV and settings files: the starter templates read cleanly, and a bad file lists
every problem with its row and column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from xlmargin.catalog import Catalog
from xlmargin.errors import InputError
from xlmargin.models import MAX_CELL_CHARS
from xlmargin.roster import (
    ProblemsError,
    read_roster,
    read_roster_inputs,
    read_settings,
    starter_roster,
    starter_settings,
)

ROOT = Path(__file__).resolve().parents[1]
CATALOG = Catalog(as_of=date(2026, 11, 1))
HEADER = "client,use_case,interactions_per_day,model,monthly_revenue\n"


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_match_the_bundled_copies() -> None:
    # `xlmargin new` reads the package's copies; users copy templates/. They must not drift.
    assert (ROOT / "templates" / "roster.csv").read_bytes() == starter_roster().read_bytes()
    assert (ROOT / "templates" / "agency.toml").read_bytes() == starter_settings().read_bytes()


def test_starter_roster() -> None:
    clients = read_roster(starter_roster(), CATALOG)
    assert len(clients) == 12
    models = {c.model for c in clients}
    assert {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"} <= models
    assert any(m.startswith("claude-3-5-haiku") for m in models)
    typed = [c for c in clients if c.input_tokens is not None]
    assert [(c.input_tokens, c.output_tokens) for c in typed] == [(1200, 1500)]
    settings = read_settings(starter_settings())
    assert settings.infra.buffer == 0.20
    assert settings.infra.base_monthly_usd == pytest.approx(3 * 14.50 + 80 + 10)


def test_names_are_forgiving(tmp_path: Path) -> None:
    path = write(tmp_path, "Client,Use Case,Interactions,Model,Revenue\n"
                           "A,Customer support chatbot,10,Claude 3.5 Sonnet,\"$1,500\"\n")
    (client,) = read_roster(path, CATALOG)
    assert (client.use_case, client.model, client.monthly_revenue) == (
        "customer_support", "claude-3-5-sonnet", 1500.0)


def test_every_bad_row_is_listed_by_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER
                 + "Good,customer_support,10,gpt-4o,1000\n"
                 + "Texty,customer_support,lots,gpt-4o,1000\n"
                 + "Negative,customer_support,-5,gpt-4o,1000\n"
                 + "Unknown model,customer_support,10,gpt-17-ultra,1000\n"
                 + "Unknown case,space_travel,10,gpt-4o,1000\n"
                 + "No revenue,customer_support,10,gpt-4o,\n")
    with pytest.raises(ProblemsError) as caught:
        read_roster(path, CATALOG)
    problems = caught.value.problems
    assert len(problems) == 5
    assert problems[0] == "row 3, column interactions_per_day: expected a number, got 'lots'"
    assert problems[1].startswith("row 4, column interactions_per_day: must not be negative")
    assert problems[2].startswith("row 5, column model: unknown model 'gpt-17-ultra'")
    assert problems[3].startswith("row 6, column use_case: unknown use case 'space_travel'")
    assert problems[4] == "row 7, column monthly_revenue: blank; expected a number"
    assert str(path) in str(caught.value)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "client,model,revenue\nA,gpt-4o,100\n")
    with pytest.raises(ProblemsError) as caught:
        read_roster(path, CATALOG)
    assert caught.value.problems == [
        "row 1: missing column interactions_per_day",
        "row 1: missing column use_case (or both input_tokens and output_tokens)",
    ]


def test_tokens_instead_of_a_use_case(tmp_path: Path) -> None:
    path = write(tmp_path, "client,model,interactions_per_day,monthly_revenue,input_tokens,"
                           "output_tokens\nA,gpt-4o,10,100,500,\n")
    with pytest.raises(ProblemsError, match="row 2, column use_case: blank"):
        read_roster(path, CATALOG)


def test_text_longer_than_a_cell_holds(tmp_path: Path) -> None:
    notes = "x" * (MAX_CELL_CHARS + 1)
    path = write(tmp_path, HEADER.strip() + ",notes\n"
                 f"A,customer_support,10,gpt-4o,100,{notes}\n")
    with pytest.raises(ProblemsError, match="row 2, column notes: longer than Excel's 32,767"):
        read_roster(path, CATALOG)


def test_bad_settings_list_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, "target_margin = 1.5\n[infra]\nseats = -1\n"
                           "[multipliers]\nretry_rate = 2\ncontext = 3\n", "agency.toml")
    with pytest.raises(ProblemsError) as caught:
        read_settings(path)
    fields = [p.split(":")[0] for p in caught.value.problems]
    assert sorted(fields) == ["infra.seats", "multipliers.context", "multipliers.retry_rate",
                              "target_margin"]


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="roster file not found"):
        read_roster(tmp_path / "nope.csv", CATALOG)
    with pytest.raises(InputError, match="not valid TOML"):
        read_settings(write(tmp_path, "seats = [", "agency.toml"))


def test_priced_rows_say_which_row_they_came_from(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "A,customer_support,10,gpt-4o,1000\n\n"
                                    "B,rag,20,gpt-4o,2000\n")
    priced, _settings, _open_weight = read_roster_inputs(path, as_of=date(2026, 11, 1))
    assert [(c.client, c.where) for c in priced] == [("A", f"{path}: row 2"),
                                                     ("B", f"{path}: row 4")]
