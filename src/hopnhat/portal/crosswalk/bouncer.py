"""The bouncer: a small ASGI application that answers only the old portals' hosts (GOV.UK's Bouncer, beside the
main site rather than inside it). Serve it with `hopnhat portal bouncer`.

It holds no rules of its own. A request it has not seen goes through the same code as Django's path —
`middleware.request_outcome` (canonical.py + resolve.py) and `serving.respond`, behind Django's
SecurityMiddleware as in settings.MIDDLEWARE — on a thread of its own with its own database connection
(proxied calls on a small pool beside it); the 410 archive page, the old site's 404 page and proxied API calls
are rendered there by Django's templates and `requests`, in process. What it adds is speed:

* no Django request cycle (URL routing, sessions, CSRF, other middleware) on old hosts;
* a bounded LRU of finished answers per worker, keyed by the raw request (host, path, query, and the scheme a
  TLS proxy reports), for the answers that depend on nothing else: redirects, method-preserving API redirects
  (307/308) and 501 refusals. Pages (language cookie) and proxied calls are never cached;
* the cache is dropped when the crosswalk's revision number (`revision.py`, bumped in the same transaction as
  any change) moves; each worker reads it every CHECK_SECONDS, so a staff edit is served within about a second;
* misses run on ONE thread per worker: Django's code holds the GIL, and more threads only made each miss wait
  for it (measured: a third fewer misses per second with four). A proxied API call waits on another API, so
  it is handed to a pool of its own (PROXY_THREADS) instead of stalling every other miss behind it.
"""

import asyncio
import gc
import io
import os
import sys
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_to_bytes

import django
from django.apps import apps
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
if not apps.ready:  # a server worker imports this module first; the command has set Django up already
    django.setup()

from django.core.handlers.asgi import ASGIRequest  # noqa: E402  (after django.setup())
from django.db import DatabaseError, connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.middleware.security import SecurityMiddleware  # noqa: E402
from django.utils.encoding import repercent_broken_unicode  # noqa: E402

from . import revision  # noqa: E402
from .middleware import request_outcome  # noqa: E402
from .resolve import forget  # noqa: E402
from .serving import respond  # noqa: E402

CACHE_SIZE = int(os.environ.get("HOPNHAT_BOUNCER_CACHE", "50000"))
PROXY_THREADS = int(os.environ.get("HOPNHAT_BOUNCER_PROXY_THREADS", "4"))
CHECK_SECONDS = float(os.environ.get("HOPNHAT_BOUNCER_CHECK", "1.0"))
# Granian's Rust implementation of asyncio tasks (Python < 3.12): each request is a task, and a cache hit is
# little more than creating one (see the closing note of issue 4 for the measured difference).
TASK_IMPL = os.environ.get("HOPNHAT_BOUNCER_TASK_IMPL", "rust" if sys.version_info < (3, 12) else "asyncio")
CACHEABLE = {"redirect", "api", "refused"}
# A cache hit waits for the GIL while a pool thread runs Django for a miss; hand it over sooner than every 5 ms.
SWITCH_INTERVAL = float(os.environ.get("HOPNHAT_BOUNCER_SWITCH_INTERVAL", "0.0005"))
NOT_OURS = "Máy chủ này không phải trang cũ đã đăng ký / this host is not a registered old site"
# Behind a TLS proxy the answer depends on the scheme the proxy reports (HSTS on https only): part of the key.
_SCHEME_HEADER = (settings.SECURE_PROXY_SSL_HEADER[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
                  if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) else None)


class _ElsewhereError(Exception):
    """A proxied API call, met on the miss thread: it is answered again on the proxy pool."""


class _State:
    def __init__(self):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.cache: OrderedDict = OrderedDict()
        self.revision: int | None = None
        self.generation = 0  # goes up when the cache is dropped; a fill begun before that is not stored
        self.watcher: asyncio.Task | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bouncer")
        self.proxy_executor = ThreadPoolExecutor(max_workers=max(1, PROXY_THREADS), thread_name_prefix="proxy")


_state = _State()


def _django_path(raw_path: bytes) -> str:
    """request.path as Django builds it behind a WSGI server (gunicorn): %-decoded bytes, invalid UTF-8
    re-escaped. Starting from the raw bytes keeps the two paths identical whatever the ASGI server decoded."""
    return repercent_broken_unicode(unquote_to_bytes(raw_path)).decode()


def _crosswalk(request):
    request.crosswalk_outcome = outcome = request_outcome(request)
    if outcome is not None and outcome.kind == "proxy" and not request.bouncer_may_proxy:
        raise _ElsewhereError
    if outcome is None:
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain; charset=utf-8")
        return HttpResponse(NOT_OURS, status=404, content_type="text/plain; charset=utf-8")
    return respond(request, outcome)


_handler = SecurityMiddleware(_crosswalk)


