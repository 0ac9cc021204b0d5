"""More acronyms of Vietnamese public administration (issue 19): the ones commune portals and citizens write
for procedures, sectors and documents. Staff edit them in the admin afterwards."""

from django.db import migrations

SEED = [
    ("GPXD, giấy phép xây dựng", "acronym"),
    ("NVQS, nghĩa vụ quân sự", "acronym"),
    ("HKD, hộ kinh doanh", "acronym"),
    ("QSDĐ, quyền sử dụng đất", "acronym"),
    ("XNTTHN, xác nhận tình trạng hôn nhân", "acronym"),
    ("GKS, giấy khai sinh", "acronym"),
    ("ATGT, an toàn giao thông", "acronym"),
    ("ATTP, an toàn thực phẩm", "acronym"),
    ("CSGT, cảnh sát giao thông", "acronym"),
    ("HTX, hợp tác xã", "acronym"),
    ("MTTQ, Mặt trận Tổ quốc", "acronym"),
    ("KT-XH, KTXH, kinh tế - xã hội, kinh tế xã hội", "acronym"),
    ("NTM, nông thôn mới", "acronym"),
    ("CĐS, chuyển đổi số", "acronym"),
]


def seed(apps, schema_editor):
    Synonym = apps.get_model("portal_search", "Synonym")
    for phrases, note in SEED:
        Synonym.objects.get_or_create(phrases=phrases, defaults={"note": note})


def unseed(apps, schema_editor):
    apps.get_model("portal_search", "Synonym").objects.filter(phrases__in=[p for p, _ in SEED]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("portal_search", "0007_refold_eth"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
