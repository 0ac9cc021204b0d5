"""The crosswalk's write side: every decision about an old URL goes through `decide`, which validates it
(allow-list, loops, what each type needs), keeps a version and appends to the audit chain in one transaction.

Importers call `map_url` once per imported item; the CSV import, the staff form and the hits robot call
`decide` directly.
"""

from django.db import transaction

from hopnhat.core import audit

from . import recanonicalise
from . import resolve as resolving
from .canonical import BadOldUrl, canonical_rule, split_url
from .models import AllowedHost, ApiMode, GlobalType, Mapping, MappingType, MappingVersion, OldHost, OldSite
from .safety import RefusedTarget, check_target

MAX_HOPS = 10


class MappingError(ValueError):
    """A decision that cannot be saved; the message says why, Vietnamese first. `details` holds the records
    concerned when there are several (the conflicts of a re-canonicalisation)."""

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.details = details or {}


def actor_name(actor) -> str:
    return actor if isinstance(actor, str) else actor.get_username()


def ensure_site(host: str, *, actor, unit=None, name: str = "", system: str = "") -> OldSite:
    """The old site answering on `host`, created (audited) the first time an import or a person names it. An
    import names its migration `system`: the site then follows that system's cutover (`cutover.py`)."""
    host = host.strip().lower().rstrip(".")
    known = OldHost.objects.select_related("site").filter(host=host).first()
    if known:
        site = known.site
        if unit is not None and site.unit_id is None:
            site.unit = unit
            site.save(update_fields=["unit"])
            audit.record(actor, "crosswalk.site.unit", site, host=host, unit=unit.node_id)
        return site
    from .cutover import starts_live

    with transaction.atomic():
        site = OldSite.objects.create(host=host, name=name or host, unit=unit, system=system,
                                      live=starts_live(system))
        OldHost.objects.create(site=site, host=host)
        audit.record(actor, "crosswalk.site.create", site, host=host, unit=unit.node_id if unit else None,
                     **({"system": system, "live": site.live} if system else {}))
    return site


def _old_target(url: str) -> tuple[OldSite, str, str] | None:
    """(site, path, query) when `url` points at another old host we serve; None for anywhere else."""
    if url.startswith("/"):
        return None
    try:
        host, path, query = split_url(url)
    except BadOldUrl:
        return None
    known = OldHost.objects.select_related("site").filter(host=host).first()
    return (known.site, path, query) if known else None


def check_no_loop(site: OldSite, path: str, target: str) -> None:
    """Follow the chain from `target` through our own old hosts; refuse a chain that comes back or never ends."""
    seen = {(site.pk, path)}
    for _ in range(MAX_HOPS):
        hop = _old_target(target)
        if hop is None:
            return
        hop_site, hop_path, hop_query = hop
        outcome = resolving.outcome_for(hop_site, hop_path, hop_query)
        if (hop_site.pk, outcome.path) in seen:
            raise MappingError(
                f"vòng lặp chuyển hướng: {target} dẫn lại về {site.host}{path} "
                f"/ redirect loop: {target} leads back to {site.host}{path}")
        seen.add((hop_site.pk, outcome.path))
        if outcome.kind not in {"redirect", "api"}:
            return
        target = outcome.target
    raise MappingError(f"chuỗi chuyển hướng dài quá {MAX_HOPS} bước / redirect chain longer than {MAX_HOPS} hops")


def validate(mapping: Mapping, actor=None) -> None:
    kind = mapping.type
    if kind == MappingType.REDIRECT and not (mapping.target_page_id or mapping.target_url):
        raise MappingError("chuyển hướng cần trang hoặc địa chỉ đích / a redirect needs a page or a target URL")
    if kind == MappingType.API:
        if not mapping.target_url:
            raise MappingError("ánh xạ API cần địa chỉ API mới / an API mapping needs the new API's URL")
        if mapping.api_mode not in ApiMode.values:
            raise MappingError(f"chế độ API “{mapping.api_mode}” không hợp lệ (307, 308, proxy) / bad API mode")
    if kind in {MappingType.REDIRECT, MappingType.API} and mapping.target_url:
        try:
            check_target(mapping.target_url, actor=actor, site=mapping.site)
        except RefusedTarget as exc:
            raise MappingError(str(exc)) from exc
        check_no_loop(mapping.site, mapping.path, mapping.target_url)
    if mapping.archive_url:
        try:
            check_target(mapping.archive_url, actor=actor, site=mapping.site)
        except RefusedTarget as exc:
            raise MappingError(str(exc)) from exc


