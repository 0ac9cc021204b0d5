import datetime

import pytest

from hopnhat.consolidation.inventory import decisions
from hopnhat.consolidation.inventory.models import Decision, OldSystem
from hopnhat.core import audit
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _get(code):
    return OldSystem.objects.get(code=code)


def test_keep_then_migrate_is_recorded_with_score_and_audited(register, tq_admin):
    keeper = decisions.decide(_get("hagiang-motcua"), Decision.KEEP, actor=tq_admin,
                              rationale="Nhiều hồ sơ nhất; VNPT iGate còn hợp đồng hỗ trợ.")
    assert (keeper.decision, keeper.decided_by) == ("keep", "nguyen.van.an") and keeper.decided_at
    moved = decisions.decide(_get("tuyenquang-motcua"), Decision.MIGRATE, actor=tq_admin, into=keeper,
                             rationale="Chuyển hồ sơ, giữ mã hồ sơ cũ làm bí danh.", wave=1,
                             planned_start=datetime.date(2025, 9, 1), planned_end=datetime.date(2025, 10, 31))
    moved.refresh_from_db()
    assert moved.migrate_into == keeper and moved.wave == 1 and moved.planned_end == datetime.date(2025, 10, 31)
    entries = list(AuditEntry.objects.filter(action__startswith="inventory.").exclude(action="inventory.import"))
    assert [e.action for e in entries] == ["inventory.decide", "inventory.decide", "inventory.schedule"]
    first, second, wave = entries
    assert first.actor == "nguyen.van.an" and first.object_pk == str(keeper.pk)
    assert first.data["decision"] == "keep" and first.data["previous"] == "undecided"
    assert first.data["rank"] == 1 and first.data["score"] > 0 and first.data["weights"]["capability"] == "25"
    assert second.data["into"] == "hagiang-motcua" and "bí danh" in second.data["rationale"]
    assert wave.data["wave"] == 1 and wave.data["planned_start"] == "2025-09-01"
    assert audit.verify_chain().ok


@pytest.mark.parametrize("setup,code,decision,into,rationale,message", [
    (None, "tuyenquang-motcua", "migrate", None, "x", "cần chỉ rõ hệ thống nhận"),
    (None, "tuyenquang-motcua", "migrate", "hagiang-motcua", "x", "hãy quyết định giữ hagiang-motcua trước"),
    ("hagiang-motcua", "tuyenquang-motcua", "migrate", "portal-hagianggovvn", "x", "không cùng đơn vị mới và loại"),
    ("hagiang-motcua", "tuyenquang-motcua", "keep", None, "x", "đơn vị đã giữ hagiang-motcua"),
    (None, "tuyenquang-motcua", "retire", None, "  ", "cần nêu lý do"),
    (None, "tuyenquang-motcua", "retire", "hagiang-motcua", "x", "chỉ quyết định “migrate”"),
    (None, "tuyenquang-motcua", "migrate", "tuyenquang-motcua", "x", "không thể chuyển vào chính nó"),
])
def test_inconsistent_decisions_are_refused(register, setup, code, decision, into, rationale, message):
    if setup:
        decisions.decide(_get(setup), Decision.KEEP, actor="nguyen.van.an", rationale="giữ")
    before = AuditEntry.objects.count()
    with pytest.raises(decisions.DecisionError) as excinfo:
        decisions.decide(_get(code), decision, actor="nguyen.van.an", rationale=rationale,
                         into=_get(into) if into else None)
    assert message in str(excinfo.value) and code in str(excinfo.value)
    assert AuditEntry.objects.count() == before
    assert _get(code).decision == Decision.UNDECIDED


def test_a_keeper_cannot_be_dropped_while_others_migrate_into_it(register):
    keeper = decisions.decide(_get("hagiang-mail"), Decision.KEEP, actor="nguyen.van.an", rationale="Zimbra 8.8")
    decisions.decide(_get("tuyenquang-mail"), Decision.MIGRATE, actor="nguyen.van.an", into=keeper,
                     rationale="imapsync sang hệ thống giữ lại")
    with pytest.raises(decisions.DecisionError, match="tuyenquang-mail đang chuyển vào"):
        decisions.decide(keeper, Decision.RETIRE, actor="nguyen.van.an", rationale="đổi ý")


def test_schedule_checks_dates(register):
    with pytest.raises(decisions.DecisionError, match="31/08/2025 trước ngày bắt đầu 01/09/2025"):
        decisions.schedule(_get("portal-hagianggovvn"), wave=2, planned_start=datetime.date(2025, 9, 1),
                           planned_end=datetime.date(2025, 8, 31), actor="nguyen.van.an")
    with pytest.raises(decisions.DecisionError, match="số đợt"):
        decisions.schedule(_get("portal-hagianggovvn"), wave=0, planned_start=None, planned_end=None, actor="x")