def _as_asgi(response: HttpResponse) -> tuple[dict, dict]:
    body = response.content
    # Tuples, not lists: the garbage collector stops tracking containers of bytes only, so tens of thousands of
    # cached answers do not lengthen its full collections, which set the slowest 1 % of requests (misses: p99
    # ~140 ms with the collector on, ~15 ms with it off, before gc.freeze() in _watch).
    headers = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.items())
    headers += tuple((b"set-cookie", c.output(header="").strip().encode("latin-1"))
                     for c in response.cookies.values())
    headers += ((b"content-length", str(len(body)).encode()),)
    return ({"type": "http.response.start", "status": response.status_code, "headers": headers},
            {"type": "http.response.body", "body": body})


def answer(scope: dict, body: bytes, may_proxy: bool = False) -> tuple[tuple[dict, dict], bool] | None:
    """(ASGI messages, cacheable) for one request, through Django's own crosswalk code (runs in a pool thread);
    None for a proxied call when `may_proxy` is false."""
    scope = {**scope, "path": _django_path(scope.get("raw_path") or scope["path"].encode())}
    for attempt in (1, 2):
        try:
            request = ASGIRequest(scope, io.BytesIO(body))
            request.bouncer_may_proxy = may_proxy
            response = _handler(request)
            break
        except _ElsewhereError:
            return None
        except DatabaseError:
            # A connection the server dropped (restart, idle timeout): open a new one once.
            connection.close()
            if attempt == 2:
                raise
    outcome = getattr(request, "crosswalk_outcome", None)
    return _as_asgi(response), outcome is not None and outcome.kind in CACHEABLE


def _current_revision() -> int:
    try:
        return revision.current()
    except DatabaseError:
        connection.close()
        return revision.current()


def _drop(number: int | None) -> None:
    _state.revision = number
    _state.generation += 1
    _state.cache.clear()
    forget()


async def _watch() -> None:
    loop = asyncio.get_running_loop()
    # What start-up built (Django, Wagtail, the templates) lives as long as the worker: out of the collector's
    # sight, so a full collection walks only what requests leave behind.
    gc.collect()
    gc.freeze()
    while True:
        try:
            number = await loop.run_in_executor(_state.executor, _current_revision)
        except Exception:  # noqa: BLE001  (whatever it is, the task must live on)
            # Without the revision an edit could go unseen: answer without the cache until it can be read.
            number = None
        if number is None or number != _state.revision:
            _drop(number)
        await asyncio.sleep(CHECK_SECONDS)


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _start_watching() -> None:
    if _state.watcher is None:
        _state.watcher = asyncio.ensure_future(_watch())


async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                _start_watching()
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    if _state.watcher is None:  # a server without lifespan events
        _start_watching()
        await asyncio.sleep(0)
    host = scheme = b""
    if _SCHEME_HEADER is None:
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                break
    else:
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == _SCHEME_HEADER:
                scheme = value
    key = (host, scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""), scheme)
    cache = _state.cache
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        await send(hit[0])
        await send(hit[1])
        return
    generation = _state.generation
    body = await _read_body(receive)
    loop = asyncio.get_running_loop()
    answered = await loop.run_in_executor(_state.executor, answer, scope, body)
    if answered is None:
        answered = await loop.run_in_executor(_state.proxy_executor, answer, scope, body, True)
    messages, cacheable = answered
    if cacheable and CACHE_SIZE and generation == _state.generation and _state.revision is not None:
        cache[key] = messages
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    await send(messages[0])
    await send(messages[1])


def startup_info() -> dict:
    """What the command prints before serving: the settings above and what the database holds now."""
    from .models import Mapping, OldHost

    return {"cache_size": CACHE_SIZE, "proxy_threads_per_worker": PROXY_THREADS, "check_seconds": CHECK_SECONDS,
            "revision": revision.current(), "old_hosts": OldHost.objects.count(),
            "mappings": Mapping.objects.count(), "database": connection.vendor, "started_at": time.time()}


TARGET = "hopnhat.portal.crosswalk.bouncer:app"


def parse_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--bind “{bind}”: cần HOST:PORT / expected HOST:PORT")
    return host.strip("[]"), int(port)


def serve(bind: str, workers: int) -> None:
    """Run the bouncer under Granian (Rust HTTP/1.1 server, one event loop per worker process) until stopped."""
    from granian.constants import HTTPModes, Interfaces, Loops, TaskImpl
    from granian.server import Server

    address, port = parse_bind(bind)
    connection.close()  # the supervising process serves nothing; each worker opens its own connections
    Server(TARGET, address=address, port=port, interface=Interfaces.ASGI, workers=workers, http=HTTPModes.http1,
           loop=Loops.uvloop,  # named, not "auto": the measured event loop is the one every install gets
           task_impl=TaskImpl(TASK_IMPL),
           websockets=False, backlog=2048, log_access=False).serve()
