from decimal import Decimal

from django.urls import reverse

from hopnhat.dossiers.tests.staffing import client_for, official
from hopnhat.org.models import Role
from hopnhat.reports.collection import record_values
from hopnhat.reports.models import DataValue, Report, Status

from .conftest import ACTOR


def test_pages_entry_approve_and_series_chart(tq):
    ag, u = tq.agencies, tq.units
    clerk = client_for(official("ys-clerk", "Nguyễn Văn An", ag.ys, Role.OFFICIAL))
    boss_user = official("tq-admin", "Trần Thị Bình", ag.tq, Role.UNIT_ADMIN)
    boss = client_for(boss_user)
    url = reverse("reports:form", args=["B01-DS", ag.ys.pk, "2024Q4"])
    page = clerk.get(url)
    assert page.status_code == 200 and "Quý 4/2024" in page.content.decode()
    bad = clerk.post(url, {"DS01": "1.240", "DS01|nam": "600", "DS01|nữ": "600", "DS02": "12.345,5"})
    assert bad.status_code == 400 and "D5" in bad.content.decode() and "R2" in bad.content.decode()
    ok = clerk.post(url, {"DS01": "1.240", "DS01|nam": "600", "DS01|nữ": "640", "DS02": "12.345,5"})
    assert ok.status_code == 302
    assert DataValue.objects.get(indicator__code="DS02").value == Decimal("12345.5")
    assert 'value="12.345,5"' in clerk.get(url).content.decode()
    report = Report.objects.get()
    assert clerk.post(reverse("reports:act", args=[report.pk, "submit"])).status_code == 302
    assert clerk.post(reverse("reports:act", args=[report.pk, "approve"])).status_code == 403
    assert boss.post(reverse("reports:act", args=[report.pk, "approve"])).status_code == 302
    assert Report.objects.get().status == Status.APPROVED
    tpl = clerk.get(reverse("reports:template", args=["B01-DS", ag.ys.pk, "2024Q4"]))
    assert tpl.status_code == 200 and tpl["Content-Type"].startswith("application/vnd.openxml")
    index = boss.get(reverse("reports:index")).content.decode()
    assert "B01-DS" in index and "DS03" in index

    record_values([(tq.cat.births, u.ys_old, None, "2024", "", Decimal(300)),
                   (tq.cat.births, u.lq_old, None, "2024", "", Decimal(50)),
                   (tq.cat.births, u.ys, None, "2025", "", Decimal(220))], "import", ACTOR)
    html = boss.get(reverse("reports:series", args=["DS01", u.ys.pk])).content.decode()
    assert "<svg" in html and 'class="estimated"' in html and "01/7/2025" in html and "<script" not in html
    assert "Ước tính" in html and "equal" in html
    boss.post(reverse("set_language"), {"language": "en"})
    english = boss.get(reverse("reports:series", args=["DS01", u.ys.pk])).content.decode()
    assert "Estimated" in english and "As merged" in english and "Ước tính" not in english


def test_outsiders_are_kept_out(tq):
    from django.test import Client
    assert Client().get(reverse("reports:index")).status_code == 302
    other = client_for(official("hg-clerk", "Lê Văn Cường", tq.agencies.hg, Role.OFFICIAL))
    assert other.get(reverse("reports:form", args=["B01-DS", tq.agencies.ys.pk, "2024Q4"])).status_code == 404
