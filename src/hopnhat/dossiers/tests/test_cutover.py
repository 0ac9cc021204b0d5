"""The parallel run: a dossier the old one-door system of Hà Giang (`tthc-hagiang`) still holds is processed there
until that system switches, and again after a route-back; officials here may not touch it meanwhile (the button
is hidden and the step refused, with one reason), while the importer, dossiers received on the platform and
dossiers of systems without a cutover stay as they were."""

import csv

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hopnhat.consolidation import cutover
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import Cutover
from hopnhat.dossiers import actions, samples
from hopnhat.dossiers.models import Action, Dossier, DossierAlias, Procedure, Status
from hopnhat.dossiers.worklist import allowed_actions
from hopnhat.org.agencies import ensure_agency

from .conftest import at
from .staffing import APPROVER, PROCESSOR, RECEIVER, client_for, official

pytestmark = pytest.mark.django_db

HAGIANG = "tthc-hagiang"          # Hà Giang's one-door system, still live through the parallel run
OLD_TQ = "motcua-tptuyenquang-2024"   # retired before the reform: imported once, no cutover
LEAD = "do.manh.hung"             # who runs the cutover at the Sở Khoa học và Công nghệ

FIELDS = {"code": {"from": "MaHoSo", "required": True}, "procedure": "MaTTHC",
          "applicant_name": {"from": "ChuHoSo", "required": True}, "id_hash": "SoDinhDanh",
          "phone": "SoDienThoai", "address": "DiaChi", "agency": "MaDonVi",
          "status": {"from": "TrangThai", "map": "trangthai"}, "received_at": "NgayTiepNhan",
          "due_date": {"from": "NgayHenTra", "type": "date"}, "channel": "KenhThucHien"}
COLUMNS = ["MaHoSo", "MaTTHC", "ChuHoSo", "SoDinhDanh", "SoDienThoai", "DiaChi", "MaDonVi", "TrangThai",
           "NgayTiepNhan", "NgayHenTra", "KenhThucHien"]
HAGIANG_ROWS = [
    ("000.21.08.H60-250805-0003", "1.001193", "Vàng Thị Mỷ", "002190004321", "0915234567",
     "Tổ 5, phường Hà Giang 1, tỉnh Tuyên Quang", "000.21.08.H60", "processing", "05/08/2025 08:30",
     "08/08/2025", "1"),
    ("000.21.08.H60-250806-0011", "2.000884", "Lù Văn Páo", "002088007788", "0987112233",
     "Thôn Lùng Cẩm, phường Hà Giang 1, tỉnh Tuyên Quang", "000.21.08.H60", "receiving", "06/08/2025 14:05",
     "07/08/2025", "2"),
]
OLD_TQ_ROWS = [
    ("000.15.08.H60-240611-0002", "1.001193", "Nguyễn Thị Hạnh", "008192001122", "0912667788",
     "Tổ 9, phường Minh Xuân, tỉnh Tuyên Quang", "000.15.08.H60", "processing", "11/06/2024 09:00",
     "14/06/2024", "1"),
    # the same dossier as Vàng Thị Mỷ's, kept by the retired system too: merged, two old systems behind it
    ("000.21.08.H60-250805-0003", "1.001193", "Vàng Thị Mỷ", "002190004321", "0915234567",
     "Tổ 5, phường Hà Giang 1, tỉnh Tuyên Quang", "000.21.08.H60", "processing", "05/08/2025 08:30",
     "08/08/2025", "1"),
]


def _mapping(system: str, rows: list[tuple], directory) -> dict:
    path = directory / f"{system}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return {"system": system, "system_type": "tthc", "stream": "ho_so", "importer": "dossiers.dossier",
            "source": {"kind": "csv", "path": str(path), "key": "MaHoSo"}, "pii": ["SoDinhDanh"],
            "fields": FIELDS, "value_maps": {"trangthai": samples.DVC_STATUS}}


