from decimal import Decimal

import pytest

from hopnhat.consolidation.inventory import scoring
from hopnhat.consolidation.inventory.models import CriterionWeight, Decision, OldSystem, new_unit_by_code
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _by_code(scores):
    return {s.system.code: s for s in scores}


def test_scores_follow_the_formula_and_parts_add_up(register):
    scores = scoring.assess(new_unit_by_code("08"), "tthc")
    assert [s.system.code for s in scores] == ["hagiang-motcua", "tuyenquang-motcua"]
    hg, tq = _by_code(scores)["hagiang-motcua"], _by_code(scores)["tuyenquang-motcua"]
    # Hà Giang (VNPT iGate): capability 4, 2 100 users (the most), 1 350 000 dossiers (the most), level 3,
    # 1.2 billion ₫ a year against Tuyên Quang's 0.95 billion, support 4. Default weights 25/20/15/15/15/10.
    expected_hg = 25 * 0.75 + 20 * 1 + 15 * 1 + 15 * 0.5 + 15 * (950 / 1200) + 10 * 0.75
    expected_tq = 25 * 0.75 + 20 * (1850 / 2100) + 15 * (980_000 / 1_350_000) + 15 * 0.5 + 15 * 1 + 10 * 0.5
    assert hg.total == pytest.approx(expected_hg) and tq.total == pytest.approx(expected_tq)
    assert sum(p.points for p in hg.parts) == pytest.approx(hg.total)
    cost = next(p for p in hg.parts if p.criterion == "cost")
    assert cost.raw == "1.200.000.000 ₫" and "950.000.000 (thấp nhất)" in cost.why
    assert cost.why.en.startswith("950.000.000 (the lowest)")
    assert (hg.rank, tq.rank) == (1, 2)


def test_missing_figures_count_as_zero_and_say_so(register):
    OldSystem.objects.filter(code="tuyenquang-motcua").update(capability=None, yearly_cost_vnd=None)
    tq = _by_code(scoring.assess(new_unit_by_code("08"), "tthc"))["tuyenquang-motcua"]
    parts = {p.criterion: p for p in tq.parts}
    assert parts["capability"].value == 0 and "chưa đánh giá" in parts["capability"].why
    assert parts["cost"].value == 0 and "thiếu chi phí" in parts["cost"].why
    hg = _by_code(scoring.assess(new_unit_by_code("08"), "tthc"))["hagiang-motcua"]
    assert {p.criterion: p for p in hg.parts}["cost"].value == 1.0  # now the only, hence cheapest, figure


def test_editing_weights_changes_the_ranking_and_is_audited(register):
    unit = new_unit_by_code("08")
    assert scoring.assess(unit, "tthc")[0].system.code == "hagiang-motcua"
    weights = scoring.set_weights({"cost": 80, "usage": "0", "data_volume": "0,0"}, "nguyen.van.an")
    assert weights["cost"] == Decimal("80.00") and weights["capability"] == Decimal(25)
    assert CriterionWeight.objects.get(criterion="cost").updated_by == "nguyen.van.an"
    top = scoring.assess(unit, "tthc")[0]
    assert top.system.code == "tuyenquang-motcua"  # cheaper wins once cost dominates
    assert top.total == pytest.approx(100 * (25 * 0.75 + 15 * 0.5 + 80 * 1 + 10 * 0.5) / (25 + 15 + 80 + 10))
    entry = AuditEntry.objects.get(action="inventory.weights")
    assert entry.data["before"]["cost"] == "15" and entry.data["after"]["cost"] == "80.00"


@pytest.mark.parametrize("changes,message", [
    ({"gia_re": 5}, "Không có tiêu chí “gia_re”"),
    ({"cost": "nhiều"}, "không phải số"),
    ({"cost": -1}, "phải từ 0 đến 999"),
    ({c: 0 for c in scoring.DEFAULT_WEIGHTS}, "Tổng trọng số phải lớn hơn 0"),
])
def test_bad_weights_are_refused(db, changes, message):
    with pytest.raises(scoring.WeightError) as excinfo:
        scoring.set_weights(changes, "nguyen.van.an")
    assert message in str(excinfo.value)
    assert not CriterionWeight.objects.exists()


def test_duplicates_are_flagged_per_unit_and_type(register, agencies):
    groups = scoring.duplicates()
    assert [(g.unit.code, g.system_type) for g in groups] == [
        ("08", "documents"), ("08", "email"), ("08", "portal"), ("08", "reporting"), ("08", "tthc")]
    tthc = groups[-1]
    assert [s.code for s in tthc.systems] == ["hagiang-motcua", "tuyenquang-motcua"] and not tthc.resolved
    OldSystem.objects.filter(code="hagiang-motcua").update(decision=Decision.KEEP)
    OldSystem.objects.filter(code="tuyenquang-motcua").update(decision=Decision.RETIRE)
    assert [g.resolved for g in scoring.duplicates() if g.system_type == "tthc"] == [True]
    # "other" systems are never duplicates: the principles ask for one of each of the five kinds only.
    OldSystem.objects.filter(code__endswith="-baocao").update(system_type="other")
    assert "other" not in {g.system_type for g in scoring.duplicates()}
