import sys
from pathlib import Path

# Test helpers (the xlwings stand-ins, LibreOffice runners) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

# The stand-in admin APIs that `xlmargin pull` is tested against, and their fixtures.
pytest_plugins = ["fake_admin_api"]
