"""Demo data of the migration engine for `hopnhat demo` (after the inventory's, before the portal's and the
dossiers'): the old systems those demos migrate are entered in the one register of old systems first, since a
run of an unregistered system is refused (inventory/register.py)."""

from hopnhat.consolidation.inventory import spreadsheet
from hopnhat.consolidation.inventory.demo import filled_template

ACTOR = "system:demo"
# The systems the portal and dossier demos migrate besides the inventory demo's own (template rows).
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
]


def register_systems() -> dict:
    from hopnhat.dossiers import samples  # the Ba Đình agencies that own the one-door systems (idempotent)

    samples.ensure_agencies()
    report = spreadsheet.import_register(filled_template(SYSTEMS), actor=ACTOR, name="demo-he-thong-chuyen-doi.xlsx")
    if not report.ok:
        raise RuntimeError(report.summary())
    return {"created": len(report.created), "unchanged": len(report.unchanged) + len(report.updated)}


def load_demo(stdout) -> dict:
    registered = register_systems()
    stdout.write(f"    Danh mục hệ thống được chuyển đổi / systems the demos migrate: {registered}\n")
    return {"registered": registered}
