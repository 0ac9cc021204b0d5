"""Polite HTTP for old portals: allowed hosts only (redirects included), robots.txt obeyed, one request per
`delay` seconds per host, bodies capped, no cookies, a named user agent."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urlsplit

from .base import MediaRefused, host_of

USER_AGENT = "hopnhat-portal-import/0.1 (+https://github.com/hopnhat; cong thong tin hop nhat)"
DEFAULT_DELAY = 1.0
TIMEOUT = 20


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    body: bytes


class _ConfinedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, fetcher: Fetcher):
        self.fetcher = fetcher

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not self.fetcher.allowed(newurl):
            raise MediaRefused(f"chuyển hướng ra ngoài máy chủ được phép / redirect to a host not allowed: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    def __init__(self, allowed, *, delay: float = DEFAULT_DELAY, max_bytes: int, respect_robots: bool = True):
        self.allowed = allowed
        self.delay = delay
        self.max_bytes = max_bytes
        self.respect_robots = respect_robots
        self._last: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._opener = urllib.request.build_opener(_ConfinedRedirects(self))

    def _wait(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            pause = self.delay - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
        self._last[host] = time.monotonic()

    def _raw(self, url: str, max_bytes: int) -> Response:
        self._wait(host_of(url))
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 — http(s) only
        try:
            with self._opener.open(request, timeout=TIMEOUT) as resp:  # noqa: S310 — scheme checked in allowed()
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise MediaRefused(f"tệp quá lớn ({length} byte > {max_bytes}) / too large: {url}")
                body = resp.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise MediaRefused(f"tệp quá lớn (> {max_bytes} byte) / too large: {url}")
                return Response(resp.geturl(), resp.status, resp.headers.get_content_type(), body)
        except urllib.error.HTTPError as exc:
            raise MediaRefused(f"máy chủ trả về HTTP {exc.code} / the server answered HTTP {exc.code}: {url}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise MediaRefused(f"không tải được / cannot fetch {url}: {exc}") from None

    def robots_allow(self, url: str) -> bool:
        if not self.respect_robots:
            return True
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        parser = self._robots.get(base)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser()
            try:
                text = self._raw(base + "/robots.txt", 512 * 1024).body.decode("utf-8", "replace")
                parser.parse(text.splitlines())
            except MediaRefused:
                parser.parse([])          # no robots.txt: everything allowed
            self._robots[base] = parser
        return parser.can_fetch(USER_AGENT, url)

    def get(self, url: str, *, max_bytes: int | None = None) -> Response:
        if not self.allowed(url):
            raise MediaRefused(f"máy chủ không được phép / host not allowed: {host_of(url)}")
        if not self.robots_allow(url):
            raise MediaRefused(f"robots.txt không cho phép / disallowed by robots.txt: {url}")
        return self._raw(url, max_bytes or self.max_bytes)


def fetcher_for(source) -> Fetcher:
    """One fetcher per source object, so the rate limit and robots cache hold across items and files."""
    fetcher = getattr(source, "_fetcher", None)
    if fetcher is None:
        fetcher = Fetcher(source.allowed, delay=float(source.config.get("delay", DEFAULT_DELAY)),
                          max_bytes=source.max_media_bytes,
                          respect_robots=source.config.get("respect_robots", True))
        source._fetcher = fetcher
    return fetcher
