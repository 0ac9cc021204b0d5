"""The demo: two old document systems of the merged Tuyên Quang province merged, the abolished district's old
number answering with its whole history, an incoming document routed by a rule; loading twice changes nothing."""

import io

import pytest
from django.test import override_settings

from hopnhat.documents import demo, lookup, routing
from hopnhat.documents.models import Entry
from hopnhat.documents.views import overdue_by_department
from hopnhat.org import demo as core_demo

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_answers_old_numbers(tmp_path):
    with override_settings(VAR_DIR=tmp_path, MEDIA_ROOT=tmp_path / "media"):
        core_demo.load_demo(io.StringIO())
        first = demo.load_demo(io.StringIO())
        second = demo.load_demo(io.StringIO())
    assert all(r["balanced"] for r in first["runs"].values())
    assert first["documents"] == second["documents"] == 9
    assert first["registered_now"] == 3 and second["registered_now"] == 0
    [report] = lookup.find("125/UBND-VP", issuer="UBND huyện Yên Sơn")
    assert [s["action"] for s in lookup.timeline(report)] == ["draft", "sign", "issue", "send"]
    [both] = lookup.find("Số 45 /UBND-NC", issuer="UBND tỉnh Hà Giang")
    assert {e.source_system for e in both.entries.all()} == {"hagiang-qlvb", "qlvb-yenson"}
    routed = Entry.objects.get(document__number_key="88/BNV-TCBC")
    assert routed.routed_by.name == "Sắp xếp tổ chức bộ máy → Sở Nội vụ"
    assert [s["rule"].name for s in routing.stale_rules()] == ["Chuyển đổi số → Sở Thông tin và Truyền thông"]
    from django.contrib.auth.models import User

    leader = User.objects.get(username="lanhdao.tuyenquang")
    assert overdue_by_department(leader)[0]["count"] == 1
    # each login the demo prints says what it shows, in Vietnamese and in English
    from hopnhat.core.lang import has_vietnamese, looks_english, split

    for row in first["team"]:
        vi, en = split(row["shows"])
        assert has_vietnamese(vi) and looks_english(en) and vi != en, row