FIELDS = ("type", "target_page", "target_url", "append_path", "api_mode", "archive_page", "archive_url", "unit",
          "notes")


def decide(site: OldSite, pattern: str, *, actor, action: str = "crosswalk.mapping.save",
           **fields) -> tuple[Mapping, bool]:
    """Create or change the mapping of `pattern` (a path, `/a/*` for a prefix rule) on `site`.
    Returns (mapping, changed); saving the same decision again changes nothing."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown mapping fields: {sorted(unknown)}")
    try:
        match, path = canonical_rule(site, pattern)
    except BadOldUrl as exc:
        raise MappingError(str(exc)) from exc
    mapping = Mapping.objects.filter(site=site, match=match, path=path).first() or Mapping(
        site=site, match=match, path=path)
    before = mapping.snapshot() if mapping.pk else None
    # A decision that names a URL replaces a page target (and the reverse), rather than being silently
    # shadowed by it (serving prefers the page); naming both is refused.
    for page_field, url_field in (("target_page", "target_url"), ("archive_page", "archive_url")):
        if fields.get(page_field) is not None and fields.get(url_field):
            raise MappingError(f"chọn trang hoặc địa chỉ, không cả hai ({page_field} / {url_field}) "
                               f"/ give a page or a URL, not both")
        if fields.get(url_field) and page_field not in fields:
            fields[page_field] = None
        if fields.get(page_field) is not None and url_field not in fields:
            fields[url_field] = ""
    for name, value in fields.items():
        setattr(mapping, name, value if value is not None else ("" if name in {"target_url", "archive_url",
                                                                               "api_mode", "notes"} else None))
    if mapping.type != MappingType.API:
        mapping.api_mode = ""
    if before == mapping.snapshot():
        return mapping, False
    validate(mapping, actor)
    with transaction.atomic():
        mapping.version += 1
        mapping.updated_by = actor_name(actor)
        mapping.save()
        snapshot = mapping.snapshot()
        MappingVersion.objects.create(mapping=mapping, site=site, path=path, version=mapping.version,
                                      action=action, data=snapshot, actor=mapping.updated_by)
        audit.record(actor, action, mapping, host=site.host, before=before, after=snapshot)
    return mapping, True


def delete(mapping: Mapping, *, actor) -> None:
    with transaction.atomic():
        MappingVersion.objects.create(mapping=None, site=mapping.site, path=mapping.path, version=mapping.version + 1,
                                      action="crosswalk.mapping.delete", data=mapping.snapshot(),
                                      actor=actor_name(actor))
        audit.record(actor, "crosswalk.mapping.delete", mapping, host=mapping.site.host,
                     before=mapping.snapshot())
        mapping.delete()


def map_url(old_url: str, *, page=None, url: str | None = None, kind: str = "redirect", unit=None,
            actor, system: str = "") -> Mapping:
    """Say what an imported old page's URL answers from now on.

    kind="redirect": 301 to `page` (a Wagtail page) or `url`.
    kind="archive": 410 page showing our archived copy (`page` or `url`) and the successor of `unit`.
    The site is created on first use (tied to the importing migration `system`); calling again with the same
    values changes nothing."""
    if kind not in {MappingType.REDIRECT, MappingType.ARCHIVE}:
        raise MappingError(f"kind “{kind}” phải là redirect hoặc archive / must be redirect or archive")
    try:
        host, path, query = split_url(old_url)
    except BadOldUrl as exc:
        raise MappingError(str(exc)) from exc
    site = ensure_site(host, actor=actor, unit=unit, system=system)
    pattern = f"{path}?{query}" if query else path
    if kind == MappingType.REDIRECT:
        fields = {"target_page": page, "target_url": "" if page is not None else (url or "")}
    else:
        fields = {"archive_page": page, "archive_url": "" if page is not None else (url or "")}
    if unit is not None and unit.pk != site.unit_id:
        fields["unit"] = unit
    mapping, _ = decide(site, pattern, actor=actor, action=f"crosswalk.map_url.{kind}", type=kind, **fields)
    return mapping


def successors_for(outcome) -> list:
    """The units that carry on the old page's unit today (lineage edges), for the 410 page."""
    from hopnhat.org import lineage

    unit = (outcome.mapping.unit if outcome.mapping and outcome.mapping.unit_id else None) or outcome.site.unit
    return lineage.current(unit) if unit is not None else []



