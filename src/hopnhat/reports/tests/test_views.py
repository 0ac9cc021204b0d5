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
    assert "Ước tính" in html and "Chia đều" in html and "equal" not in html
    boss.post(reverse("set_language"), {"language": "en"})
    english = boss.get(reverse("reports:series", args=["DS01", u.ys.pk])).content.decode()
    assert "Estimated" in english and "As merged" in english and "Ước tính" not in english
    assert "Equal shares" in english and "Chia đều" not in english and "ước tính" not in english


def test_outsiders_are_kept_out(tq):
    from django.test import Client
    assert Client().get(reverse("reports:index")).status_code == 302
    other = client_for(official("hg-clerk", "Lê Văn Cường", tq.agencies.hg, Role.OFFICIAL))
    assert other.get(reverse("reports:form", args=["B01-DS", tq.agencies.ys.pk, "2024Q4"])).status_code == 404


def _births(tq):
    u = tq.units
    record_values([(tq.cat.births, u.ys_old, None, "2024", "", Decimal(300)),
                   (tq.cat.births, u.lq_old, None, "2024", "", Decimal(50)),
                   (tq.cat.births, u.ys, None, "2025", "", Decimal("220")),
                   (tq.cat.births, u.tb, None, "2025", "", Decimal("101")),
                   (tq.cat.births, u.ys, None, "2026", "", Decimal("231.5"))], "import", ACTOR)


def test_comparison_of_units_as_merged_and_as_reported_with_downloads(tq):
    import csv
    import io
    import json

    import sdmx

    u = tq.units
    _births(tq)
    boss = client_for(official("tq-admin", "Trần Thị Bình", tq.agencies.tq, Role.UNIT_ADMIN))
    url = reverse("reports:compare", args=["DS01"])
    # Without a choice: today's communes that can be compared, the split old commune's successors side by side.
    html = boss.get(url).content.decode()
    assert 'class="compare-chart"' in html and "<script" not in html
    assert html.count('class="estimated"') == 2          # 2024: both new communes hold a share of Yên Sơn (cũ)
    assert "Xã Thái Bình" in html and "Xã Yên Sơn" in html and "ước tính 150" in html
    assert "231,5" in html and "1 July" not in html and "Xã Lang Quán <small>(đơn vị cũ)</small>" in html
    # The series page offers the same comparison: the unit with its split predecessor's other successors.
    series_html = boss.get(reverse("reports:series", args=["DS01", u.ys.pk])).content.decode()
    assert f"u={u.ys.pk}&amp;u={u.tb.pk}" in series_html

    query = {"u": [u.ys.pk, u.tb.pk, u.lq_old.pk], "from": "2024", "to": "2026"}
    rows = list(csv.DictReader(io.StringIO(boss.get(url, query | {"format": "csv"}).content.decode())))
    got = {(r["unit_name"], r["period"]): (r["as_merged"], r["estimated_part"], r["as_reported"]) for r in rows}
    assert got[("Xã Yên Sơn", "2024")] == ("200", "150", "")       # 300 × ½ (equal shares) + 50 (whole)
    assert got[("Xã Thái Bình", "2024")] == ("150", "150", "")
    assert got[("Xã Yên Sơn", "2026")] == ("231.5", "", "231.5")
    assert got[("Xã Lang Quán", "2024")] == ("50", "", "50")        # an old unit as it reported
    data = json.loads(boss.get(url, query | {"format": "json"}).content)
    assert [x["name"] for x in data["units"]] == ["Xã Yên Sơn", "Xã Thái Bình", "Xã Lang Quán"]
    assert data["units"][0]["as_merged"][0]["estimated"] is True

    # SDMX-ML read back with sdmx1: both views, the figures as the source has them, the estimated one marked.
    structure = sdmx.read_sdmx(io.BytesIO(boss.get(url, query | {"format": "sdmx-structure"}).content))
    data = sdmx.read_sdmx(io.BytesIO(boss.get(url, query | {"format": "sdmx-ml"}).content),
                          structure=structure.structure["DSD_HOPNHAT_REPORTS"])
    seen = {}
    for obs in data.data[0].obs:
        k = obs.dimension.values
        seen[(k["REF_AREA"].value, k["SERIES_MODE"].value, k["TIME_PERIOD"].value)] = (
            float(obs.value), obs.attached_attribute["OBS_STATUS"].value)
    assert seen[("NEW_WARD_99911", "AS_MERGED", "2024")] == (200.0, "E")
    assert seen[("NEW_WARD_99912", "AS_MERGED", "2024")] == (150.0, "E")
    assert seen[("OLD_WARD_99901", "AS_REPORTED", "2024")] == (300.0, "A")
    assert seen[("NEW_WARD_99911", "AS_REPORTED", "2026")] == (231.5, "A")
    assert boss.get(url, query | {"format": "sdmx-csv"}).content.decode().count("NEW_WARD_99912") >= 1

    for bad, named in (({"u": "999999"}, "999999"), ({"from": "20x4"}, "from"), ({"format": "xls"}, "xls"),
                       ({"from": "2024", "to": "2020"}, "from"), ({"kind": "W"}, "kind")):
        answer = boss.get(url, bad)
        assert answer.status_code == 400 and named in answer.content.decode(), bad

    boss.post(reverse("set_language"), {"language": "en"})
    english = boss.get(url, query).content.decode()
    assert "Compare units" in english and "As merged" in english and "estimated 150" in english
    assert "ước tính" not in english and "So sánh" not in english and "đơn vị cũ" not in english


def test_the_merged_province_from_its_communes_marks_the_shared_part(tq):
    _births(tq)
    boss = client_for(official("tq-admin", "Trần Thị Bình", tq.agencies.tq, Role.UNIT_ADMIN))
    html = boss.get(reverse("reports:series", args=["DS01", tq.units.tq.pk])).content.decode()
    # 2024: Yên Sơn (cũ) 300 shared out (all of it stays in the province, marked) + Lang Quán 50 whole;
    # 2025: the new communes' own 220 + 101.
    assert "Tổng hợp từ cấp xã qua hợp nhất" in html and html.count('class="estimated"') == 1
    assert "<td>2024</td><td class=\"num\">350</td><td class=\"num\">300</td>" in html
    assert "<td>2025</td><td class=\"num\">321</td><td class=\"num\"></td>" in html
