"""Demo dossiers for `hopnhat demo`: Quận Ba Đình's two old one-door systems (samples.py) merged through the
consolidation engine, the old agencies closed as on 1/7/2025, and their in-progress dossiers handed over.

The district's land dossier 000.00.01.H26-250612-0007 (phone ending 4321) then answers on /ho-so/tra-cuu/ under
its old code, with the hand-over to UBND phường Ba Đình in its timeline. Loading twice changes nothing: the
engine skips unchanged records, closed agencies stay closed, and a hand-over only moves what is still open.

UBND phường Ba Đình then has a one-door team (password org.demo.DEMO_PASSWORD): the desk officer who receives
and returns results, an official who processes what is assigned to her, and the vice-chairman who approves; with
fresh dossiers in each of their queues (one waiting for assignment, one assigned, one processed and waiting for
approval) beside the handed-over ones."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.demo import DEMO_PASSWORD
from hopnhat.org.models import Membership, Person, Role, RoleAssignment

from . import actions, handover, quarantine, samples
from .models import Dossier

ACTOR = "system:demo"
# (username, full name, title, role)
TEAM = [
    ("motcua.badinh", "Ngô Thị Mai", "Công chức Trung tâm Phục vụ hành chính công", Role.DOSSIER_RECEIVER),
    ("thuly.badinh", "Nguyễn Thu Trang", "Công chức Văn hóa - Xã hội", Role.DOSSIER_PROCESSOR),
    ("lanhdao.badinh", "Lê Quốc Cường", "Phó Chủ tịch UBND phường", Role.DOSSIER_APPROVER),
]
# (applicant, phone, procedure code, how far it gets: queue | assigned | processed)
FRESH = [
    ("Trần Thị Thu Hường", "0912345001", "1.001193.000.00.00.H26", "queue"),
    ("Phạm Quang Huy", "0912345002", "1.004227.000.00.00.H26", "assigned"),
    ("Lương Thị Nga", "0912345003", "2.000884.000.00.00.H26", "processed"),
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


def _fresh_dossiers(agency, team, procedures) -> int:
    desk, official = team[Role.DOSSIER_RECEIVER], team[Role.DOSSIER_PROCESSOR]
    if Dossier.objects.filter(receiving_agency=agency, events__actor=desk.username).exists():
        return 0
    with transaction.atomic():
        for name, phone, code, stage in FRESH:
            d = actions.receive(desk, agency=agency, procedure=procedures[code], applicant_name=name, phone=phone,
                                address="Phường Ba Đình, Hà Nội")
            if stage in {"assigned", "processed"}:
                actions.assign(desk, d, official, note="Chuyển công chức thụ lý")
            if stage == "processed":
                # approving is left to the leader, for whoever tries the demo
                actions.process(official, d, note="Đã thẩm định, trình lãnh đạo phê duyệt")
    return len(FRESH)


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
    team = _team(made["ba_dinh"])
    fresh = _fresh_dossiers(made["ba_dinh"], team, procedures)
    # the district's dossier with an unknown status waits in quarantine: its code tells the citizen it is being
    # transferred and whom to call, until someone resolves it
    waiting = "000.22.01.H26-250620-0005"
    transferring = bool(quarantine.open_records(waiting))
    result = {
        "runs": runs, "agencies_closed": closed, "handed_over": report["total"], "dossiers": Dossier.objects.count(),
        "received_now": fresh,
        "try": {"url": "/ho-so/tra-cuu/", "code": "000.00.01.H26-250612-0007", "phone_last4": "4321"},
        "try_transferring": {"url": "/ho-so/tra-cuu/", "code": waiting, "phone_last4": "0555"}
        if transferring else None,
        "team": [{"username": u, "password": DEMO_PASSWORD, "name": n, "role": r, "agency": made["ba_dinh"].name,
                  "worklist": "/ho-so/can-bo/"} for u, n, _, r in TEAM],
    }
    stdout.write(f"    Hồ sơ / dossiers: {result['dossiers']} từ 2 hệ thống cũ và một cửa / from 2 old systems and "
                 f"the desk, {report['total']} vừa bàn giao / handed over now\n"
                 f"    Tra cứu thử / try: /ho-so/tra-cuu/ mã 000.00.01.H26-250612-0007, 4 số cuối 4321\n"
                 + (f"    Hồ sơ đang chờ xử lý cách ly / a quarantined dossier: mã {waiting}, 4 số cuối 0555\n"
                    if transferring else "") +
                 f"    Một cửa UBND phường Ba Đình / one-door team: "
                 f"{', '.join(f'{u} ({r})' for u, _, _, r in TEAM)}, mật khẩu / password {DEMO_PASSWORD}\n")
    return result
