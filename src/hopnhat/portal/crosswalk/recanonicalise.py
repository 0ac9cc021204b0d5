"""Stored mappings read again when a site's canonicalisation options change (case, trailing slash, encoding,
significant query parameters), so they keep meeting the requests they were written for.

Mappings are keyed by their canonical path, computed under the options in force when they were saved. Turning
case-insensitivity on, or the trailing slash off, or dropping a significant parameter, changes the canonical form
of paths already stored: `/Tin-Tuc` must become `/tin-tuc` or it is never matched again. Two stored mappings may
then fall on one path (`/Tin-Tuc` and `/tin-tuc` under the new rule): that is a conflict a person decides — the
change is refused with the list, and nothing is rewritten.

What was thrown away cannot come back: after turning case-insensitivity off, paths stored lower-case stay
lower-case; after making a parameter significant, paths stored without it stay without it.
"""

from django.utils import timezone

from .canonical import BadOldUrl, canonical_rule
from .models import Mapping, MappingVersion, Match, OldSite

OPTIONS = ("case_insensitive", "trailing_slash_significant", "normalise_encoding", "significant_query")
ACTION = "crosswalk.recanonicalise"  # MappingVersion.action holds 30 characters
# A stored canonical path always starts with "/": this parks a row while the rows it swaps with move.
_PARKED = "~recanonicalise~{}"


def _pattern(match: str, path: str) -> str:
    return (path.rstrip("/") + "/*") if match == Match.PREFIX else path


def plan(site: OldSite) -> dict:
    """What the site's mappings become under its options as they are now on `site` (saved or not):
    {"moves": [(id, old path, new path)], "conflicts": [...], "errors": [...], "mappings": n}."""
    moves, errors, landing = [], [], {}
    rows = Mapping.objects.filter(site_id=site.pk).values_list("id", "match", "path", "type").order_by("id")
    count = 0
    for pk, match, path, kind in rows.iterator(chunk_size=5000):
        count += 1
        try:
            _, new = canonical_rule(site, _pattern(match, path))
        except BadOldUrl as exc:
            errors.append({"id": pk, "path": path, "error": str(exc)})
            continue
        landing.setdefault((match, new), []).append({"id": pk, "path": path, "type": kind})
        if new != path:
            moves.append((pk, path, new))
    conflicts = [{"match": match, "path": new, "mappings": group}
                 for (match, new), group in sorted(landing.items()) if len(group) > 1]
    return {"mappings": count, "moves": moves, "conflicts": conflicts, "errors": errors}


def apply(site: OldSite, moves: list[tuple[int, str, str]], *, actor_name: str) -> int:
    """Rewrite the moved paths (inside the caller's transaction) with a version row each; returns how many."""
    if not moves:
        return 0
    by_id = {m.pk: m for m in Mapping.objects.filter(pk__in=[pk for pk, _, _ in moves])}
    now = timezone.now()
    # Parked first: a row may move onto the path another row is just leaving (the unique constraint would trip).
    for mapping in by_id.values():
        mapping.path = _PARKED.format(mapping.pk)
    Mapping.objects.bulk_update(by_id.values(), ["path"], batch_size=1000)
    for pk, _, new in moves:
        mapping = by_id[pk]
        mapping.path, mapping.version, mapping.updated_by, mapping.updated_at = new, mapping.version + 1, \
            actor_name, now
    Mapping.objects.bulk_update(by_id.values(), ["path", "version", "updated_by", "updated_at"], batch_size=1000)
    MappingVersion.objects.bulk_create([
        MappingVersion(mapping=m, site=site, path=m.path, version=m.version, action=ACTION,
                       data={**m.snapshot(), "previous_path": old}, actor=actor_name)
        for m, old in ((by_id[pk], old) for pk, old, _ in moves)], batch_size=1000)
    return len(moves)


def describe(conflicts: list[dict], errors: list[dict], limit: int = 5) -> str:
    """The refusal message: Vietnamese first, naming the first few paths that collide."""
    parts = []
    for c in conflicts[:limit]:
        olds = ", ".join(m["path"] for m in c["mappings"])
        parts.append(f"{olds} → {c['path']}")
    parts += [f"{e['path']}: {e['error']}" for e in errors[:limit]]
    more = len(conflicts) + len(errors) - len(parts)
    tail = f" (và {more} chỗ khác / and {more} more)" if more > 0 else ""
    return ("đổi cách đọc địa chỉ làm các ánh xạ sau trùng nhau hoặc không hợp lệ; hãy xử lý chúng trước "
            "/ changing how paths are read makes these mappings collide or fail; resolve them first: "
            + "; ".join(parts) + tail)
