import sys
from pathlib import Path

import pytest

# Test helpers (the xlwings stand-ins, LibreOffice runners) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

# The stand-in admin APIs that `xlmargin pull` is tested against, and their fixtures.
pytest_plugins = ["fake_admin_api"]


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq takes the test PostgreSQL server's password from PGPASSWORD, no password file."""
    from postgres_server import PASSWORD

    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.delenv("PGPASSFILE", raising=False)
