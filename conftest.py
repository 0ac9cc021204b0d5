"""Test-wide settings: tests talk to the real database named by DATABASE_URL (SQLite by default, the
local PostgreSQL server in CI's second pass)."""

import os

import pytest

os.environ.setdefault("HOPNHAT_TESTING", "1")
os.environ.setdefault("HOPNHAT_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))


@pytest.fixture(scope="session")
def national_units(django_db_setup, django_db_blocker):
    """The whole national unit graph (14,149 units, ~14,300 edges), loaded once per test session and kept for
    every test that asks for it; returns load_national_units()'s report. Tests still need `db` to query it.
    A test that empties tables (transactional_db) takes it away from the tests after it: load it again there."""
    from hopnhat.org.units_load import load_national_units

    with django_db_blocker.unblock():
        return load_national_units()


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    flagged = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return flagged or "transactional_db" in item.fixturenames or "live_server" in item.fixturenames


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that build the few units they need run before the national graph is loaded (it stays for the rest
    of the session), and, as pytest-django orders them, transactional tests (which empty the tables) run last."""
    items.sort(key=lambda item: (_is_transactional(item), "national_units" in item.fixturenames))
