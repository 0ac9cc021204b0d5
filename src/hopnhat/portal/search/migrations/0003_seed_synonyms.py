"""Starting synonyms and acronyms of Vietnamese public administration; staff edit them in the admin afterwards."""

from django.db import migrations

SEED = [
    ("UBND, Ủy ban nhân dân", "acronym"),
    ("HĐND, Hội đồng nhân dân", "acronym"),
    ("TTHC, thủ tục hành chính", "acronym"),
    ("CCCD, căn cước công dân, thẻ căn cước", "acronym"),
    ("CMND, chứng minh nhân dân, chứng minh thư", "acronym"),
    ("BHXH, bảo hiểm xã hội", "acronym"),
    ("BHYT, bảo hiểm y tế", "acronym"),
    ("GCNQSDĐ, sổ đỏ, giấy chứng nhận quyền sử dụng đất", "acronym and common name"),
    ("THPT, trung học phổ thông", "acronym"),
    ("THCS, trung học cơ sở", "acronym"),
    ("GPLX, giấy phép lái xe, bằng lái xe", "acronym and common name"),
    ("ĐKKD, đăng ký kinh doanh", "acronym"),
    ("MST, mã số thuế", "acronym"),
    ("DVC, dịch vụ công", "acronym"),
    ("GD&ĐT, GDĐT, giáo dục và đào tạo", "acronym"),
    ("KCB, khám chữa bệnh, khám bệnh chữa bệnh", "acronym"),
    ("TPHCM, TP HCM, Thành phố Hồ Chí Minh, Sài Gòn", "acronym and old name"),
    ("sáp nhập, hợp nhất, sắp xếp đơn vị hành chính", "the 2025 reform"),
    ("VNeID, định danh điện tử", "common name"),
]


def seed(apps, schema_editor):
    Synonym = apps.get_model("portal_search", "Synonym")
    for phrases, note in SEED:
        Synonym.objects.get_or_create(phrases=phrases, defaults={"note": note})


def unseed(apps, schema_editor):
    apps.get_model("portal_search", "Synonym").objects.filter(phrases__in=[p for p, _ in SEED]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("portal_search", "0002_fulltext_index"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
