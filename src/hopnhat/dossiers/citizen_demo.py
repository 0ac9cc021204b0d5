"""The citizen's side of the demo (issue 17), after dossiers.demo: the two old units' procedure lists merged into one
catalogue with one conflict (time limit of "đăng ký khai sinh") decided by the unit administrator of UBND phường Ba
Đình (quantri.badinh, through the same role check as her web page /ho-so/can-bo/danh-muc/khac-biet/); a citizen (VNeID
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
from hopnhat.org.models import Agency, Role, RoleAssignment

from . import actions, catalogue_samples, citizen, online, procedure_catalogue
from .models import Action, OnlineSubmission, Procedure, Status

ACTOR = "system:demo"
ADMIN = "quantri.badinh"   # unit administrator of UBND phường Ba Đình: decides the catalogue's differences
ID_NUMBER = "001190055555"
KEY = "demo-citizen-khai-sinh"
BA_DINH = "000.00.04.H26"   # UBND phường Ba Đình (samples.AGENCIES)
FORM_DATA = [{"key": "ho_chu_dem_ten_cua_tre", "label": "Họ, chữ đệm, tên của trẻ", "label_en": "",
              "value": "Lê Minh Khang"},
             {"key": "ngay_thang_nam_sinh_cua_tre", "label": "Ngày, tháng, năm sinh của trẻ", "label_en": "",
              "value": "02/12/2025"},
             {"key": "gioi_tinh", "label": "Giới tính", "label_en": "", "value": "Nam"},
             {"key": "noi_sinh", "label": "Nơi sinh", "label_en": "", "value": "Bệnh viện Phụ sản Hà Nội"},
             {"key": "quan_he_voi_tre", "label": "Quan hệ với trẻ", "label_en": "", "value": "Mẹ"},
             {"key": "ghi_chu", "label": "Ghi chú", "label_en": "", "value": ""}]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "catalogue"
    for spec in catalogue_samples.mappings(folder):
        run_mapping(Mapping.from_dict(spec), actor=ACTOR)
    User = get_user_model()
    admin = User.objects.filter(username=ADMIN).first()
    if admin is None:
        admin = User(username=ADMIN, first_name="Phạm Thu", last_name="Hà")
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    ward = Agency.objects.filter(code=BA_DINH).first()
    if ward is not None:
        RoleAssignment.objects.get_or_create(user=admin, role=Role.UNIT_ADMIN, agency=ward)
    for conflict in procedure_catalogue.conflicts_for(admin, decided=False):   # through the role check
        procedure_catalogue.decide_as(admin, conflict, system=catalogue_samples.WARD,
                                      note="Theo Luật Hộ tịch: 5 ngày làm việc khi cần xác minh / 5 working days")
    user, created = User.objects.get_or_create(username=USERNAME_PREFIX + keyed_hash(ID_NUMBER),
                                               defaults={"first_name": "Lê Thị Mai", "email": "mai@example.vn"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    birth = Procedure.objects.filter(national_code="1.001193").order_by("pk").first()
    result = {"catalogue": "/ho-so/thu-tuc/", "search": "/tim-kiem/?q=dang+ky+khai+sinh",
              "unit_admin": {"username": ADMIN, "password": DEMO_PASSWORD,
                             "catalogue_differences": "/ho-so/can-bo/danh-muc/khac-biet/"},
              "citizen": {"username": user.username, "password": DEMO_PASSWORD, "my_dossiers": "/ho-so/cua-toi/"}}
    if not OnlineSubmission.objects.filter(key=KEY).exists():
        try:
            dossier = online.submit(key=KEY, citizen_id_hash=online.id_hash_of(user), applicant_name="Lê Thị Mai",
                                    procedure=birth, place="Phường Trúc Bạch, Quận Ba Đình", phone="0912555555",
                                    form_data=FORM_DATA,
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
