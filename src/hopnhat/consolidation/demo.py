"""Demo data of the migration engine for `hopnhat demo` (after the inventory's, before the portal's and the
dossiers'): the old systems those demos migrate are entered in the one register of old systems first, since a
run of an unregistered system is refused (inventory/register.py).

Then Hà Giang's mail accounts are migrated into the staff register. Two accounts cannot be loaded and wait in
the quarantine queue (/hop-nhat/cach-ly/): one names the provincial office by the code the mail system used
before 2020, which the province's IT officer then adds to the agency crosswalk and re-runs — resolved through the
queue, as the audit log shows; the other's e-mail address is broken and is left for whoever tries the demo."""

import csv

from django.conf import settings

from hopnhat.consolidation import quarantine
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.inventory import spreadsheet
from hopnhat.consolidation.inventory.demo import filled_template
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import OverrideKind, StagedRecord

ACTOR = "system:demo"
# The systems the portal, dossier and document demos migrate besides the inventory demo's own (template rows).
SYSTEMS = [
    {"code": "motcua-badinh", "name": "Phần mềm một cửa quận Ba Đình", "system_type": "Thủ tục hành chính",
     "agency": "000.00.01.H26", "new_unit": "01", "vendor": "Nhà thầu địa phương", "records": 12,
     "capability": 2, "vendor_support": 2},
    {"code": "dvc-hanoi", "name": "Hệ thống thông tin giải quyết TTHC thành phố Hà Nội (bản sao quận Ba Đình)",
     "system_type": "Thủ tục hành chính", "agency": "000.00.00.H26", "new_unit": "01", "vendor": "VNPT",
     "capability": 4, "vendor_support": 4},
    {"code": "portal-sgddttuyenquanggovvn", "name": "Trang thông tin điện tử Sở Giáo dục và Đào tạo Tuyên Quang",
     "system_type": "Cổng thông tin điện tử", "agency": "000.00.01.H60", "new_unit": "08",
     "url": "https://sgddt.tuyenquang.gov.vn"},
    {"code": "portal-vixuyenhagianggovvn", "name": "Trang thông tin điện tử huyện Vị Xuyên",
     "system_type": "Cổng thông tin điện tử", "agency": "000.00.01.H22", "new_unit": "08",
     "url": "https://vixuyen.hagiang.gov.vn"},
    {"code": "portal-ttvixuyenhagianggovvn", "name": "Trang thông tin điện tử thị trấn Vị Xuyên",
     "system_type": "Cổng thông tin điện tử", "agency": "000.00.01.H22", "new_unit": "08",
     "url": "https://ttvixuyen.hagiang.gov.vn"},
    {"code": "tthc-quan-badinh", "name": "Danh mục thủ tục hành chính quận Ba Đình (CSV công bố)",
     "system_type": "Thủ tục hành chính", "agency": "000.00.01.H26", "new_unit": "01", "vendor": "Nhà thầu địa phương",
     "capability": 2, "vendor_support": 2},
    {"code": "tthc-phuong-trucbach", "name": "Danh mục thủ tục hành chính phường Trúc Bạch (Excel công bố)",
     "system_type": "Thủ tục hành chính", "agency": "000.04.01.H26", "new_unit": "01", "vendor": "Nhà thầu địa phương",
     "capability": 1, "vendor_support": 1},
    {"code": "bc-thongke-tinh-cu", "name": "Sổ liệu báo cáo thống kê của các tỉnh cũ (Excel)",
     "system_type": "Thông tin báo cáo", "agency": "000.00.00.H22", "new_unit": "08", "vendor": "Tự xây dựng",
     "capability": 1, "vendor_support": 1},
    {"code": "qlvb-yenson", "name": "Phần mềm quản lý văn bản huyện Yên Sơn",
     "system_type": "Quản lý văn bản điều hành",
     "agency": "000.00.36.H60", "new_unit": "08", "vendor": "Nhà thầu địa phương", "capability": 2,
     "vendor_support": 1},
]


def register_systems() -> dict:
    from hopnhat.dossiers import samples  # the Ba Đình agencies that own the one-door systems (idempotent)

    samples.ensure_agencies()
    report = spreadsheet.import_register(filled_template(SYSTEMS), actor=ACTOR, name="demo-he-thong-chuyen-doi.xlsx")
    if not report.ok:
        raise RuntimeError(report.summary())
    return {"created": len(report.created), "unchanged": len(report.unchanged) + len(report.updated)}


# Hà Giang's mail accounts (Zimbra export): the office's pre-2020 code VP-UBND-HG and a broken address.
ACCOUNTS = [
    ("ten_dang_nhap", "ho_ten", "email", "ma_co_quan"),
    ("hoang.van.minh", "Hoàng Văn Minh", "minh.hv@hagiang.gov.vn", "000.00.01.H22"),
    ("ly.thi.hoa", "Lý Thị Hoa", "hoa.lt@hagiang.gov.vn", "000.00.01.H22"),
    ("giang.a.pao", "Giàng A Páo", "pao.ga@hagiang.gov.vn", "VP-UBND-HG"),
    ("nong.thi.xuan", "Nông Thị Xuân", "xuan.nt@hagiang", "000.00.01.H22"),
]
FIXER = "quantri.tuyenquang"


def mail_mapping(folder) -> dict:
    return {"system": "hagiang-mail", "system_type": "email", "stream": "tai-khoan", "importer": "org.people",
            "source": {"kind": "csv", "path": str(folder / "zimbra-hagiang.csv"), "key": "ten_dang_nhap"},
            "fields": {"full_name": {"from": "ho_ten", "required": True}, "email": "email",
                       "agency_code": "ma_co_quan"}}


def quarantine_demo() -> dict:
    folder = settings.VAR_DIR / "demo" / "consolidation"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "zimbra-hagiang.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ACCOUNTS)
    run = run_mapping(Mapping.from_dict(mail_mapping(folder)), actor=ACTOR)
    resolved = []
    waiting = StagedRecord.objects.filter(system="hagiang-mail", stream="tai-khoan", key="giang.a.pao",
                                          outcome="quarantined")
    if waiting.exists():
        quarantine.add_entry("hagiang-mail", "tai-khoan", OverrideKind.CROSSWALK, "agency", "VP-UBND-HG",
                             "000.00.01.H22", actor=FIXER,
                             note="Mã cũ của Văn phòng UBND tỉnh Hà Giang trên hệ thống thư trước năm 2020")
        resolved = quarantine.rerun("hagiang-mail", "tai-khoan", ["giang.a.pao"], actor=FIXER)["resolved"]
    return {"run": run.pk, "resolved_now": [r["key"] for r in resolved],
            "waiting": quarantine.open_records("hagiang-mail").count(), "queue": "/hop-nhat/cach-ly/",
            "resolved_total": quarantine.resolved_entries("hagiang-mail").count()}


def load_demo(stdout) -> dict:
    registered = register_systems()
    stdout.write(f"    Danh mục hệ thống được chuyển đổi / systems the demos migrate: "
                 f"{registered['created']} mới / new, {registered['unchanged']} không đổi / unchanged\n")
    queue = quarantine_demo()
    stdout.write(f"    Hàng chờ cách ly / quarantine queue {queue['queue']}: {queue['waiting']} chờ quyết định / "
                 f"waiting, {queue['resolved_total']} đã xử lý qua hàng chờ / resolved through it\n")
    return {"registered": registered, "quarantine": queue}
