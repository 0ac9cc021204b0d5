"""The agency crosswalk: which agency took over from which, so an old agency code keeps answering.

The same shape as the unit lineage (`hopnhat.org.lineage`): closing an agency writes successor edges
(whole / partial, one default), and `current_agencies` walks them from a closed agency to the active ones.
Dossier hand-over, document routing and e-mail forwarding call these functions; keep the names stable.

    close_agency(agency, reason=…, successors=[(agency, kind, is_default)], on=date, legal_basis=…, actor=…)
    successors(agency) / predecessors(agency) -> list[AgencyEdge]
    current_agencies(agency, at=None) -> list[AgencyEdge]     kind partial if any step was partial
    default_current_agency(agency, at=None) -> Agency | None  where undecided cases go
    resolve_agency("000.00.02.H22" or "Sở Nội vụ tỉnh Hà Giang") -> list[Agency]   every candidate, never a guess
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.text import fold, nfc

from .models import Agency, AgencyStatus, AgencySuccession, ClosedReason, SuccessionKind, validate_agency_code


def agency_dict(agency: Agency) -> dict:
    return {"id": agency.pk, "code": agency.code, "name": agency.name, "status": agency.status,
            "closed_reason": agency.closed_reason, "closed_on": agency.closed_on}


@dataclass(frozen=True)
class AgencyEdge:
    """One step (or, from current_agencies(), a walk) from an agency to `agency`; shaped like lineage.Edge."""

    agency: Agency
    kind: str                      # SuccessionKind: whole | partial
    is_default: bool
    effective_date: datetime.date | None
    legal_basis: str = ""
    via: tuple[Agency, ...] = ()   # closed agencies passed through on a walk of more than one step

    @property
    def is_partial(self) -> bool:
        return self.kind == SuccessionKind.PARTIAL

    def as_dict(self) -> dict:
        return {"agency": agency_dict(self.agency), "kind": self.kind, "is_default": self.is_default,
                "effective_date": self.effective_date, "legal_basis": self.legal_basis,
                "via": [a.code or a.pk for a in self.via]}


# Something with dots and digits and no spaces is meant as a mã định danh, so a mistyped one is refused
# with the format rule instead of silently matching no name.
_LOOKS_LIKE_CODE = re.compile(r"^[0-9A-Za-z]{1,4}(\.[0-9A-Za-z]{1,4})+$")


def _label(agency: Agency) -> str:
    return f"{agency.name} [{agency.code}]" if agency.code else f"{agency.name} (#{agency.pk})"


def ensure_agency(*, code: str, name: str, parent: Agency | None = None, unit=None, short_name: str = "",
                  actor) -> tuple[Agency, bool]:
    """The agency with mã định danh `code`, created (and audited) when missing; (agency, created).

    An existing agency is returned as it is: its name, parent and status are the record's, not the caller's,
    so loading the same list twice changes nothing.
    """
    code = nfc(code).upper()
    validate_agency_code(code)
    if existing := Agency.objects.filter(code=code).first():
        return existing, False
    with transaction.atomic():
        agency = Agency(code=code, name=name, short_name=short_name, parent=parent, unit=unit)
        agency.full_clean()
        agency.save()
        audit.record(actor, "agency.create", agency, code=code, name=agency.name,
                     parent=parent.code if parent else None)
    return agency, True


def _check_successors(agency: Agency, reason: str, successors: list[tuple[Agency, str, bool]]) -> None:
    if reason not in ClosedReason.values:
        raise ValidationError(f"{_label(agency)}: lý do “{reason}” không hợp lệ / unknown reason "
                              f"(merged, split, renamed, abolished)")
    if reason in {ClosedReason.MERGED, ClosedReason.RENAMED, ClosedReason.SPLIT} and not successors:
        raise ValidationError(f"{_label(agency)}: cần ít nhất một cơ quan kế thừa / a {reason} agency needs "
                              f"a successor")
    if reason == ClosedReason.RENAMED and len(successors) != 1:
        raise ValidationError(f"{_label(agency)}: đổi tên thì có đúng một cơ quan kế thừa / a renamed agency "
                              f"has exactly one successor")
    if reason == ClosedReason.SPLIT and len(successors) < 2:
        raise ValidationError(f"{_label(agency)}: chia tách cần từ hai cơ quan kế thừa / a split needs at least "
                              f"two successors")
    seen = set()
    for successor, kind, _ in successors:
        if kind not in SuccessionKind.values:
            raise ValidationError(f"{_label(agency)} → {_label(successor)}: loại kế thừa “{kind}” không hợp lệ "
                                  f"/ unknown kind (whole, partial)")
        if successor.pk == agency.pk or successor.pk in seen:
            raise ValidationError(f"{_label(agency)} → {_label(successor)}: cơ quan kế thừa lặp lại / "
                                  f"successor repeated or the agency itself")
        seen.add(successor.pk)
        if agency.pk in {e.agency.pk for e in current_agencies(successor)}:
            raise ValidationError(f"{_label(agency)} → {_label(successor)}: tạo vòng kế thừa / would make a cycle")
    defaults = [s for s, _, is_default in successors if is_default]
    if len(successors) > 1 and len(defaults) != 1:
        raise ValidationError(f"{_label(agency)}: nhiều cơ quan kế thừa thì đúng một cơ quan mặc định (nhận "
                              f"các việc chưa phân định) / with several successors exactly one is the default")


def close_agency(agency: Agency, *, reason: str, successors: Iterable[tuple[Agency, str, bool]] = (),
                 on: datetime.date | None = None, legal_basis: str = "", actor) -> Agency:
    """Close `agency` on `on` (the first day its successors act for it) and record who takes over.

    One transaction: the status change, the edges and the audit entry commit together or not at all.
    A single successor is the default whatever the caller said, so `default_current_agency` always has a way on.
    """
    successors = list(successors)
    on = on or timezone.localdate()
    legal_basis = nfc(legal_basis)
    with transaction.atomic():
        # Lock the row and read its status from the database, not from the caller's possibly stale copy.
        locked = Agency.objects.select_for_update().get(pk=agency.pk)
        if locked.status == AgencyStatus.CLOSED:
            raise ValidationError(f"{_label(locked)}: đã dừng từ {locked.closed_on} / already closed on "
                                  f"{locked.closed_on}")
        _check_successors(agency, reason, successors)
        agency.status, agency.closed_reason, agency.closed_on = AgencyStatus.CLOSED, reason, on
        agency.save(update_fields=["status", "closed_reason", "closed_on"])
        edges = [AgencySuccession.objects.create(
            predecessor=agency, successor=successor, kind=kind, is_default=is_default or len(successors) == 1,
            effective_date=on, legal_basis=legal_basis, sources=["close_agency"],
        ) for successor, kind, is_default in successors]
        audit.record(actor, "agency.close", agency, code=agency.code, name=agency.name, reason=reason, on=on,
                     legal_basis=legal_basis,
                     successors=[{"id": e.successor.pk, "code": e.successor.code, "kind": e.kind,
                                  "default": e.is_default} for e in edges])
    return agency


def _edges(queryset, other: str) -> list[AgencyEdge]:
    return [AgencyEdge(getattr(e, other), e.kind, e.is_default, e.effective_date, e.legal_basis)
            for e in queryset.select_related(other).order_by("-is_default", f"{other}__path")]


def successors(agency: Agency) -> list[AgencyEdge]:
    """The agencies that took over directly from `agency` (default first)."""
    return _edges(AgencySuccession.objects.filter(predecessor=agency), "successor")


def predecessors(agency: Agency) -> list[AgencyEdge]:
    """The agencies `agency` took over from directly."""
    return _edges(AgencySuccession.objects.filter(successor=agency), "predecessor")


def _is_current(agency: Agency, at: datetime.date | None) -> bool:
    if agency.status == AgencyStatus.ACTIVE:
        return True
    return at is not None and agency.closed_on is not None and at < agency.closed_on


def current_agencies(agency: Agency, at: datetime.date | None = None) -> list[AgencyEdge]:
    """The agencies acting for `agency` at `at` (today's active ones when None).

    An active agency answers itself. A closed one is followed along its successor edges: the result is
    partial if any step was partial and default only if every step was. An agency reached by two paths is
    whole if either path is. An abolished agency with no successor answers [].
    """
    if _is_current(agency, at):
        return [AgencyEdge(agency, SuccessionKind.WHOLE, True, None)]
    found: dict[int, AgencyEdge] = {}
    stack = [(agency, SuccessionKind.WHOLE, True, (agency,))]
    while stack:
        node, kind, is_default, path = stack.pop()
        for edge in successors(node):
            if at is not None and edge.effective_date and edge.effective_date > at:
                continue
            step_kind = SuccessionKind.PARTIAL if SuccessionKind.PARTIAL in (kind, edge.kind) else SuccessionKind.WHOLE
            step_default = is_default and edge.is_default
            nxt = edge.agency
            if nxt.pk in {a.pk for a in path}:  # a cycle in imported data: stop walking it rather than loop
                continue
            if _is_current(nxt, at):
                before = found.get(nxt.pk)
                if before:
                    step_kind = SuccessionKind.WHOLE if SuccessionKind.WHOLE in (before.kind, step_kind) else step_kind
                    step_default = step_default or before.is_default
                found[nxt.pk] = AgencyEdge(nxt, step_kind, step_default, edge.effective_date, edge.legal_basis,
                                           via=path[1:])
            else:
                stack.append((nxt, step_kind, step_default, (*path, nxt)))
    return sorted(found.values(), key=lambda e: (not e.is_default, e.agency.path))


def default_current_agency(agency: Agency, at: datetime.date | None = None) -> Agency | None:
    """The one agency that acts for `agency` when a case cannot be placed more precisely; None when it was
    abolished without a successor."""
    seen = set()
    node = agency
    while not _is_current(node, at):
        if node.pk in seen:
            return None
        seen.add(node.pk)
        edges = [e for e in successors(node) if at is None or not e.effective_date or e.effective_date <= at]
        chosen = next((e for e in edges if e.is_default), edges[0] if len(edges) == 1 else None)
        if chosen is None:
            return None
        node = chosen.agency
    return node


def resolve_agency(code_or_name: str) -> list[Agency]:
    """Agencies (active or closed) with this mã định danh, or with this name once folded.

    A name shared by several agencies ("Sở Nội vụ" of two provinces) returns all of them, active ones first;
    the caller decides. A code-shaped query that breaks the format raises ValidationError naming it.
    """
    query = nfc(code_or_name)
    if not query:
        return []
    if _LOOKS_LIKE_CODE.match(query):
        code = query.upper()
        validate_agency_code(code)
        return list(Agency.objects.filter(code=code))
    return sorted(Agency.objects.filter(name_key=fold(query)),
                  key=lambda a: (a.status != AgencyStatus.ACTIVE, a.path))
