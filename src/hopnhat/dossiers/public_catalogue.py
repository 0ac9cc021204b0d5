"""The public procedure catalogue: browsing by field, level, agency and life event, one procedure's page, and the
procedures as documents of the portal's one search box (portal.search, doc_type "procedure"), so the same
Vietnamese folding, accent-aware ranking and old place names serve articles and procedures alike.

Only merged procedures (those with a receiving agency or listings) and active ones are shown.
"""

from django.db.models import Q
from django.urls import reverse

from hopnhat.core.text import fold

from .models import Procedure

SOURCE_KEY = "dossiers.procedure:{}"


def public_procedures():
    return Procedure.objects.filter(active=True).select_related("agency").order_by("field_name", "name")


def browse(*, field: str = "", level: str = "", agency: str = "", life_event: str = "") -> list[Procedure]:
    """Procedures matching every given facet (folded comparison for the free-text ones)."""
    rows = public_procedures()
    if field:
        rows = rows.filter(Q(field_code=field) | Q(field_name=field))
    if agency:
        rows = rows.filter(agency__code=agency)
    rows = list(rows)
    if level:
        rows = [p for p in rows if fold(level) in {fold(x) for x in p.levels}]
    if life_event:
        rows = [p for p in rows if fold(life_event) in {fold(x) for x in p.life_events}]
    return rows


def facets() -> dict[str, list]:
    """The values a citizen can browse by, each with its count."""
    out: dict[str, dict] = {"fields": {}, "levels": {}, "agencies": {}, "life_events": {}}
    for p in public_procedures():
        if p.field_name:
            out["fields"].setdefault(p.field_code or p.field_name, [p.field_name, 0])[1] += 1
        for level in p.levels:
            out["levels"].setdefault(level, [level, 0])[1] += 1
        if p.agency:
            out["agencies"].setdefault(p.agency.code, [p.agency.name, 0])[1] += 1
        for event in p.life_events:
            out["life_events"].setdefault(event, [event, 0])[1] += 1
    return {k: [{"value": v, "label": label, "count": n} for v, (label, n) in sorted(d.items(), key=lambda i: i[1][0])]
            for k, d in out.items()}


def url_of(procedure: Procedure) -> str:
    return reverse("dossiers:procedure", args=[procedure.national_code])


def search_text(procedure: Procedure) -> str:
    parts = [procedure.field_name, " ".join(procedure.levels), " ".join(procedure.life_events),
             " ".join(p["name"] for p in procedure.papers), " ".join(procedure.steps), procedure.legal_basis,
             procedure.agency.name if procedure.agency else "", procedure.national_code]
    return "\n".join(x for x in parts if x)


def index_procedure(procedure: Procedure):
    """Put (or refresh) one procedure in the portal's search index; the agency's unit gives its place names."""
    from hopnhat.portal.search.indexing import index_document
    from hopnhat.portal.search.models import DocType

    return index_document(title=procedure.name, url=url_of(procedure), body=search_text(procedure),
                          source_key=SOURCE_KEY.format(procedure.national_code), doc_type=DocType.PROCEDURE,
                          origin_unit=procedure.agency.unit if procedure.agency else None)


def index_all() -> int:
    count = 0
    for procedure in public_procedures():
        index_procedure(procedure)
        count += 1
    return count
