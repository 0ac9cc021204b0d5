"""Warm a web server's code before it forks its workers (deploy/gunicorn.conf.py, `when_ready`).

With `preload_app` gunicorn's master imports Django once and forks the workers from it; but a fresh worker's first
requests still import the URL configuration and every view module, compile the templates and fill the lazy caches
— a second or more of CPU per worker on a small machine, paid while people wait, and paid again by every worker
the master forks after a kill -9. Sending a few anonymous requests through Django in the master, before the fork,
pays it once, out of everyone's way: the workers start with it done (copy-on-write). Database connections the
warm-up opened are closed before the fork (a connection must never be shared by two processes).
"""

import logging
import time

log = logging.getLogger(__name__)

PATHS = ("/healthz", "/", "/dang-nhap/", "/tim-kiem/?q=th%E1%BB%A7+t%E1%BB%A5c", "/ho-so/tra-cuu/",
         "/don-vi/tra-cuu/?q=x")


def warm(paths=PATHS) -> dict:
    """GET each path through the whole Django stack (middleware, URL resolution, views, templates); returns
    {path: status} and the seconds it took. Never raises: a warm-up that fails leaves the workers cold, nothing
    worse."""
    started, answers = time.monotonic(), {}
    try:
        from django.conf import settings
        from django.test import Client
        from django.urls import get_resolver

        get_resolver().url_patterns    # noqa: B018 — imports every app's urls and views
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
        client = Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
        for path in paths:
            try:
                answers[path] = client.get(path, secure=True).status_code
            except Exception as exc:      # noqa: BLE001 — a warm-up never stops a start
                answers[path] = f"{type(exc).__name__}"
    except Exception as exc:              # noqa: BLE001
        log.warning("warm-up failed: %s", exc)
    finally:
        from django.db import connections

        connections.close_all()
    return {"answers": answers, "seconds": round(time.monotonic() - started, 2)}
