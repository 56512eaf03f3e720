"""Loose roster values read by a good guess are said once, with the rows and the value each
became; a guess that could go two ways is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlmargin.catalog import Catalog
from xlmargin.errors import InputError
from xlmargin.presets import client_type
from xlmargin.roster import read_roster_rows


def roster(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text("client,use_case,interactions_per_day,model,monthly_revenue,client_type\n"
                    + rows, encoding="utf-8")
    return path


def test_each_guess_is_said_once_with_its_rows(tmp_path: Path) -> None:
    path = roster(tmp_path, "A,support,10,gpt-4o,$1500,mid\n"
                            "B,support,10,gpt-4o,900,Mid-market\n"
                            'C,Customer support chatbot,10,gpt-4o,"$1,200.50",small\n'
                            "D,support,10,gpt-4o,900,\nE,support,10,gpt-4o,900,\n")
    notes: list[str] = []
    clients = [c for _row, c in read_roster_rows(path, Catalog(), notes.append)]
    assert [c.use_case for c in clients] == ["customer_support"] * 5
    assert [c.monthly_revenue for c in clients[:3]] == [1500, 900, 1200.50]
    assert [c.client_type for c in clients[:3]] == ["mid_market", "mid_market", "small_business"]
    assert notes == [
        f"{path}: column monthly_revenue: '$1500' read as 1500 (row 2)",
        f"{path}: column use_case: 'support' read as customer_support (rows 2, 3, 5 and 1 more)",
        f"{path}: column client_type: 'mid' read as mid_market (row 2)",
        f"{path}: column monthly_revenue: '$1,200.50' read as 1200.5 (row 4)",
        f"{path}: column client_type: 'small' read as small_business (row 4)",
    ]  # the keys, the article's labels and plain numbers are no guesses: nothing said


def test_a_guess_that_could_go_two_ways_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from xlmargin import presets

    # Two types sharing a start, as a table with 'mid' and 'midsize' would.
    twins = (*presets.CLIENT_TYPES,
             presets.ClientType("mid_size", "Mid-size", 50, 100))
    monkeypatch.setattr(presets, "CLIENT_TYPES", twins)
    with pytest.raises(InputError, match=r"'mid' could be mid_market or mid_size: type more"):
        client_type("mid")
    assert client_type("mid_size").key == "mid_size"  # a key is never ambiguous
