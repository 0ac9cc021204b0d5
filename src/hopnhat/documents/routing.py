"""Automatic routing (tự động phân luồng): which rule of the receiving agency an incoming document matches, and
which rules point at closed agencies. Pure reads; documents.actions applies a match and re-points rules.

A rule matches when every condition it sets holds: the issuer (the document's issuer, or any agency it became or
came from through the crosswalk, so a rule written for Sở Nội vụ tỉnh Hà Giang still catches its successor's
documents), the type abbreviation (CV for a công văn), the field, and any of the words of the trích yếu (folded,
so "hoà"/"hòa" and "DAT DAI"/"đất đai" meet)."""

from django.db.models import QuerySet

from hopnhat.core.text import fold
from hopnhat.org.agencies import current_agencies, default_current_agency, predecessors
from hopnhat.org.models import Agency

from .models import Document, RoutingRule

CONG_VAN_ABBR = "CV"


def _family(agency: Agency | None) -> set[int]:
    """The agency, the ones acting for it now and the ones it took over from (two steps back)."""
    if agency is None:
        return set()
    ids = {agency.pk} | {e.agency.pk for e in current_agencies(agency)}
    frontier = [agency]
    for _ in range(2):
        frontier = [e.agency for a in frontier for e in predecessors(a)]
        ids |= {a.pk for a in frontier}
    return ids


def words_of(rule: RoutingRule) -> list[str]:
    return [w for w in (fold(part) for part in rule.words.split(",")) if w]


def matches(rule: RoutingRule, document: Document, issuer_family: set[int] | None = None) -> bool:
    if rule.issuer_id is not None:
        family = issuer_family if issuer_family is not None else _family(document.issuer)
        if rule.issuer_id not in family and not (_family(rule.issuer) & family):
            return False
    if rule.type_abbr:
        abbr = fold(document.type_abbr or CONG_VAN_ABBR)
        if fold(rule.type_abbr) != abbr:
            return False
    if rule.field and fold(rule.field) != fold(document.field):
        return False
    if rule.words:
        subject = f" {fold(document.subject)} "
        if not any(f" {w} " in subject for w in words_of(rule)):
            return False
    return True


def rules_of(agency: Agency) -> QuerySet[RoutingRule]:
    return RoutingRule.objects.filter(agency=agency, active=True).select_related("department", "issuer", "user")


def match(agency: Agency, document: Document) -> RoutingRule | None:
    """The first active rule of `agency` (by priority) that `document` matches."""
    family = _family(document.issuer)
    for rule in rules_of(agency):
        if matches(rule, document, family):
            return rule
    return None


def stale_rules(agencies: QuerySet[Agency] | None = None) -> list[dict]:
    """Rules whose department, receiving agency or issuer condition names a closed agency, each with where the
    crosswalk says it should point now (None when the agency was abolished without a successor or the split
    leaves no default: a person decides)."""
    queryset = RoutingRule.objects.select_related("agency", "department", "issuer")
    if agencies is not None:
        queryset = queryset.filter(agency__in=agencies)
    found = []
    for rule in queryset.order_by("agency__path", "priority", "id"):
        for field in ("department", "agency"):
            target: Agency = getattr(rule, field)
            if not target.is_active:
                found.append({"rule": rule, "field": field, "closed": target,
                              "successor": default_current_agency(target)})
        if rule.issuer is not None and not rule.issuer.is_active:
            found.append({"rule": rule, "field": "issuer", "closed": rule.issuer,
                          "successor": default_current_agency(rule.issuer)})
    return found
