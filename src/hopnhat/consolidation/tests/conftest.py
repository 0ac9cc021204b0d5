import pytest

from .legacy_hr import LegacyHr, make_units_and_agencies


@pytest.fixture
def legacy_hr():
    """Hà Giang's old HR database, fresh in the local MariaDB for each test, dropped afterwards."""
    db = LegacyHr().create()
    yield db
    db.drop()


@pytest.fixture
def org(db):
    return make_units_and_agencies()
