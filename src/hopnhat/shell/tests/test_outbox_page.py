"""One staff page for what the platform sent out, over every link of the one outbox (core.outbox.links()): each
link's messages filtered by org.access, with state, retries, the last error and the payload as sent."""

from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from hopnhat.core import outbox as core_outbox
from hopnhat.core.outbox import OutboxState
from hopnhat.dossiers.tests.staffing import PASSWORD, client_for, official
from hopnhat.org.models import Role
from hopnhat.reports.models import Report, Status
from hopnhat.reports.outbox import NATIONAL, enqueue_report
from hopnhat.reports.tests.conftest import tq  # noqa: F401 — fixture
from hopnhat.shell import outbox as page


def _approved(tq, agency, period):  # noqa: F811
    return Report.objects.create(form=tq.cat.form, agency=agency, unit=agency.unit, period=period,
                                 status=Status.APPROVED)


def test_every_link_is_listed_once():
    names = [link.name for link in core_outbox.links()]
    assert names == sorted(set(names)) and {"dvcqg", "notices", "reports"} <= set(names)


@override_settings(HOPNHAT_NATIONAL_REPORTING={"url": "http://127.0.0.1:9/khong-nghe", "timeout": 2,
                                               "max_attempts": 3})
def test_staff_see_their_agencies_messages_with_retries_and_payload(tq):  # noqa: F811
    ag = tq.agencies
    mine, _ = enqueue_report(_approved(tq, ag.ys, "2024Q4"))
    theirs, _ = enqueue_report(_approved(tq, ag.hg, "2024Q4"))
    # A real sending round against a port nobody listens on: both are retried, with the error kept.
    assert NATIONAL.send_due() == {"sent": 0, "retry": 2, "dead": 0}
    mine.refresh_from_db()
    assert mine.attempts == 1 and mine.last_error and mine.state == OutboxState.PENDING

    clerk = official("ys-clerk", "Nguyễn Văn An", ag.ys, Role.OFFICIAL)
    rows = {r["name"]: r for r in page.summary(clerk)}
    assert rows["reports"]["counts"]["pending"] == 1 and rows["reports"]["counts"]["retrying"] == 1
    assert list(page.messages(clerk, NATIONAL)) == [mine]
    assert list(page.messages(clerk, NATIONAL, state="retrying")) == [mine]
    assert list(page.messages(clerk, NATIONAL, state="sent")) == []
    assert list(page.messages(clerk, NATIONAL, agency="yên sơn")) == [mine]
    assert list(page.messages(clerk, NATIONAL, query=f"report:{mine.report_id}:")) == [mine]

    client = client_for(clerk)
    html = client.get(reverse("shell:outbox"), {"kenh": "reports"}).content.decode()
    assert "Hệ thống thông tin báo cáo quốc gia" in html and "B01-DS · 000.00.49.H60 · 2024Q4 v1" in html
    assert "Đang thử lại" in html and "000.00.00.H22" not in html and "UBND tỉnh Hà Giang" not in html
    bad = client.get(reverse("shell:outbox"), {"kenh": "reports", "trang_thai": "lost"})
    assert bad.status_code == 400 and "trang_thai" in bad.content.decode()
    bad = client.get(reverse("shell:outbox"), {"kenh": "reports", "tu": "2025-13-01"})
    assert bad.status_code == 400 and "2025-13-01" in bad.content.decode()
    assert client.get(reverse("shell:outbox"), {"kenh": "khong-co"}).status_code == 404

    detail = client.get(reverse("shell:outbox-message", args=["reports", mine.pk])).content.decode()
    assert "DuLieuBaoCao" in detail and f"report:{mine.report_id}:v1" in detail and "Connection" in detail
    assert client.get(reverse("shell:outbox-message", args=["reports", theirs.pk])).status_code == 404

    client.post(reverse("set_language"), {"language": "en"})
    english = client.get(reverse("shell:outbox"), {"kenh": "reports"}).content.decode()
    assert "Sent to national systems" in english and "National reporting information system" in english
    assert "Retrying" in english and "Đã gửi hệ thống" not in english and "Đang thử lại" not in english

    citizen = User.objects.create_user("congdan-x", password=PASSWORD)
    assert client_for(citizen).get(reverse("shell:outbox")).status_code == 403
