"""Demo documents for `hopnhat demo` (after core's agencies and the dossiers' demo): the two old document systems of
the merged Tuyên Quang province (samples.py: old Hà Giang's and old UBND huyện Yên Sơn's) merged through the
consolidation engine, a document team at UBND tỉnh Tuyên Quang, a routing rule that routes a new incoming
document to Sở Nội vụ, one overdue document on the leader's dashboard, a draft waiting for review, and a rule
still pointing at a closed Sở for the unit administrator to re-point.

Try: /van-ban/tra-cuu/?q=125/UBND-VP&issuer=UBND huyện Yên Sơn — the abolished district's report answers with its
whole history; `hopnhat documents lookup "Số 45 /UBND-NC" --issuer "UBND tỉnh Hà Giang"` — one document sent by old
Hà Giang and received by old Yên Sơn, both histories. Loading twice changes nothing."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.org.demo import DEMO_PASSWORD
from hopnhat.org.models import Agency, Membership, Person, Role, RoleAssignment

from . import actions, demo_signing, samples
from .models import Document, RoutingRule

ACTOR = "system:demo"
# (username, full name, title, agency code, role)
TEAM = [
    ("vanthu.tuyenquang", "Hoàng Thị Lan", "Văn thư", "000.00.00.H60", Role.DOC_CLERK),
    ("lanhdao.tuyenquang", "Nguyễn Văn Hải", "Phó Chủ tịch UBND tỉnh", "000.00.00.H60", Role.DOC_LEADER),
    ("chuyenvien.vp", "Trần Minh Đức", "Chuyên viên Văn phòng UBND tỉnh", "000.00.01.H60", Role.OFFICIAL),
]
# what each login of the demo shows, by username
SHOWS = {
    "vanthu.tuyenquang": "văn thư: vào sổ văn bản đến (88/BNV-TCBC tự phân luồng về Sở Nội vụ), sổ văn bản, tra cứu số "
                         "cũ / clerk: registers incoming documents (88/BNV-TCBC is routed to Sở Nội vụ by a rule), "
                         "the registers, look-up by old numbers",
    "lanhdao.tuyenquang": "lãnh đạo: giao xử lý, theo dõi văn bản quá hạn (1520/STC-NS) / leader: assigns documents, "
                          "follows the overdue one (1520/STC-NS)",
    "chuyenvien.vp": "chuyên viên: xử lý văn bản được giao (đã quá hạn), soạn dự thảo trả lời / official: handles the "
                     "document assigned to them (overdue), drafts the reply",
}
ROUTED = {"number": "88/BNV-TCBC", "issuer_name": "Bộ Nội vụ", "issued_date": datetime.date(2025, 9, 15),
          "subject": "Về việc hướng dẫn sắp xếp tổ chức bộ máy cơ quan chuyên môn cấp xã sau hợp nhất",
          "signer_name": "Trương Hải Long", "signer_position": "Thứ trưởng", "urgency": 1, "field": "Tổ chức bộ máy"}
OVERDUE = {"number": "1520/STC-NS", "issuer_name": "Sở Tài chính tỉnh Tuyên Quang",
           "issued_date": datetime.date(2025, 10, 1),
           "subject": "V/v đề nghị báo cáo tình hình giải ngân vốn đầu tư công 9 tháng năm 2025", "urgency": 0}


def _team() -> dict:
    User = get_user_model()
    users = {}
    for username, full_name, title, code, role in TEAM:
        agency = Agency.objects.get(code=code)
        user = User.objects.filter(username=username).first()
        if user is None:
            family, _, given = full_name.rpartition(" ")
            user = User(username=username, first_name=given, last_name=family)
            user.set_password(DEMO_PASSWORD)
            user.save()
            person = Person.objects.create(full_name=full_name, user=user)
            Membership.objects.create(person=person, agency=agency, title=title)
        RoleAssignment.objects.get_or_create(user=user, role=role, agency=agency)
        users[username] = user
    return users


def _rules(tq: Agency) -> RoutingRule:
    noivu = Agency.objects.get(code="000.00.02.H60")
    rule, _ = RoutingRule.objects.get_or_create(
        agency=tq, name="Sắp xếp tổ chức bộ máy → Sở Nội vụ",
        defaults={"words": "sắp xếp, sáp nhập, hợp nhất, tổ chức bộ máy", "department": noivu, "priority": 10})
    # written before Sở Thông tin và Truyền thông merged into Sở Khoa học và Công nghệ: waits for re-pointing
    RoutingRule.objects.get_or_create(
        agency=tq, name="Chuyển đổi số → Sở Thông tin và Truyền thông",
        defaults={"words": "chuyển đổi số, công nghệ thông tin", "priority": 20,
                  "department": Agency.objects.get(code="000.00.07.H60")})
    return rule


def _fresh(tq: Agency, users: dict) -> int:
    if Document.objects.filter(number_key="88/BNV-TCBC").exists():
        return 0
    clerk, leader = users["vanthu.tuyenquang"], users["lanhdao.tuyenquang"]
    with transaction.atomic():
        actions.register_incoming(clerk, tq, ROUTED, attachments=[("cv88-bnv.pdf", samples.pdf_bytes(
            "Bộ Nội vụ 88/BNV-TCBC: hướng dẫn sắp xếp tổ chức bộ máy cấp xã"))])
        late = actions.register_incoming(clerk, tq, OVERDUE, at=timezone.now() - datetime.timedelta(days=30))
        actions.assign(leader, late, [(Agency.objects.get(code="000.00.01.H60"), users["chuyenvien.vp"], "lead")],
                       due_date=timezone.localdate() - datetime.timedelta(days=7), note="Văn phòng tổng hợp")
        actions.draft(users["chuyenvien.vp"], tq, {"code_notation": "UBND-VP", "subject": "V/v báo cáo tình hình "
                                                   "giải ngân vốn đầu tư công 9 tháng năm 2025"})
    return 3


SIGNED = {"code_notation": "UBND-VP", "type_name": "Công văn", "place": "Tuyên Quang",
          "subject": "V/v thống nhất sử dụng một hệ thống quản lý văn bản và điều hành sau hợp nhất",
          "signer_name": demo_signing.DEMO_SIGNER_NAME, "signer_position": "Phó Chủ tịch", "field": "Chuyển đổi số"}
TO_SIGN = {"code_notation": "UBND-NC", "type_name": "Công văn", "place": "Tuyên Quang",
           "subject": "V/v rà soát quy tắc phân luồng văn bản đến của các sở sau khi sáp nhập",
           "signer_name": demo_signing.DEMO_SIGNER_NAME, "signer_position": "Phó Chủ tịch", "field": "Văn thư"}
BODIES = {
    SIGNED["subject"]: [
        "Thực hiện chủ trương sắp xếp đơn vị hành chính, từ ngày 01/7/2025 tỉnh Tuyên Quang và tỉnh Hà Giang hợp "
        "nhất thành tỉnh Tuyên Quang. Hai hệ thống quản lý văn bản và điều hành cũ đã được hợp nhất vào một hệ "
        "thống, giữ nguyên số, ký hiệu và toàn bộ quá trình xử lý của văn bản cũ.",
        "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành và Ủy ban nhân dân các xã, phường từ nay chỉ tiếp nhận, "
        "xử lý và phát hành văn bản trên hệ thống chung; tra cứu văn bản cũ theo số, ký hiệu và cơ quan ban hành "
        "cũ tại mục Tra cứu văn bản.",
    ],
    TO_SIGN["subject"]: [
        "Sau khi Sở Thông tin và Truyền thông sáp nhập vào Sở Khoa học và Công nghệ, một số quy tắc phân luồng văn "
        "bản đến vẫn trỏ tới cơ quan đã dừng hoạt động. Đề nghị quản trị đơn vị rà soát và chuyển các quy tắc này "
        "sang cơ quan kế thừa trước ngày 15 của tháng.",
    ],
}


def _cong_van(meta: dict) -> bytes:
    return demo_signing.cong_van_pdf(
        agency="Ủy ban nhân dân\ntỉnh Tuyên Quang", notation=meta["code_notation"], place=meta["place"],
        day=timezone.localdate(), subject=meta["subject"], paragraphs=BODIES[meta["subject"]],
        recipients=["Các sở, ban, ngành tỉnh", "UBND các xã, phường"], authority="KT. CHỦ TỊCH",
        position=meta["signer_position"], signer=meta["signer_name"])


def _outgoing(tq: Agency, users: dict) -> dict:
    """Two outgoing công văn of UBND tỉnh with the leader's demo key configured: one walked draft → review →
    approve → sign (digitally, with the key keys.json names for lanhdao.tuyenquang) → number → issue, the other
    approved and waiting for the leader to sign it on its page."""
    keys = demo_signing.ensure_keys()
    drafter, leader, clerk = users["chuyenvien.vp"], users["lanhdao.tuyenquang"], users["vanthu.tuyenquang"]
    made = {}
    review = ("review", leader, "Nội dung phù hợp, đề nghị trình ký")
    approve = ("approve", leader, "Đồng ý ban hành")
    for meta, steps in ((SIGNED, [review, approve, ("sign", leader, "Ký số"), ("number", clerk, ""),
                                  ("issue", clerk, "Phát hành điện tử, kèm bản ký số")]),
                        (TO_SIGN, [review, approve])):
        existing = Document.objects.filter(subject=meta["subject"], issuer=tq).first()
        if existing is None:
            with transaction.atomic():
                entry = actions.draft(drafter, tq, dict(meta), attachments=[
                    (f"cong-van-{meta['code_notation'].lower()}.pdf", _cong_van(meta))])
                for name, actor, note in steps:
                    entry = actions.step(actor, entry, name, note=note)
            existing = entry.document
        made[meta["subject"]] = existing.entries.get(agency=tq).pk
    return {"signing": keys, "signed_entry": made[SIGNED["subject"]], "to_sign_entry": made[TO_SIGN["subject"]]}


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    hg_db, ys_db = folder / "qlvb-hagiang.sqlite3", folder / "qlvb-yenson.sqlite3"
    hg_url, ys_url = f"sqlite:///{hg_db}", f"sqlite:///{ys_db}"
    if not hg_db.exists():
        samples.write_hagiang(hg_url)
    if not ys_db.exists():
        samples.write_yenson(ys_url)
    samples.write_files(folder / "hagiang-files", folder / "yenson-files")
    runs = {}
    for spec in samples.mappings(hg_url, ys_url, folder / "hagiang-files", folder / "yenson-files"):
        run = run_mapping(Mapping.from_dict(spec), actor=ACTOR)
        runs[f"{spec['system']}/{spec['stream']}"] = {"outcomes": run.totals["outcomes"], "balanced": run.balanced}
    tq = Agency.objects.get(code="000.00.00.H60")
    users = _team()
    rule = _rules(tq)
    fresh = _fresh(tq, users)
    outgoing = _outgoing(tq, users)
    result = {
        "runs": runs, "documents": Document.objects.count(), "registered_now": fresh, "rule": rule.name,
        "outgoing": outgoing,
        "try": {"url": "/van-ban/tra-cuu/?q=125/UBND-VP&issuer=UBND%20huy%E1%BB%87n%20Y%C3%AAn%20S%C6%A1n",
                "cli": 'hopnhat documents lookup "Số 45 /UBND-NC" --issuer "UBND tỉnh Hà Giang"'},
        "team": [{"username": u, "password": DEMO_PASSWORD, "name": n, "role": r, "pages": "/van-ban/",
                  "shows": SHOWS[u]}
                 for u, n, _, _, r in TEAM],
    }
    stdout.write(f"    Văn bản / documents: {result['documents']} từ 2 hệ thống cũ / from 2 old systems, "
                 f"{fresh} vừa vào sổ / registered now\n"
                 f"    Tra cứu thử / try: /van-ban/tra-cuu/ 125/UBND-VP của UBND huyện Yên Sơn (đã giải thể)\n"
                 f"    Văn bản đã ký số / digitally signed: /van-ban/{outgoing['signed_entry']}/; chờ ký / waiting "
                 f"for the signature of {demo_signing.DEMO_SIGNER}: /van-ban/{outgoing['to_sign_entry']}/\n"
                 f"    Văn thư, lãnh đạo / clerk, leader: {', '.join(u for u, *_ in TEAM)}, "
                 f"mật khẩu / password {DEMO_PASSWORD}\n")
    return result
