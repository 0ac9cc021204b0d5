"""Automatic routing: rules by issuer (through the agency lineage), type, field and words of the trích yếu; the
routed entry shows its rule; rules naming closed agencies are listed and re-pointed through the crosswalk."""

import io
import json

import pytest
from django.core.management import call_command

from hopnhat.core.models import AuditEntry
from hopnhat.documents import actions, routing
from hopnhat.documents.models import RoutingRule
from hopnhat.org.agencies import close_agency, ensure_agency
from hopnhat.org.models import REFORM_DATE

from .conftest import ACTOR, incoming_meta

pytestmark = pytest.mark.django_db


def rule(agency, department, **kw):
    return RoutingRule.objects.create(agency=agency, department=department, name=kw.pop("name", "quy tắc"), **kw)


def test_words_type_field_and_issuer_route_an_incoming_document(tq, staff):
    rule(tq.tq, tq.tuphap, name="Văn bản pháp luật", type_abbr="QĐ", words="quy phạm pháp luật", priority=5)
    by_words = rule(tq.tq, tq.vp, name="Chuyển đổi số → Văn phòng", words="chuyen doi so, công nghệ thông tin",
                    user=staff.officer, priority=10)
    by_issuer = rule(tq.tq, tq.noivu, name="Văn bản của Sở Nội vụ Hà Giang", issuer=tq.hg_noivu, priority=20)
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta())
    assert entry.routed_by == by_words and entry.routed_to == tq.vp and entry.routed_user == staff.officer
    event = entry.events.get(action="route")
    assert event.actor == actions.ROUTING_ACTOR and "Chuyển đổi số → Văn phòng" in event.note
    # the issuer condition matches the successor's documents too (lineage)
    from_successor = actions.register_incoming(
        staff.clerk, tq.tq, incoming_meta(number="3/SNV-TCBM", issuer_name="Sở Nội vụ tỉnh Tuyên Quang",
                                          subject="Về việc cử cán bộ dự tập huấn"))
    assert from_successor.routed_by == by_issuer
    unrouted = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="9/TB-STP", issuer_name="Sở Tư "
                                         "pháp tỉnh Tuyên Quang", subject="Thông báo lịch họp"))
    assert unrouted.routed_by is None and not unrouted.events.filter(action="route").exists()


def test_type_of_a_cong_van_is_cv(tq, staff):
    cv = rule(tq.tq, tq.vp, name="Công văn", type_abbr="CV")
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="230/UBND-VP", subject="Đôn đốc"))
    assert entry.routed_by == cv
    other = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="2/QĐ-UBND", subject="Quyết định"))
    assert other.routed_by is None


def test_rules_pointing_at_closed_agencies_are_listed_and_repointed(tq, staff):
    old_dept = ensure_agency(code="000.01.36.H60", name="Phòng Nội vụ huyện Yên Sơn", parent=tq.yenson,
                             actor=ACTOR)[0]
    lonely = ensure_agency(code="000.02.36.H60", name="Ban Quản lý dự án huyện Yên Sơn", parent=tq.yenson,
                           actor=ACTOR)[0]
    to_dept = rule(tq.tq, old_dept, name="Tổ chức cán bộ → Phòng Nội vụ huyện")
    from_issuer = rule(tq.tq, tq.vp, name="Văn bản Sở Tư pháp Hà Giang", issuer=tq.hg_tuphap)
    to_lonely = rule(tq.tq, lonely, name="Dự án → Ban QLDA")
    close_agency(old_dept, reason="merged", on=REFORM_DATE, actor=ACTOR, successors=[(tq.noivu, "whole", True)])
    close_agency(lonely, reason="abolished", on=REFORM_DATE, actor=ACTOR)
    stale = {(s["rule"].pk, s["field"]): s["successor"] for s in routing.stale_rules()}
    assert stale == {(to_dept.pk, "department"): tq.noivu, (from_issuer.pk, "issuer"): tq.tuphap,
                     (to_lonely.pk, "department"): None}
    out = io.StringIO()
    call_command("documents", "rules", "review", "--repoint", "--json", stdout=out)
    assert len(json.loads(out.getvalue())["repointed"]) == 3
    to_dept.refresh_from_db()
    from_issuer.refresh_from_db()
    to_lonely.refresh_from_db()
    assert to_dept.department == tq.noivu and "Phòng Nội vụ huyện Yên Sơn" in to_dept.review_note
    assert from_issuer.issuer == tq.tuphap and from_issuer.active
    assert not to_lonely.active and "cần người xem lại" in to_lonely.review_note
    assert routing.stale_rules() == [{"rule": to_lonely, "field": "department", "closed": lonely,
                                      "successor": None}]   # switched off, still listed for a person
    assert AuditEntry.objects.filter(action="documents.rule_repoint").count() == 3