SITE_OPTIONS = ("name", "unit", "agency", "case_insensitive", "trailing_slash_significant", "normalise_encoding",
                "significant_query", "pass_query", "global_type", "global_url", "global_append_path", "system")


def configure_site(site: OldSite, *, actor, aliases=(), **options) -> dict:
    """Change how an old site's URLs are read and what its unmapped paths answer; audited. Returns the changes.
    Changing a canonicalisation option re-reads the stored mappings under the new rule (`recanonicalise.py`),
    in the same transaction; when two of them would fall on one path nothing changes and MappingError lists
    them (`details["conflicts"]`)."""
    unknown = set(options) - set(SITE_OPTIONS)
    if unknown:
        raise TypeError(f"unknown site options: {sorted(unknown)}")
    changes = {k: v for k, v in options.items() if getattr(site, k) != v}
    for name, value in changes.items():
        setattr(site, name, value)
    if site.global_type == GlobalType.REDIRECT:
        if "?" in site.global_url:
            raise MappingError("chuyển hướng toàn trang không nhận “?” trong địa chỉ đích "
                               "/ a whole-host redirect target takes no query string")
        try:
            check_target(site.global_url, actor=actor, site=site)
        except RefusedTarget as exc:
            raise MappingError(str(exc)) from exc
    new_hosts = [h.strip().lower().rstrip(".") for h in aliases if h.strip()]
    taken = OldHost.objects.filter(host__in=new_hosts).exclude(site=site).values_list("host", flat=True)
    if taken:
        raise MappingError(f"máy chủ {', '.join(taken)} đã thuộc trang cũ khác / already belongs to another old site")
    new_hosts = [h for h in new_hosts if not site.hosts.filter(host=h).exists()]
    moved = None
    with transaction.atomic():
        if set(changes) & set(recanonicalise.OPTIONS) and site.pk:
            plan = recanonicalise.plan(site)
            if plan["conflicts"] or plan["errors"]:
                site.refresh_from_db(fields=list(changes))  # the object goes back to what is stored
                raise MappingError(recanonicalise.describe(plan["conflicts"], plan["errors"]),
                                   {"conflicts": plan["conflicts"], "errors": plan["errors"]})
            moved = recanonicalise.apply(site, plan["moves"], actor_name=actor_name(actor))
        site.save()
        for host in new_hosts:
            OldHost.objects.create(site=site, host=host)
        if changes or new_hosts:
            audit.record(actor, "crosswalk.site.configure", site, host=site.host, aliases=new_hosts,
                         changes={k: (v.pk if hasattr(v, "pk") else v) for k, v in changes.items()},
                         **({"recanonicalised": moved} if moved is not None else {}))
    return {**changes, **({"aliases": new_hosts} if new_hosts else {}),
            **({"recanonicalised": moved} if moved is not None else {})}


def allow_host(pattern: str, *, actor, note: str = "") -> AllowedHost:
    host, created = AllowedHost.objects.get_or_create(pattern=pattern.strip().lower(), defaults={"note": note})
    if created:
        audit.record(actor, "crosswalk.allow_host", host, pattern=host.pattern, note=note)
    return host
