"""The bouncer: a small ASGI application that answers only the old portals' hosts (GOV.UK's Bouncer, beside the
main site rather than inside it). Serve it with `hopnhat portal bouncer`.

It holds no rules of its own. A request it has not seen goes through the same code as Django's path —
`middleware.request_outcome` (canonical.py + resolve.py) and `serving.respond`, behind Django's
SecurityMiddleware as in settings.MIDDLEWARE — on a small pool of threads, each with its own database
connection; the 410 archive page, the old site's 404 page and proxied API calls are rendered there by Django's
templates and `requests`, in process. What it adds is speed:

* no Django request cycle (URL routing, sessions, CSRF, other middleware) on old hosts;
* a bounded LRU of finished answers per worker, keyed by the raw request (host, path, query), for the answers
  that depend on nothing else: redirects, method-preserving API redirects (307/308) and 501 refusals. Pages
  (language cookie) and proxied calls are never cached;
* the cache is dropped when the crosswalk's revision number (`revision.py`, bumped in the same transaction as
  any change) moves; each worker reads it every CHECK_SECONDS, so a staff edit is served within about a second.
"""

import asyncio
import io
import os
import sys
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_to_bytes

import django
from django.apps import apps

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
THREADS = int(os.environ.get("HOPNHAT_BOUNCER_THREADS", "4"))
CHECK_SECONDS = float(os.environ.get("HOPNHAT_BOUNCER_CHECK", "1.0"))
CACHEABLE = {"redirect", "api", "refused"}
# A cache hit waits for the GIL while a pool thread runs Django for a miss; hand it over sooner than every 5 ms.
SWITCH_INTERVAL = float(os.environ.get("HOPNHAT_BOUNCER_SWITCH_INTERVAL", "0.0005"))
NOT_OURS = "Máy chủ này không phải trang cũ đã đăng ký / this host is not a registered old site"


class _State:
    def __init__(self):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.cache: OrderedDict = OrderedDict()
        self.revision: int | None = None
        self.generation = 0  # goes up when the cache is dropped; a fill begun before that is not stored
        self.watcher: asyncio.Task | None = None
        self.executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="bouncer")


_state = _State()


def _django_path(raw_path: bytes) -> str:
    """request.path as Django builds it behind a WSGI server (gunicorn): %-decoded bytes, invalid UTF-8
    re-escaped. Starting from the raw bytes keeps the two paths identical whatever the ASGI server decoded."""
    return repercent_broken_unicode(unquote_to_bytes(raw_path)).decode()


def _crosswalk(request):
    request.crosswalk_outcome = outcome = request_outcome(request)
    if outcome is None:
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain; charset=utf-8")
        return HttpResponse(NOT_OURS, status=404, content_type="text/plain; charset=utf-8")
    return respond(request, outcome)


_handler = SecurityMiddleware(_crosswalk)


def _as_asgi(response: HttpResponse) -> tuple[dict, dict]:
    body = response.content
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.items()]
    headers += [(b"set-cookie", c.output(header="").strip().encode("latin-1")) for c in response.cookies.values()]
    headers.append((b"content-length", str(len(body)).encode()))
    return ({"type": "http.response.start", "status": response.status_code, "headers": headers},
            {"type": "http.response.body", "body": body})


def answer(scope: dict, body: bytes) -> tuple[tuple[dict, dict], bool]:
    """(ASGI messages, cacheable) for one request, through Django's own crosswalk code (runs in a pool thread)."""
    scope = {**scope, "path": _django_path(scope.get("raw_path") or scope["path"].encode())}
    for attempt in (1, 2):
        try:
            request = ASGIRequest(scope, io.BytesIO(body))
            response = _handler(request)
            break
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


async def app(scope, receive, send):
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    if _state.watcher is None:
        _state.watcher = asyncio.ensure_future(_watch())
        await asyncio.sleep(0)
    host = b""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    key = (host, scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""))
    cache = _state.cache
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        await send(hit[0])
        await send(hit[1])
        return
    generation = _state.generation
    body = await _read_body(receive)
    messages, cacheable = await asyncio.get_running_loop().run_in_executor(_state.executor, answer, scope, body)
    if cacheable and CACHE_SIZE and generation == _state.generation and _state.revision is not None:
        cache[key] = messages
        if len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    await send(messages[0])
    await send(messages[1])


def startup_info() -> dict:
    """What the command prints before serving: the settings above and what the database holds now."""
    from .models import Mapping, OldHost

    return {"cache_size": CACHE_SIZE, "threads_per_worker": THREADS, "check_seconds": CHECK_SECONDS,
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
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.server import Server

    address, port = parse_bind(bind)
    connection.close()  # the supervising process serves nothing; each worker opens its own connections
    Server(TARGET, address=address, port=port, interface=Interfaces.ASGI, workers=workers, http=HTTPModes.http1,
           loop=Loops.uvloop,  # named, not "auto": the measured event loop is the one every install gets
           websockets=False, backlog=2048, log_access=False).serve()
