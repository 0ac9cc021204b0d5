"""Demo dossiers for `hopnhat demo`, in the merged Tuyên Quang province the README tells about.

UBND phường Minh Xuân (the new ward that took in the old Phan Thiết and Minh Xuân wards of the split UBND thành phố
Tuyên Quang) has the province's procedure catalogue (.H60) and a one-door team (password org.demo.DEMO_PASSWORD):
the desk officer who receives and returns results, an official who processes what is assigned to her, and the
vice-chairman who approves; with dossiers at every stage — waiting for assignment, assigned, submitted for
approval, waiting on the applicant's supplement (its clock paused), overdue, decided and returned — so the
province's unit administrator sees them too and the on-time dashboard has something to count.

One Hà Nội example stays for the split ward: Quận Ba Đình's two old one-door systems (samples.py) merged through
the consolidation engine, the old agencies closed as on 1/7/2025 and their open dossiers handed over; the land
dossier 000.00.01.H26-250612-0007 (phone ending 4321) answers on /ho-so/tra-cuu/ under its old code. Loading twice
changes nothing: the engine skips unchanged records, closed agencies stay closed, the team and its dossiers are
made once. The district's dossier with an unknown status waits in quarantine: its old code
tells the citizen it is being transferred and whom to call."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.demo import DEMO_PASSWORD
from hopnhat.org.models import Agency, Membership, Person, Role, RoleAssignment

from . import actions, handover, quarantine, samples
from .models import Dossier, Procedure

ACTOR = "system:demo"
WARD = "000.00.41.H60"   # UBND phường Minh Xuân (org.demo)
# (username, full name, title, role)
TEAM = [
    ("motcua.minhxuan", "Ngô Thị Mai", "Công chức Bộ phận Một cửa UBND phường Minh Xuân", Role.DOSSIER_RECEIVER),
    ("thuly.minhxuan", "Nguyễn Thu Trang", "Công chức Tư pháp - Hộ tịch", Role.DOSSIER_PROCESSOR),
    ("lanhdao.minhxuan", "Lê Quốc Cường", "Phó Chủ tịch UBND phường Minh Xuân", Role.DOSSIER_APPROVER),
]
SHOWS = {Role.DOSSIER_RECEIVER: "một cửa: tiếp nhận, phân công, trả kết quả / one-door desk: receives, assigns, "
                                "returns results",
         Role.DOSSIER_PROCESSOR: "thụ lý hồ sơ được phân công, trình duyệt / processes what is assigned, submits "
                                 "for approval",
         Role.DOSSIER_APPROVER: "lãnh đạo phê duyệt (hai người) / approves, never what they processed"}
# The province's catalogue: the same national procedures, published under Tuyên Quang's code H60.
PROVINCE_PROCEDURES = [dict(p, code=p["code"].replace(".H26", ".H60")) for p in samples.PROCEDURES]
BIRTH, CERTIFY, LAND = (p["code"] for p in PROVINCE_PROCEDURES)
# (applicant, phone, address, procedure, received how many days ago, how far it gets)
FRESH = [
    ("Trần Thị Thu Hường", "0912345001", "Tổ 5, phường Minh Xuân, tỉnh Tuyên Quang", BIRTH, 0, "queue"),
    ("Phạm Quang Huy", "0912345002", "Số 12 đường Tân Trào, phường Minh Xuân, tỉnh Tuyên Quang", LAND, 1,
     "assigned"),
    ("Lương Thị Nga", "0912345003", "Tổ 9, phường Minh Xuân, tỉnh Tuyên Quang", CERTIFY, 0, "submitted"),
    ("Hoàng Văn Páo", "0912345004", "Thôn Nông Tiến, phường Minh Xuân, tỉnh Tuyên Quang", LAND, 3, "supplement"),
    ("Ma Thị Thủy", "0912345005", "Tổ 2, phường Minh Xuân, tỉnh Tuyên Quang", BIRTH, 20, "overdue"),
    ("Đặng Văn Long", "0912345006", "Tổ 14, phường Minh Xuân, tỉnh Tuyên Quang", CERTIFY, 0, "returned"),
]


def _team(agency) -> dict:
    User = get_user_model()
    users = {}
    for username, full_name, title, role in TEAM:
        user = User.objects.filter(username=username).first()
        if user is None:
            family, _, given = full_name.rpartition(" ")
            user = User(username=username, first_name=given, last_name=family)
            user.set_password(DEMO_PASSWORD)
            user.save()
            person = Person.objects.create(full_name=full_name, user=user)
            Membership.objects.create(person=person, agency=agency, title=title)
        RoleAssignment.objects.get_or_create(user=user, role=role, agency=agency)
        users[role] = user
    return users


def _fresh_dossiers(agency, team, procedures) -> list[dict]:
    desk, official, leader = (team[Role.DOSSIER_RECEIVER], team[Role.DOSSIER_PROCESSOR],
                              team[Role.DOSSIER_APPROVER])
    if Dossier.objects.filter(receiving_agency=agency, events__actor=desk.username).exists():
        return []
    made = []
    now = timezone.now()
    with transaction.atomic():
        for name, phone, address, code, days_ago, stage in FRESH:
            procedure = procedures[code]
            d = actions.receive(desk, agency=agency, procedure=procedure, applicant_name=name, phone=phone,
                                address=address, at=now - datetime.timedelta(days=days_ago),
                                papers=procedure.papers or [{"name": "Đơn đề nghị", "copies": 1}])
            if stage != "queue":
                actions.assign(desk, d, official, note="Chuyển công chức thụ lý")
            if stage in {"submitted", "returned"}:
                actions.process(official, d, note="Đã thẩm định hồ sơ")
                # trình duyệt; approving the "submitted" one is left to whoever tries the demo
                actions.submit_for_approval(official, d, "Chứng thực chữ ký trên 02 bản giấy ủy quyền")
            if stage == "supplement":
                actions.request_supplement(official, d, note="Bổ sung bản sao Giấy chứng nhận quyền sử dụng đất "
                                                             "có chứng thực và sơ đồ thửa đất")
            if stage == "returned":
                actions.approve(leader, d, result="Đã chứng thực chữ ký trên 02 bản giấy ủy quyền",
                                note="Đồng ý")
                actions.return_result(desk, d, note="Người nộp đã nhận kết quả")
            made.append({"code": d.code, "phone_last4": phone[-4:], "stage": stage})
    return made


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "dossiers"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "motcua-badinh.sqlite3"
    url = f"sqlite:///{database}"
    if not database.exists():
        samples.write_motcua(url)
    samples.write_dvc(folder / "dvc-hanoi")
    procedures = samples.ensure_procedures()
    made = samples.ensure_agencies()
    runs = {}
    for spec in samples.mappings(url, folder / "dvc-hanoi"):
        run = run_mapping(Mapping.from_dict(spec), actor=ACTOR)
        runs[f"{spec['system']}/{spec['stream']}"] = {"outcomes": run.totals["outcomes"], "balanced": run.balanced}
    closed = samples.close_agencies(made)
    report = handover.run(actor=ACTOR)
    ward = Agency.objects.filter(code=WARD).first()
    if ward is None:   # org.demo makes it; without it the team stays with the Hà Nội example
        ward = made["ba_dinh"]
    province_procedures = {p["code"]: Procedure.objects.get_or_create(code=p["code"], defaults=p)[0]
                           for p in PROVINCE_PROCEDURES}
    team = _team(ward)
    fresh = _fresh_dossiers(ward, team, province_procedures)
    supplement = next((f for f in fresh if f["stage"] == "supplement"), None)
    # the district's dossier with an unknown status waits in quarantine: its code tells the citizen it is being
    # transferred and whom to call, until someone resolves it
    waiting = "000.22.01.H26-250620-0005"
    transferring = bool(quarantine.open_records(waiting))
    result = {
        "runs": runs, "agencies_closed": closed, "handed_over": report["total"], "dossiers": Dossier.objects.count(),
        "received_now": len(fresh), "procedures": len(procedures) + len(province_procedures),
        "try": {"url": "/ho-so/tra-cuu/", "code": "000.00.01.H26-250612-0007", "phone_last4": "4321"},
        "try_supplement": supplement,
        "try_transferring": {"url": "/ho-so/tra-cuu/", "code": waiting, "phone_last4": "0555"}
        if transferring else None,
        "team": [{"username": u, "password": DEMO_PASSWORD, "name": n, "role": r, "agency": ward.name,
                  "worklist": "/ho-so/can-bo/", "shows": f"{SHOWS[r]} — {ward.name}"} for u, n, _, r in TEAM],
    }
    stdout.write(f"    Hồ sơ / dossiers: {result['dossiers']} ({len(fresh)} vừa tiếp nhận tại / just received at "
                 f"{ward.name}; {report['total']} vừa bàn giao / handed over now)\n"
                 f"    Tra cứu thử / try: /ho-so/tra-cuu/ mã 000.00.01.H26-250612-0007, 4 số cuối 4321\n")
    if transferring:
        stdout.write(f"    Hồ sơ đang chờ xử lý cách ly / a quarantined dossier: mã {waiting}, 4 số cuối 0555\n")
    if supplement:
        stdout.write(f"    Hồ sơ chờ bổ sung / waiting for a supplement: {supplement['code']}, 4 số cuối "
                     f"{supplement['phone_last4']}\n")
    return result
