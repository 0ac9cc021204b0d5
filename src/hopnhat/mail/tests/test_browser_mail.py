"""The demo's mailbox migration (a real one, from a Dovecot playing the old Hà Giang server into the platform's)
and its report as staff read it: in the page and as JSON, each message copied / already there / skipped with a
reason; then the mail pages in headless Chromium at phone and desktop widths, Vietnamese and English, with
axe-core. HOPNHAT_SCREENSHOTS=DIR keeps screenshots."""

import datetime
import json
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from hopnhat.mail import addresses, demo, forwards, maps
from hopnhat.org.models import Role, RoleAssignment

from .factories import ACTOR, official, organisation

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "x-hopnhat-2025"


@pytest.fixture
def migrated(mail_servers, settings, tmp_path):
    settings.HOPNHAT_MAIL = {**settings.HOPNHAT_MAIL, "migration_reports": str(tmp_path / "reports")}
    org = organisation()
    for name in ("Nguyễn Văn An", "Hoàng Thị Mai"):
        official(name, org["noivu"], title="Chuyên viên")
    official("Lò Văn Dũng", org["province"], title="Phó Giám đốc Sở")
    addresses.provision()
    an = official("Nông Văn An", org["ward"], title="Chủ tịch UBND phường")
    forwards.add_old_address("an.nv@hagiang.gov.vn", an.mailbox, actor=ACTOR,
                             forward_until=timezone.localdate() + datetime.timedelta(days=200))
    assert maps.publish()["configured"]
    _empty_targets(mail_servers)   # the session's Dovecot keeps mail between tests
    result = demo._migration()
    admin = get_user_model().objects.create_user("quantri.thu", password=PASSWORD)
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=org["province"])
    return {"result": result, "admin": admin}


def _empty_targets(layout):
    from imapclient import IMAPClient

    for _, new in demo.OLD_MAILBOXES:
        with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False) as imap:
            imap.login(f"{new}*migrator", layout.secret("master"))
            for flags, _, folder in imap.list_folders():
                if b"\\Noselect" not in flags:
                    imap.select_folder(folder)
                    if uids := imap.search(["ALL"]):
                        imap.delete_messages(uids)
                        imap.expunge()


def test_the_demo_migration_is_real_and_its_report_names_every_message(client, migrated):
    result = migrated["result"]
    # 3 mailboxes × (10 in INBOX + 3 sent + 3 nested) = 48 messages, plus one too large in the first INBOX.
    assert result["verified"] is True and result["errors"] == 0, result
    assert (result["copied"], result["already_there"], result["skipped"]) == (47, 1, 1)
    assert demo._migration() == {"skipped": "a report exists"}   # loading the demo again changes nothing
    client.force_login(migrated["admin"])
    page = client.get("/thu/chuyen-hop-thu/").content.decode()
    assert "annv@hagiang.gov.vn → annv@tuyenquang.gov.vn" in page
    assert "Đã có sẵn" in page and "quá cỡ" in page and "Công văn/Đến/Năm 2024" in page
    name = Path(result["report"]["json"]).stem
    saved = json.loads(client.get(f"/thu/chuyen-hop-thu/{name}.json").content)
    rows = [r for m in saved["mailboxes"] for f in m["folders"] for r in f["messages"]]
    assert len(rows) == 49 and {r["outcome"] for r in rows} == {"copied", "already_there", "skipped"}
    skipped = next(r for r in rows if r["outcome"] == "skipped")
    assert "max_size" in skipped["reason"] and skipped["size"] > 300_000
    assert sum(1 for r in rows if r["id"].startswith("(không Message-ID)")) == 3
    assert client.get("/thu/chuyen-hop-thu/../../secret_key").status_code == 404
    client.logout()
    assert client.get("/thu/chuyen-hop-thu/").status_code == 302   # staff only


def _shot(page, name):
    if folder := os.environ.get("HOPNHAT_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"mail-{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.browser
def test_staff_read_the_migration_report_addresses_and_forwards(browser_page, migrated, assert_accessible):
    page = browser_page
    page.goto("/dang-nhap/?next=/thu/chuyen-hop-thu/")
    page.get_by_label("Tên đăng nhập").fill("quantri.thu")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/thu/chuyen-hop-thu/")
    assert page.get_by_role("heading", level=1).inner_text() == "Báo cáo chuyển hộp thư"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    _shot(page, "migration-vi")
    for path, name in (("/thu/dia-chi/", "addresses-vi"), ("/thu/chuyen-tiep/", "forwards-vi"),
                       ("/danh-ba/", "directory-vi")):
        page.goto(path)
        _shot(page, name)
        wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
                             " > window.innerWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className)")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, wide)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto("/thu/chuyen-hop-thu/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mailbox migration report"
    assert "Already there" in page.content() and "Đã chép" not in page.content()
    assert_accessible(page)
    _shot(page, "migration-en")
    for path, name in (("/thu/chuyen-tiep/", "forwards-en"), ("/danh-ba/", "directory-en")):
        page.goto(path)
        _shot(page, name)