@pytest.fixture
def parallel_run(tmp_path):
    """Two wards of Tuyên Quang, their officials, and the dossiers of both old systems imported once."""
    actor = "system:test-cutover"
    ha_giang_1 = ensure_agency(code="000.21.08.H60", name="UBND phường Hà Giang 1", actor=actor)[0]
    minh_xuan = ensure_agency(code="000.15.08.H60", name="UBND phường Minh Xuân", actor=actor)[0]
    birth = Procedure.objects.create(code="1.001193.000.00.00.H60", name="Thủ tục đăng ký khai sinh",
                                     field_name="Hộ tịch", processing_days=3)
    Procedure.objects.create(code="2.000884.000.00.00.H60", field_name="Chứng thực", processing_days=1,
                             name="Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản")
    hagiang_run = run_mapping(Mapping.from_dict(_mapping(HAGIANG, HAGIANG_ROWS, tmp_path)), actor=actor)
    old_run = run_mapping(Mapping.from_dict(_mapping(OLD_TQ, OLD_TQ_ROWS, tmp_path)), actor=actor)
    assert hagiang_run.balanced and old_run.balanced
    return {
        "ha_giang_1": ha_giang_1, "minh_xuan": minh_xuan, "birth": birth,
        "leader": official("sung.mi.cha", "Sùng Mí Chá", ha_giang_1, APPROVER, "Phó Chủ tịch UBND phường"),
        "processor": official("lo.thi.hoa", "Lò Thị Hoa", ha_giang_1, PROCESSOR, "Công chức Tư pháp - Hộ tịch",
                              roles=(RECEIVER,)),
        "mx_processor": official("tran.thu.trang", "Trần Thu Trang", minh_xuan, PROCESSOR, "Công chức Tư pháp",
                                 roles=(APPROVER,)),
        "my": Dossier.objects.get(code="000.21.08.H60-250805-0003"),
        "pao": Dossier.objects.get(code="000.21.08.H60-250806-0011"),
        "hanh": Dossier.objects.get(code="000.15.08.H60-240611-0002"),
    }


def _walk(system: str, *steps: str) -> None:
    for name in steps:
        cutover.step(system, name, LEAD)


def test_imported_dossier_is_refused_until_its_system_switches_and_again_after_route_back(parallel_run):
    p = parallel_run
    my, leader, processor = p["my"], p["leader"], p["processor"]
    assert set(my.aliases.values_list("source_system", flat=True)) == {HAGIANG, OLD_TQ}   # merged
    # Before any cutover the old systems are not in charge of anything: processing goes on as today.
    assert actions.refusal(leader, Action.ASSIGN, my.agency, my) is None

    for state in ("pre-sync", "freeze", "final-sync", "verify"):
        _walk(HAGIANG, state)
        reason = actions.refusal(leader, Action.ASSIGN, my.agency, my)
        assert reason == (
            f"Không được “Chuyển xử lý” hồ sơ {my.code}: hồ sơ vẫn do hệ thống cũ “tthc-hagiang” xử lý cho đến khi "
            f"chuyển hẳn (đang ở bước “{state}”); hãy thao tác trên hệ thống cũ / you may not assign dossier "
            f"{my.code}: it is still handled by the old system tthc-hagiang until it switches to the platform "
            f"(cutover step {state}); act on it in the old system")
        assert allowed_actions(my, leader) == []
        with pytest.raises(PermissionDenied, match=f"“{state}”"):
            actions.assign(leader, my, processor)
    my.refresh_from_db()
    assert my.assignee is None and my.status == Status.PROCESSING
    assert not my.events.exists()   # nothing was recorded by the refused attempts

    _walk(HAGIANG, "switch")
    assert actions.refusal(leader, Action.ASSIGN, my.agency, my) is None
    assert Action.ASSIGN in allowed_actions(my, leader)
    actions.assign(leader, my, processor, note="Giao công chức hộ tịch")
    actions.process(processor, my, note="Đã kiểm tra tờ khai")

    _walk(HAGIANG, "monitor", "route-back")
    with pytest.raises(PermissionDenied, match="tthc-hagiang.*“route-back”"):
        actions.process(processor, my, note="Bổ sung ý kiến")
    assert allowed_actions(my, processor) == []
    assert [e.action for e in my.events.order_by("at", "id")] == ["assign", "process"]


