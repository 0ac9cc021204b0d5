"""hopnhat agencies list [TERM] [--province H26|01|"Hà Nội"] [--status active|closed] [--limit N] |
show CODE_OR_NAME — the agencies and their 2025 successors, so an IT team can write a mapping's agency value map
(old code → mã định danh) without SQL. Every command takes --json."""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.core.text import fold
from hopnhat.org import agencies
from hopnhat.org.models import AdminUnit, Agency, AgencyStatus, AgencySuccession, Level

# The last part of a mã định danh names the province (H26 = Hà Nội); a GSO code (01) or a name names it too.
_PROVINCE_PART = re.compile(r"^[A-Z][0-9]{2}$")
_KIND_VI = {"whole": "toàn bộ", "partial": "một phần"}


def province_filter(value: str) -> Q:
    """Agencies of a province given as the last part of their codes (H26), its GSO code (01) or its name."""
    text = value.strip()
    if _PROVINCE_PART.match(text.upper()):
        return Q(code__endswith=f".{text.upper()}")
    key = fold(text)
    provinces = AdminUnit.objects.filter(level=Level.PROVINCE).filter(
        Q(code=text) | Q(name_key=key) | Q(short_key=key))
    if not provinces.exists():
        raise bad_input(f"Không có tỉnh/thành phố “{value}” / no province “{value}” (H26, 01 or a name)")
    return Q(unit__in=provinces) | Q(unit__province__in=provinces)


def _edge(edge: agencies.AgencyEdge) -> dict:
    return {"code": edge.agency.code, "name": edge.agency.name, "status": edge.agency.status, "kind": edge.kind,
            "is_default": edge.is_default, "effective_date": edge.effective_date}


def _row(agency: Agency, successors: list[dict]) -> dict:
    return {"code": agency.code, "name": agency.name, "short_name": agency.short_name, "status": agency.status,
            "closed_reason": agency.closed_reason, "closed_on": agency.closed_on,
            "parent": agency.parent.code if agency.parent_id and agency.parent else None,
            "successors": successors}


def _edges_text(edges: list[dict]) -> str:
    return ", ".join(f"{e['name']} [{e['code']}] ({_KIND_VI.get(e['kind'], e['kind'])}"
                     f"{', mặc định / default' if e['is_default'] else ''})" for e in edges)


class Command(HopnhatCommand):
    help = "Cơ quan, đơn vị và cơ quan kế thừa / agencies and their successors"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        listing = sub.add_parser("list", help="liệt kê cơ quan / list agencies")
        listing.add_argument("term", nargs="?", default="",
                             help="tìm theo tên hoặc mã, không phân biệt dấu / search name or code, diacritics aside")
        listing.add_argument("--province", default="", help="H26, mã tỉnh 01 hoặc tên / province: H26, 01 or name")
        listing.add_argument("--status", choices=list(AgencyStatus.values), default=None)
        listing.add_argument("--limit", type=int, default=500, help="tối đa / at most (0 = tất cả / all)")
        show = sub.add_parser("show", help="một cơ quan, các cơ quan kế thừa và tiền thân / one agency")
        show.add_argument("agency", help="mã định danh hoặc tên / identifier code or name")

    def handle(self, *args, **options):
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_list(self, term="", province="", status=None, limit=500, **options):
        found = Agency.objects.select_related("parent").order_by("code", "path")
        if term.strip():
            key = fold(term)
            found = found.filter(Q(name_key__contains=key) | Q(code__icontains=term.strip()))
        if province:
            found = found.filter(province_filter(province))
        if status:
            found = found.filter(status=status)
        total = found.count()
        rows = list(found[:limit] if limit > 0 else found)
        edges: dict[int, list[dict]] = {}
        closed = [a.pk for a in rows if not a.is_active]
        for e in AgencySuccession.objects.filter(predecessor_id__in=closed).select_related("successor").order_by(
                "-is_default", "successor__code"):
            edges.setdefault(e.predecessor_id, []).append(_edge(agencies.AgencyEdge(
                e.successor, e.kind, e.is_default, e.effective_date)))
        data = [_row(a, edges.get(a.pk, [])) for a in rows]
        lines = [f"{len(data)}/{total} cơ quan / agencies"]
        for d in data:
            state = "" if d["status"] == AgencyStatus.ACTIVE else f" — đã dừng / closed {d['closed_on'] or ''}"
            lines.append(f"{d['code'] or '(chưa có mã)':<16} {d['name']}{state}")
            if d["successors"]:
                lines.append(f"{'':16}   → {_edges_text(d['successors'])}")
        self.emit({"ok": True, "count": len(data), "total": total, "truncated": len(data) < total,
                   "agencies": data}, "\n".join(lines))

    def handle_show(self, agency, **options):
        try:
            matches = agencies.resolve_agency(agency)
        except ValidationError as exc:
            raise bad_input(" ".join(exc.messages)) from None
        if not matches:
            raise bad_input(f"Không có cơ quan “{agency}” / no agency “{agency}”")
        if len(matches) > 1:
            raise bad_input(f"“{agency}” khớp {len(matches)} cơ quan, hãy dùng mã / matches {len(matches)} "
                               f"agencies, use a code: " + ", ".join(f"{a.name} [{a.code}]" for a in matches))
        found = matches[0]
        successors = [_edge(e) for e in agencies.successors(found)]
        data = {**_row(found, successors),
                "predecessors": [_edge(e) for e in agencies.predecessors(found)],
                "current": [_edge(e) for e in agencies.current_agencies(found)],
                "unit": found.unit.name if found.unit_id else None,
                "contact": {"phone": found.contact_phone, "email": found.contact_email,
                            "address": found.contact_address}}
        lines = [f"{found.name} [{found.code}] — {found.get_status_display()}"]
        if found.closed_on:
            lines.append(f"  đã dừng / closed {found.closed_on} ({found.get_closed_reason_display()})")
        if data["parent"]:
            lines.append(f"  trực thuộc / parent: {data['parent']}")
        if successors:
            lines.append(f"  kế thừa / successors: {_edges_text(successors)}")
        if data["predecessors"]:
            lines.append(f"  tiền thân / predecessors: {_edges_text(data['predecessors'])}")
        if not found.is_active:
            lines.append(f"  nay do / acting today: {_edges_text(data['current']) or '—'}")
        contact = [v for v in data["contact"].values() if v]
        if contact:
            lines.append(f"  liên hệ / contact: {'; '.join(contact)}")
        self.emit({"ok": True, "agency": data}, "\n".join(lines))
