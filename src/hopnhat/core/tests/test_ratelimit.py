"""core.ratelimit's database store: counters of different window lengths live side by side, and the clean-up of
one length's old windows never touches another's (a per-address hit once reset every per-code counter)."""

import time

import pytest

from hopnhat.core import ratelimit
from hopnhat.core.models import RateCounter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_store(settings):
    settings.HOPNHAT_RATE_STORE = "database"


def test_a_short_window_cleaning_up_leaves_a_long_windows_counts(monkeypatch):
    for _ in range(3):
        ratelimit.count("lookup:code:000.00.01.H26-250625-0001", 3600)
    ratelimit.count("lookup:ip:203.0.113.7", 60)
    # A per-address counter of a window long gone, and one of the window before the current one (kept).
    now = int(time.time() // 60)
    RateCounter.objects.create(name="60:lookup:ip:198.51.100.1", bucket=now - 30, hits=9)
    RateCounter.objects.create(name="60:lookup:ip:198.51.100.2", bucket=now - 1, hits=9)
    RateCounter.objects.create(name="600:lookup:ip:198.51.100.3", bucket=int(time.time() // 600), hits=2)

    assert ratelimit.forget_old_windows(60) == 1
    names = set(RateCounter.objects.values_list("name", flat=True))
    assert "60:lookup:ip:198.51.100.1" not in names
    assert {"60:lookup:ip:198.51.100.2", "600:lookup:ip:198.51.100.3", "60:lookup:ip:203.0.113.7"} <= names
    # The hour's count goes on from 3, whatever the minute's clean-up did.
    assert ratelimit.count("lookup:code:000.00.01.H26-250625-0001", 3600) == 4


def test_the_clean_up_runs_now_and_then_from_count_itself(monkeypatch):
    monkeypatch.setattr(ratelimit.random, "random", lambda: 0.0)   # every call cleans up
    for _ in range(5):
        ratelimit.count("lookup:code:X", 3600)
        assert ratelimit.count("lookup:ip:203.0.113.9", 60) >= 1
    assert ratelimit.count("lookup:code:X", 3600) == 6
    assert not ratelimit.hit("lookup:code:X", 6, 3600)
