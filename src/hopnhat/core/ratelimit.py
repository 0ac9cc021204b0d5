"""Counters shared by every worker process: `hit(name, limit, window)` → True while under the limit.

With Redis configured (`REDIS_URL`) the counters live in Django's cache (atomic INCR); otherwise in the database, in
`core.RateCounter`, one row per name, upserted atomically (INSERT … ON CONFLICT DO UPDATE … RETURNING, PostgreSQL
and SQLite ≥ 3.35 alike), so gunicorn's workers, the bouncer and a second machine all see one count.
Fixed windows: the count restarts when the window (time // seconds) changes.
"""

import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

_UPSERT = (
    "INSERT INTO core_ratecounter (name, bucket, hits) VALUES (%s, %s, 1) "
    "ON CONFLICT (name) DO UPDATE SET "
    "hits = CASE WHEN core_ratecounter.bucket = excluded.bucket THEN core_ratecounter.hits + 1 ELSE 1 END, "
    "bucket = excluded.bucket RETURNING hits"
)


def _store() -> str:
    return getattr(settings, "HOPNHAT_RATE_STORE", "database")


def count(name: str, window: int) -> int:
    """Add one hit to `name` in the current window and return the window's count."""
    bucket = int(time.time() // window)
    if _store() == "cache":
        key = f"hopnhat:rate:{name}:{bucket}"
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:   # expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT, [name[:200], bucket])
        hits = cursor.fetchone()[0]
        if random.random() < 0.01:   # now and then, forget windows long gone  # noqa: S311
            cursor.execute("DELETE FROM core_ratecounter WHERE bucket < %s", [bucket - 1])
    return hits


def hit(name: str, limit: int, window: int) -> bool:
    return count(name, window) <= limit