def test_platform_dossiers_and_systems_without_a_cutover_stay_processable(parallel_run):
    p = parallel_run
    _walk(HAGIANG, "pre-sync", "freeze")
    # Received at the desk of the same ward during the freeze: a platform dossier, never the old system's.
    new = actions.receive(p["processor"], agency=p["ha_giang_1"], procedure=p["birth"],
                          applicant_name="Hầu Thị Dua", phone="0976 554 433", at=at(2025, 8, 11, 9, 15),
                          address="Tổ 2, phường Hà Giang 1, tỉnh Tuyên Quang")
    assert list(DossierAlias.objects.filter(dossier=new).values_list("source_system", flat=True)) == ["hopnhat"]
    assert actions.refusal(p["leader"], Action.ASSIGN, new.agency, new) is None
    actions.assign(p["leader"], new, p["processor"])
    # Imported once from a system retired before the reform: no Cutover row, processed here as today …
    hanh, tran = p["hanh"], p["mx_processor"]
    actions.assign(tran, hanh, tran)
    actions.process(tran, hanh, note="Đã xác minh")
    # … and a step that was refused (leaving a not-started row) changes nothing.
    with pytest.raises(cutover.CutoverError):
        cutover.step(OLD_TQ, "switch", LEAD)
    assert Cutover.objects.get(system=OLD_TQ).state == "not-started"
    # what still stops her approving is the four-eyes rule, not a cutover
    assert "nguyên tắc hai người" in actions.refusal(tran, Action.APPROVE, hanh.agency, hanh)
    assert "hệ thống cũ" not in actions.refusal(tran, Action.APPROVE, hanh.agency, hanh)
    # Vàng Thị Mỷ's dossier is held because one of the systems behind it (tthc-hagiang) is still in charge.
    assert "tthc-hagiang" in actions.refusal(p["leader"], Action.ASSIGN, p["my"].agency, p["my"])


def test_jobs_are_never_refused_and_sync_keeps_copying_the_old_systems_work(parallel_run, tmp_path):
    pao = parallel_run["pao"]
    _walk(HAGIANG, "pre-sync")
    assert actions.refusal("system:tthc-hagiang-sync", Action.RECEIVE, pao.agency, pao) is None
    actions.transition("system:tthc-hagiang-sync", pao, Action.RECEIVE, note="Đồng bộ từ hệ thống cũ")
    pao.refresh_from_db()
    assert pao.status == Status.RECEIVED
    # Meanwhile the ward's desk works on in the old system, and the next sync brings that here: the old system's
    # record wins, which is why people here are refused until the switch.
    rows = [(*HAGIANG_ROWS[0],), (*HAGIANG_ROWS[1][:7], "processing", *HAGIANG_ROWS[1][8:])]
    _mapping(HAGIANG, rows, tmp_path)
    _walk(HAGIANG, "pre-sync", "freeze")
    result = cutover.step(HAGIANG, "final-sync", LEAD)
    assert result["runs"][0]["balanced"] is True
    pao.refresh_from_db()
    assert pao.status == Status.PROCESSING


def _queries_on(captured, table: str) -> int:
    return sum(f'"{table}"' in q["sql"] for q in captured.captured_queries)


def test_pages_say_why_and_ask_once_per_request(parallel_run):
    p = parallel_run
    _walk(HAGIANG, "pre-sync")
    client = client_for(p["leader"])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("dossiers:staff-worklist")).content.decode()
    assert page.count("Xử lý trên hệ thống cũ “tthc-hagiang”") == 2   # Vàng Thị Mỷ's and Lù Văn Páo's
    # one look at the Cutover table and one at the aliases for the whole page, not one per dossier
    assert _queries_on(captured, "consolidation_cutover") == 1
    assert _queries_on(captured, "dossiers_dossieralias") == 1

    url = reverse("dossiers:staff-dossier", args=[p["my"].pk])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert "vẫn do hệ thống cũ “tthc-hagiang” xử lý cho đến khi chuyển hẳn (đang ở bước “pre-sync”)" in page
    assert 'name="step"' not in page and "Bạn không có thao tác nào" not in page
    assert _queries_on(captured, "consolidation_cutover") == 1   # however many steps were weighed

    response = client.post(reverse("dossiers:staff-act", args=[p["my"].pk, Action.REJECT]),
                           {"note": "Hồ sơ không hợp lệ"})
    assert response.status_code == 403 and "tthc-hagiang" in response.content.decode()
    assert Dossier.objects.get(pk=p["my"].pk).status == Status.PROCESSING

    _walk(HAGIANG, "freeze", "final-sync", "verify", "switch")
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("dossiers:staff-worklist")).content.decode()
    assert "Xử lý trên hệ thống cũ" not in page
    assert _queries_on(captured, "dossiers_dossieralias") == 0   # no system in charge: aliases not read
    assert 'name="step" value="assign"' in client.get(url).content.decode()
