"""Counters shared by every worker process: `hit(name, limit, window)` → True while under the limit.

With Redis configured (`REDIS_URL`) the counters live in Django's cache (atomic INCR); otherwise in the database, in
`core.RateCounter`, one row per name, upserted atomically (INSERT … ON CONFLICT DO UPDATE … RETURNING, PostgreSQL
and SQLite ≥ 3.35 alike), so gunicorn's workers, the bouncer and a second machine all see one count.
Fixed windows: the count restarts when the window (time // seconds) changes.

A row's name starts with its window's length ("3600:lookup:code:…"), and the clean-up of windows long gone
deletes only rows of the caller's own window length, by a range on the primary key. Without it, a bucket number
of one window length was compared with another's: a per-address hit (60 s, bucket ≈ 29 million) deleted every
per-code counter (3,600 s, bucket ≈ 490,000) each time it cleaned up, one request in a hundred, and the per-code
limit on guessing a dossier's phone digits started again from zero.
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
    prefix = f"{window}:"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT, [(prefix + name)[:200], bucket])
        hits = cursor.fetchone()[0]
    if random.random() < 0.01:   # now and then, forget this window length's windows long gone  # noqa: S311
        forget_old_windows(window)
    return hits


def forget_old_windows(window: int) -> int:
    """Delete the counters of this window length whose window has passed (what `count` does now and then)."""
    bucket = int(time.time() // window)
    with connection.cursor() as cursor:   # ";" follows ":": the range holds every name with the prefix
        cursor.execute("DELETE FROM core_ratecounter WHERE name >= %s AND name < %s AND bucket < %s",
                       [f"{window}:", f"{window};", bucket - 1])
        return cursor.rowcount


def hit(name: str, limit: int, window: int) -> bool:
    return count(name, window) <= limit
