"""The citizen's side of the demo (issue 17), after dossiers.demo: the two old units' procedure lists merged into one
catalogue with one conflict (time limit of "đăng ký khai sinh") decided by the unit administrator; a citizen (VNeID
account, password org.demo.DEMO_PASSWORD) who finds "dang ky khai sinh", submits it online with the old address
"Phường Trúc Bạch, Quận Ba Đình" → Phường Ba Đình's one-door desk, is asked for a supplement, supplies it online,
and downloads the result. Loads once; a second run changes nothing."""

from django.conf import settings
from django.contrib.auth import get_user_model

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.pii import VNEID_USERNAME_PREFIX as USERNAME_PREFIX
from hopnhat.core.pii import keyed_hash
from hopnhat.org.demo import DEMO_PASSWORD

from . import actions, catalogue_samples, citizen, online, procedure_catalogue
from .models import Action, OnlineSubmission, Procedure, Status

ACTOR = "system:demo"
ADMIN = "quantri.phuongbadinh"   # the unit administrator who decides catalogue conflicts
ID_NUMBER = "001190055555"
KEY = "demo-citizen-khai-sinh"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "catalogue"
    for spec in catalogue_samples.mappings(folder):
        run_mapping(Mapping.from_dict(spec), actor=ACTOR)
    for conflict in procedure_catalogue.open_conflicts():
        procedure_catalogue.decide(conflict, actor=ADMIN, system=catalogue_samples.WARD,
                                   note="Theo Luật Hộ tịch: 5 ngày làm việc khi cần xác minh / 5 working days")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=USERNAME_PREFIX + keyed_hash(ID_NUMBER),
                                               defaults={"first_name": "Lê Thị Mai", "email": "mai@example.vn"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    birth = Procedure.objects.filter(national_code="1.001193").order_by("pk").first()
    result = {"catalogue": "/ho-so/thu-tuc/", "search": "/tim-kiem/?q=dang+ky+khai+sinh",
              "citizen": {"username": user.username, "password": DEMO_PASSWORD, "my_dossiers": "/ho-so/cua-toi/"}}
    if not OnlineSubmission.objects.filter(key=KEY).exists():
        try:
            dossier = online.submit(key=KEY, citizen_id_hash=online.id_hash_of(user), applicant_name="Lê Thị Mai",
                                    procedure=birth, place="Phường Trúc Bạch, Quận Ba Đình", phone="0912555555",
                                    files=[online.Upload("Tờ khai đăng ký khai sinh", "to-khai.pdf", PDF)])
        except RuntimeError as exc:   # clamd not running (scripts/services.sh starts it)
            stdout.write(f"    Bỏ qua nộp trực tuyến / online submission skipped: {exc}\n")
            return result
        actions.transition(ACTOR, dossier, Action.REQUEST_SUPPLEMENT, note="Bản chính giấy chứng sinh")
        citizen.supply(user, dossier, [online.Upload("Giấy chứng sinh", "giay-chung-sinh.pdf", PDF)])
        dossier.refresh_from_db()
        actions.transition(ACTOR, dossier, Action.APPROVE, result="Giấy khai sinh số 12/2025")
        citizen.attach_result(ACTOR, dossier, "giay-khai-sinh.pdf", PDF)
        actions.transition(ACTOR, dossier, Action.RETURN_RESULT)
    submission = OnlineSubmission.objects.select_related("dossier__agency").get(key=KEY)
    result["dossier"] = {"code": submission.dossier.code, "agency": submission.dossier.agency.name,
                         "status": Status(submission.dossier.status).label}
    stdout.write(f"    Danh mục thủ tục hợp nhất / merged catalogue: {Procedure.objects.count()} thủ tục, 1 khác biệt "
                 f"do {ADMIN} quyết định / 1 difference decided\n"
                 f"    Công dân / citizen: {user.username[:20]}… mật khẩu / password {DEMO_PASSWORD}; hồ sơ "
                 f"{result['dossier']['code']} tại / at {result['dossier']['agency']}\n")
    return result
