"""Access logs of the old portals → hits per canonical path → `unresolved` mappings for what is unmapped,
ranked by how often people asked for it (GOV.UK Transition's hits import and "logs mappings robot").

Reads the nginx/Apache "combined" format, and "vhost_combined" (host:port first) for logs of several hosts;
plain or gzipped, streamed line by line.
A file is imported once: its sha256 is recorded in the same transaction as its hits.
"""

import datetime
import gzip
import hashlib
import re
from collections import Counter
from pathlib import Path

from django.db import transaction
from django.db.models import F, Sum

from hopnhat.core import audit

from . import revision
from .api import actor_name, ensure_site
from .canonical import BadOldUrl, canonical, split_url
from .models import Hit, HitsFile, Mapping, MappingType, MappingVersion, Match, OldHost, OldSite
from .resolve import outcome_for

LINE = re.compile(
    r'^(?:(?P<vhost>[^\s:]+)(?::\d+)? )?(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+)(?: [^"]*)?" (?P<status>\d{3}) \S+')
# Assets and robots' probes are not pages anyone needs redirected.
IGNORED_SUFFIXES = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".woff", ".woff2", ".ttf",
                    ".map", ".webp")
IGNORED_PATHS = {"/robots.txt", "/favicon.ico", "/wp-login.php", "/xmlrpc.php", "/.env", "/sitemap.xml"}
# A path that answered 200 on the old site or 404 on ours is a page someone wants: it needs a decision.
NEEDS_DECISION = {200, 404}
MAX_ERRORS_LISTED = 20
ROBOT = "system:hits-import"


class HitsError(ValueError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _lines(path: Path):
    """(number, text) of each line, streamed; rotated logs may be gzipped (access.log.2.gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            yield number, raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _parse(line: str):
    m = LINE.match(line)
    if not m:
        return None
    when = datetime.datetime.strptime(m["time"], "%d/%b/%Y:%H:%M:%S %z")
    return m["vhost"], m["method"], m["target"], int(m["status"]), when.date()


def import_log(path: str | Path, *, site_host: str | None = None, actor=ROBOT) -> dict:
    path = Path(path)
    digest = _sha256(path)
    report = {"file": str(path), "checksum": digest, "already_imported": False, "lines": 0, "accepted": 0,
              "ignored": 0, "bad_lines": 0, "errors": [], "unknown_hosts": [], "new_unresolved": 0}
    if HitsFile.objects.filter(checksum=digest).exists():
        report["already_imported"] = True
        return report
    default_site = ensure_site(site_host, actor=actor) if site_host else None
    sites = {h.host: h.site for h in OldHost.objects.select_related("site")}
    counts: Counter = Counter()
    unknown: set[str] = set()
    for number, line in _lines(path):
        if not line.strip():
            continue
        report["lines"] += 1
        parsed = _parse(line)
        if parsed is None:
            report["bad_lines"] += 1
            if len(report["errors"]) < MAX_ERRORS_LISTED:
                report["errors"].append(f"{path.name}:{number}: không đọc được dòng nhật ký / unreadable log line")
            continue
        vhost, method, target, status, day = parsed
        site = sites.get(vhost.lower()) if vhost else default_site
        if site is None:
            unknown.add(vhost or "?")
            continue
        if target.startswith(("http://", "https://")):
            try:
                _, req_path, query = split_url(target)
            except BadOldUrl:
                report["ignored"] += 1
                continue
        else:
            req_path, _, query = target.partition("?")
        if method not in {"GET", "HEAD"} or req_path.lower().endswith(IGNORED_SUFFIXES) \
                or req_path.lower() in IGNORED_PATHS:
            report["ignored"] += 1
            continue
        try:
            canon = canonical(site, req_path, query)
        except BadOldUrl:
            report["ignored"] += 1
            continue
        counts[(site.pk, canon, status, day)] += 1
        report["accepted"] += 1
    report["unknown_hosts"] = sorted(unknown)
    with transaction.atomic():
        _store(counts)
        report["new_unresolved"] = _robot_mappings(counts, actor)
        _refresh_mapping_hits({(site_id, canon) for site_id, canon, _, _ in counts})
        HitsFile.objects.create(checksum=digest, name=path.name, lines=report["lines"], accepted=report["accepted"])
        audit.record(actor, "crosswalk.hits_import", None, file=path.name, checksum=digest,
                     accepted=report["accepted"], new_unresolved=report["new_unresolved"])
    return report


def _store(counts: Counter) -> None:
    for (site_id, canon, status, day), n in counts.items():
        updated = Hit.objects.filter(site_id=site_id, path=canon, status=status, day=day).update(
            count=F("count") + n)
        if not updated:
            Hit.objects.create(site_id=site_id, path=canon, status=status, day=day, count=n)


def _robot_mappings(counts: Counter, actor) -> int:
    """One `unresolved` mapping per wanted path that nothing answers yet (no exact, prefix or global rule)."""
    wanted = {(site_id, canon) for site_id, canon, status, _ in counts if status in NEEDS_DECISION}
    sites = OldSite.objects.in_bulk({site_id for site_id, _ in wanted})
    created = []
    for site_id, canon in sorted(wanted):
        path, _, query = canon.partition("?")
        if outcome_for(sites[site_id], path, query).kind == "not_found":
            created.append(Mapping(site_id=site_id, path=canon, match=Match.EXACT, type=MappingType.UNRESOLVED,
                                   version=1, updated_by=actor_name(actor)))
    Mapping.objects.bulk_create(created, batch_size=1000)
    if created:
        revision.bump()
    saved = Mapping.objects.filter(type=MappingType.UNRESOLVED, match=Match.EXACT, version=1,
                                   site_id__in={m.site_id for m in created}, path__in=[m.path for m in created])
    MappingVersion.objects.bulk_create([
        MappingVersion(mapping=m, site_id=m.site_id, path=m.path, version=1, action="crosswalk.hits_robot",
                       data=m.snapshot(), actor=m.updated_by) for m in saved], batch_size=1000)
    return len(created)


def _refresh_mapping_hits(keys: set[tuple[int, str]]) -> None:
    for site_id, canon in keys:
        total = Hit.objects.filter(site_id=site_id, path=canon).aggregate(n=Sum("count"))["n"] or 0
        Mapping.objects.filter(site_id=site_id, match=Match.EXACT, path=canon).update(hits=total)


def unmapped_ranking(site: OldSite | None = None, limit: int = 50) -> list[dict]:
    """Unresolved old URLs, most requested first: the order in which to decide them."""
    rows = Mapping.objects.filter(type=MappingType.UNRESOLVED).select_related("site")
    if site is not None:
        rows = rows.filter(site=site)
    return [{"old_url": f"http://{m.site.host}{m.pattern}", "hits": m.hits}
            for m in rows.order_by("-hits", "path")[:limit]]
