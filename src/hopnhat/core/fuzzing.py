"""What the fuzz tests (`*/tests/test_fuzz_*.py`, hypothesis) share: a bounded budget and a memory bound.

The `ci` profile (default) runs HOPNHAT_FUZZ_EXAMPLES examples per test (25) with no example database, so
`scripts/dev test` stays fast and leaves nothing behind, and derandomized: the same examples on every run, so CI
answers for the change it tests, not for the luck of the draw. Exploring is the `long` profile's job
(`HOPNHAT_FUZZ_PROFILE=long`: 2 000 random examples per test, failures kept in var/hypothesis for the next run);
what it finds becomes a plain regression test (see consolidation/tests/test_repeated_keys.py).
The contract every parser is held to: it returns, or raises one of the project's named errors; never a crash,
never unbounded memory.
"""

import os
import tracemalloc

from django.conf import settings as django_settings
from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                        HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=int(os.environ.get("HOPNHAT_FUZZ_EXAMPLES", "25")), database=None,
                          derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HOPNHAT_FUZZ_PROFILE", "ci"))
if os.environ.get("HOPNHAT_FUZZ_PROFILE") == "long":
    from hypothesis.database import DirectoryBasedExampleDatabase

    settings.register_profile("long", max_examples=2000, database=DirectoryBasedExampleDatabase(
        str(django_settings.VAR_DIR / "hypothesis")), **_COMMON)
    settings.load_profile("long")

MEMORY_BOUND_MB = 64


def bounded(call, allowed: tuple[type[BaseException], ...] = (), mb: int = MEMORY_BOUND_MB):
    """Run `call()`: return its result, or the allowed error it raised; fail on any other exception or when
    Python allocations peak above `mb` megabytes."""
    tracemalloc.start()
    try:
        try:
            return call()
        except allowed as exc:
            return exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < mb * 1024 * 1024, f"peak {peak / 2**20:.1f} MB > {mb} MB"
