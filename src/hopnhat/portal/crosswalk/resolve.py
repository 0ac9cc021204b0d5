"""What an old URL answers now. One function, `resolve`, serves the middleware, the preview, the CLI and the
loop check.

Precedence (documented, tested):
  1. exact mapping of the canonical path with its significant query parameters,
  2. exact mapping of the canonical path without them,
  3. the longest prefix rule (`/tin-tuc/*` covers /tin-tuc and everything below it; prefixes end at a `/`),
  4. the site's global rule (redirect or archive the whole host),
  5. 404 — and the hits import turns such paths into `unresolved` mappings to decide.
Redirect targets are re-checked against the allow-list when served: a target that is no longer allowed
answers 501 "refusing to redirect", as Bouncer does. The hosts of a site that is not live (OldSite.live: its
system has not switched, or routed back) are not answered, as for an unknown host; the preview still shows them.
"""

import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save
from wagtail.models import Site

from .canonical import canonical, prefix_candidates, rest_after, split_url
from .models import AllowedHost, ApiMode, GlobalType, Mapping, MappingType, Match, OldHost, OldSite
from .safety import allowed

# Several workers each keep this directory; a change made elsewhere reaches them within TTL seconds.
TTL = 30.0


@dataclass
class _Directory:
    loaded_at: float = -TTL
    sites: dict[str, OldSite] = field(default_factory=dict)   # the hosts answered: those of live sites
    every_site: dict[str, OldSite] = field(default_factory=dict)   # every old host (preview, the allow-list)
    patterns: set[str] = field(default_factory=set)
    # Counts `forget` calls: a load that was already reading when one came must not count as fresh.
    epoch: int = 0


_directory = _Directory()


def forget(**_kwargs) -> None:
    _directory.epoch += 1
    _directory.loaded_at = -TTL


