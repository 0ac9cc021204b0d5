"""The procedure lists two old units of Quận Ba Đình published, for the demo and the tests:

* `tthc-quan-badinh`: the district's list as a CSV in the layout provinces publish (Vietnamese headers);
* `tthc-phuong-trucbach`: the ward's list as a JSON export shaped like the national TTHC database's.

They share "đăng ký khai sinh" (1.001193) but disagree on its time limit (3 vs 5 working days): one conflict for
the unit administrator. The district's procedures name the abolished district agency, so they move to the ward
that now does the job (Phường Ba Đình, the default successor).
"""

import csv
import json
from pathlib import Path

DISTRICT = "tthc-quan-badinh"
WARD = "tthc-phuong-trucbach"

DISTRICT_ROWS = [
    {"Mã thủ tục": "1.001193.000.00.00.H26", "Tên thủ tục": "Thủ tục đăng ký khai sinh", "Mã lĩnh vực": "G09-TP01",
     "Lĩnh vực": "Hộ tịch", "Cấp thực hiện": "Cấp xã", "Thời hạn giải quyết": "3",
     "Phí, lệ phí": "Lệ phí đăng ký khai sinh: 0",
     "Thành phần hồ sơ": "Tờ khai đăng ký khai sinh (1); Giấy chứng sinh (1)",
     "Cơ quan thực hiện": "000.00.01.H26", "Căn cứ pháp lý": "Luật Hộ tịch số 60/2014/QH13",
     "Sự kiện cuộc sống": "Khai sinh",
     "Trường thông tin tờ khai": "Họ, chữ đệm, tên của trẻ*; Ngày, tháng, năm sinh của trẻ*: ngày; "
                                 "Giới tính*: Nam | Nữ; Nơi sinh*; "
                                 "Quan hệ với trẻ*: Cha | Mẹ | Ông | Bà | Người thân khác; Ghi chú: văn bản dài"},
    {"Mã thủ tục": "1.004227.000.00.00.H26", "Tên thủ tục": "Đăng ký biến động quyền sử dụng đất",
     "Mã lĩnh vực": "G12-DD", "Lĩnh vực": "Đất đai", "Cấp thực hiện": "Cấp huyện; Cấp xã",
     "Thời hạn giải quyết": "10", "Phí, lệ phí": "Lệ phí đăng ký biến động: 30.000 đồng",
     "Thành phần hồ sơ": "Đơn đăng ký biến động (1); Giấy chứng nhận đã cấp (1)",
     "Cơ quan thực hiện": "000.00.01.H26", "Căn cứ pháp lý": "Luật Đất đai số 31/2024/QH15",
     "Sự kiện cuộc sống": "Nhà ở, đất đai", "Trường thông tin tờ khai": "Số thửa đất*: số; Số tờ bản đồ*: số; "
                                                                         "Nội dung biến động*: văn bản dài"},
]
WARD_ITEMS = {"data": [
    {"MaTTHC": "1.001193.000.00.00.H26", "TenTTHC": "Thủ tục đăng ký khai sinh",
     "LinhVuc": {"MaLinhVuc": "G09-TP01", "TenLinhVuc": "Hộ tịch"}, "CapThucHien": ["Cấp xã"],
     "ThoiHanGiaiQuyet": "5 ngày làm việc",
     "PhiLePhi": [{"TenPhiLePhi": "Lệ phí đăng ký khai sinh", "MucPhi": 0}],
     "ThanhPhanHoSo": [{"TenGiayTo": "Tờ khai đăng ký khai sinh", "SoLuong": 1, "MauDon": "to-khai-khai-sinh.docx"},
                       {"TenGiayTo": "Giấy chứng sinh", "SoLuong": 1}],
     "CoQuanThucHien": "000.04.01.H26",
     "TrinhTuThucHien": ["Nộp tờ khai và giấy chứng sinh", "Công chức tư pháp - hộ tịch kiểm tra",
                         "Trả giấy khai sinh"],
     "CanCuPhapLy": ["Luật Hộ tịch số 60/2014/QH13", "Nghị định 123/2015/NĐ-CP"],
     "SuKienCuocSong": ["Khai sinh", "Trẻ em dưới 6 tuổi"],
     "TruongThongTin": [{"MaTruong": "ho_ten_tre", "TenTruong": "Họ, chữ đệm, tên của trẻ", "KieuDuLieu": "text",
                         "BatBuoc": True},
                        {"MaTruong": "ngay_sinh", "TenTruong": "Ngày, tháng, năm sinh của trẻ", "KieuDuLieu": "date",
                         "BatBuoc": True}]},
    {"MaTTHC": "2.000884.000.00.00.H26", "TenTTHC": "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản",
     "LinhVuc": {"MaLinhVuc": "G09-TP05", "TenLinhVuc": "Chứng thực"}, "CapThucHien": ["Cấp xã"],
     "ThoiHanGiaiQuyet": "1", "PhiLePhi": [{"TenPhiLePhi": "Lệ phí chứng thực", "MucPhi": "10.000"}],
     "ThanhPhanHoSo": [{"TenGiayTo": "Giấy tờ cần chứng thực chữ ký", "SoLuong": 1}],
     "CoQuanThucHien": "000.04.01.H26", "CanCuPhapLy": ["Nghị định 23/2015/NĐ-CP"],
     "TruongThongTin": [{"MaTruong": "so_ban", "TenTruong": "Số bản cần chứng thực", "TenTiengAnh": "Number of copies",
                         "KieuDuLieu": "number", "BatBuoc": True}]},
]}


def write(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = directory / "danh-muc-tthc-quan-ba-dinh.csv", directory / "tthc-phuong-truc-bach.json"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(DISTRICT_ROWS[0]))
        writer.writeheader()
        writer.writerows(DISTRICT_ROWS)
    json_path.write_text(json.dumps(WARD_ITEMS, ensure_ascii=False, indent=1), encoding="utf-8")
    return {"csv": csv_path, "json": json_path}


def mappings(directory: Path) -> list[dict]:
    paths = write(directory)
    return [
        {"system": DISTRICT, "stream": "thu_tuc", "importer": "dossiers.procedure",
         "source": {"kind": "csv", "path": str(paths["csv"]), "encoding": "utf-8-sig", "key": "Mã thủ tục"},
         "fields": {"code": {"from": "Mã thủ tục", "required": True}, "name": "Tên thủ tục",
                    "field_code": "Mã lĩnh vực", "field_name": "Lĩnh vực", "levels": "Cấp thực hiện",
                    "processing_days": "Thời hạn giải quyết", "fees": "Phí, lệ phí", "papers": "Thành phần hồ sơ",
                    "agency": "Cơ quan thực hiện", "legal_basis": "Căn cứ pháp lý",
                    "life_events": "Sự kiện cuộc sống", "form_fields": "Trường thông tin tờ khai"}},
        {"system": WARD, "stream": "thu_tuc", "importer": "dossiers.procedure",
         "source": {"kind": "tthc_json", "path": str(paths["json"]), "items": "data", "key": "MaTTHC"},
         "fields": {"code": {"from": "MaTTHC", "required": True}, "name": "TenTTHC",
                    "field_code": "LinhVuc.MaLinhVuc", "field_name": "LinhVuc.TenLinhVuc", "levels": "CapThucHien",
                    "processing_days": "ThoiHanGiaiQuyet", "fees": "PhiLePhi", "papers": "ThanhPhanHoSo",
                    "agency": "CoQuanThucHien", "legal_basis": "CanCuPhapLy", "steps": "TrinhTuThucHien",
                    "life_events": "SuKienCuocSong", "form_fields": "TruongThongTin"}},
    ]