for _model in (OldSite, OldHost, AllowedHost):
    post_save.connect(forget, sender=_model, dispatch_uid=f"crosswalk-forget-{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"crosswalk-forget-del-{_model.__name__}")


def _fresh_directory() -> _Directory:
    now = time.monotonic()
    if now - _directory.loaded_at > TTL:
        epoch = _directory.epoch
        # Whether a site is live is read here, with the hosts (TTL or revision), never per request.
        _directory.every_site = {h.host: h.site for h in OldHost.objects.select_related("site")}
        _directory.sites = {host: site for host, site in _directory.every_site.items() if site.live}
        _directory.patterns = set(AllowedHost.objects.values_list("pattern", flat=True))
        _directory.loaded_at = now if epoch == _directory.epoch else -TTL
    return _directory


def site_for_host(host: str) -> OldSite | None:
    """The old site of `host`, live or not (the staff preview shows a site before it goes live)."""
    return _fresh_directory().every_site.get(host.lower().rstrip("."))


def strip_port(http_host: str) -> str:
    """The host name of a Host header; old hosts match without their port ([::1]:80 keeps its brackets)."""
    host = (http_host or "").strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass
class Outcome:
    kind: str  # redirect | archive | unresolved | api | proxy | not_found | refused
    status: int  # 301, 307, 308, 410, 404, 501; 0 for a proxied API call
    site: OldSite
    path: str  # the canonical path that was looked up
    rule: str = ""  # exact | exact-without-query | prefix | global
    mapping: Mapping | None = None
    target: str = ""  # as decided: a path on this portal or an absolute URL
    archive_copy: str = ""

    base: str = ""  # the public address to put before a path target; the configured one when empty

    @property
    def location(self) -> str:
        """The target as an absolute URL: an old host cannot send people to a path of its own."""
        return urljoin(self.base or settings.WAGTAILADMIN_BASE_URL, self.target) if self.target else ""

    def as_dict(self) -> dict:
        return {"type": self.kind, "status": self.status, "target": self.location, "rule": self.rule,
                "canonical_path": self.path, "mapping_id": self.mapping.pk if self.mapping else None,
                "archive_copy": self.archive_copy, "site": self.site.host}


def page_url(page) -> str:
    """Where a page of ours is: its path (/tin-tuc/bai/) when the portal is one site, which Outcome.location puts
    after the platform's public address (HOPNHAT_BASE_URL); its site's own address when Wagtail serves several
    sites from named hosts. Never Wagtail's placeholder site (localhost:80, what a fresh install and the demo
    have), a dead address anywhere else."""
    if page is None:
        return ""
    parts = page.get_url_parts()
    if not parts:
        return page.get_url() or ""
    _site_id, root_url, path = parts
    if not root_url or len(Site.get_site_root_paths()) < 2 or urlsplit(root_url).hostname in _PLACEHOLDER_HOSTS:
        return path
    return root_url + path


_PLACEHOLDER_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _join(target: str, rest: str, query: str) -> str:
    """Bouncer's join rule: the rest of the path goes after the target without doubling its slash; the query
    string after that, with & when the target already has one."""
    if rest and rest != "/":
        target = target.rstrip("/") + rest
    if query:
        target += ("&" if "?" in target else "?") + query
    return target


# Every old URL request runs this look-up: ONE indexed query, written once, without the ORM's per-call SQL
# compilation (which cost more than the query itself; see bench/redirects_wrk.py). It fetches the exact
# candidates and every prefix candidate together, so a request costs one round trip whatever rule answers it.
# In the model's field order, as Model.from_db expects.
_COLUMNS = tuple(f.attname for f in Mapping._meta.concrete_fields if f.attname in {
    "id", "path", "match", "type", "target_url", "target_page_id", "append_path", "api_mode", "archive_url",
    "archive_page_id", "unit_id"})


def _execute(sql: str, params: list) -> list[tuple]:
    """PostgreSQL: a prepared statement per query shape and connection (planning this OR of two index scans
    costs several times its execution); Django's own cursor elsewhere. Django turns psycopg's preparation off
    (prepare_threshold=None, which `prepare=True` does not override); its own client-side binding cursors never
    prepare, so turning it back on changes only this query."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        if connection.connection.prepare_threshold is None:
            connection.connection.prepare_threshold = 5
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_SQL: dict[tuple[str, int, int], str] = {}


def _sql(exact: int, prefixes: int) -> str:
    """The look-up for `exact` exact and `prefixes` prefix candidates, built once per shape rather than quoting
    seventeen names for every request."""
    key = (connection.vendor, exact, prefixes)
    if key not in _SQL:
        quote = connection.ops.quote_name
        columns, table = ", ".join(map(quote, _COLUMNS)), quote(Mapping._meta.db_table)
        exact_marks, prefix_marks = ", ".join(["%s"] * exact), ", ".join(["%s"] * prefixes)
        where = (f"{quote('site_id')} = %s AND (({quote('match')} = %s AND {quote('path')} IN ({exact_marks})) "
                 f"OR ({quote('match')} = %s AND {quote('path')} IN ({prefix_marks})))")
        _SQL[key] = f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608  (names are ours; values are parameters)
    return _SQL[key]


def _rows(site: OldSite, exact: list[str], prefixes: list[str]) -> list[Mapping]:
    sql = _sql(len(exact), len(prefixes))
    found = []
    for row in _execute(sql, [site.pk, Match.EXACT, *exact, Match.PREFIX, *prefixes]):
        mapping = Mapping.from_db(connection.alias, _COLUMNS, row)
        mapping.site = site
        found.append(mapping)
    return found


def _find(site: OldSite, canon: str) -> tuple[Mapping | None, str]:
    bare = canon.partition("?")[0]
    paths = [canon] if bare == canon else [canon, bare]
    found = _rows(site, paths, prefix_candidates(canon))
    exact = {m.path: m for m in found if m.match == Match.EXACT}
    for path, rule in zip(paths, ("exact", "exact-without-query"), strict=False):
        if path in exact:
            return exact[path], rule
    best = max((m for m in found if m.match == Match.PREFIX), key=lambda m: len(m.path), default=None)
    return (best, "prefix") if best else (None, "")


def outcome_for(site: OldSite, path: str, query: str = "", *, patterns: set[str] | None = None) -> Outcome:
    """The answer for one request path on `site` (see the module docstring for the precedence)."""
    canon = canonical(site, path, query)
    mapping, rule = _find(site, canon)
    passed_query = query if site.pass_query else ""
    if mapping is None:
        if site.global_type == GlobalType.REDIRECT:
            rest = rest_after(site, path, "/") if site.global_append_path else ""
            return _checked(Outcome("redirect", 301, site, canon, "global",
                                    target=_join(site.global_url, rest, passed_query)), patterns)
        if site.global_type == GlobalType.ARCHIVE:
            return Outcome("archive", 410, site, canon, "global")
        return Outcome("not_found", 404, site, canon)
    rest = rest_after(site, path, mapping.path) if rule == "prefix" and mapping.append_path else ""
    if mapping.type == MappingType.REDIRECT:
        target = page_url(mapping.target_page) or mapping.target_url
        return _checked(Outcome("redirect", 301, site, canon, rule, mapping, _join(target, rest, passed_query)),
                        patterns)
    if mapping.type == MappingType.API:
        # An API call's query string is part of the call: always passed on.
        target = _join(mapping.target_url, rest, query)
        if mapping.api_mode == ApiMode.PROXY:
            return _checked(Outcome("proxy", 0, site, canon, rule, mapping, target), patterns)
        return _checked(Outcome("api", int(mapping.api_mode or 308), site, canon, rule, mapping, target), patterns)
    copy = page_url(mapping.archive_page) or mapping.archive_url
    return Outcome(mapping.type, 410, site, canon, rule, mapping, archive_copy=copy)


def _checked(outcome: Outcome, patterns: set[str] | None) -> Outcome:
    if not outcome.target:
        return Outcome("unresolved", 410, outcome.site, outcome.path, outcome.rule, outcome.mapping)
    host = urlsplit(outcome.target).hostname
    if host and patterns is not None and not allowed(host, patterns, _directory.every_site):
        return Outcome("refused", 501, outcome.site, outcome.path, outcome.rule, outcome.mapping, outcome.target)
    return outcome


def resolve(host: str, path: str, query: str = "", *, not_live_too: bool = False) -> Outcome | None:
    """The answer for a request to an old host, or None when `host` is not one of ours — or belongs to a site that
    is not live (not switched yet, or routed back), unless `not_live_too` (staff tools asking what it will answer)."""
    directory = _fresh_directory()
    site = (directory.every_site if not_live_too else directory.sites).get(host.lower().rstrip("."))
    if site is None:
        return None
    return outcome_for(site, path, query, patterns=directory.patterns)


def resolve_url(old_url: str, *, not_live_too: bool = False) -> Outcome | None:
    host, path, query = split_url(old_url)
    return resolve(host, path, query, not_live_too=not_live_too)
