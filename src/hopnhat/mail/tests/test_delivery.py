"""Real mail through the project's Postfix and Dovecot: to a new address, to an old address during its forwarding
period, the "user has moved" answer after it, and logins closed when an official leaves."""

import datetime
import imaplib
import smtplib
import subprocess
import time
from email.message import EmailMessage

import pytest
from django.utils import timezone

from hopnhat.mail import addresses, forwards, maps, testing
from hopnhat.mail.models import Mailbox

from .factories import ACTOR, official, organisation

pytestmark = pytest.mark.django_db


def _send(layout, to: str, subject: str, sender: str = "nguoigui@example.org"):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Kính gửi anh/chị,\nđây là thư thử nghiệm.\n")
    with smtplib.SMTP("127.0.0.1", layout.smtp_port, timeout=10) as smtp:
        return smtp.send_message(msg)


@pytest.fixture
def an(mail_servers):
    org = organisation()
    person = official("Nguyễn Văn An", org["noivu"])
    mailbox = person.mailbox
    addresses.set_password(mailbox, "mat-khau-thu-2025")
    old, _ = forwards.add_old_address("an.nv@hagiang.gov.vn", mailbox, actor=ACTOR,
                                      forward_until=timezone.localdate() + datetime.timedelta(days=30))
    assert maps.publish()["configured"] is True
    return {"org": org, "person": person, "mailbox": mailbox, "old": old}


def test_mail_to_a_new_and_to_an_old_address_arrives_in_the_new_mailbox(mail_servers, an):
    _send(mail_servers, "annv@tuyenquang.gov.vn", "Giấy mời họp giao ban")
    _send(mail_servers, "an.nv@hagiang.gov.vn", "Thư gửi địa chỉ cũ Hà Giang")
    got = testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025", "giao ban")
    assert got["To"] == "annv@tuyenquang.gov.vn"
    forwarded = testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025", "cũ Hà Giang")
    assert forwarded["To"] == "an.nv@hagiang.gov.vn"   # delivered to the new mailbox, headers untouched


def test_after_the_period_the_old_address_answers_user_has_moved(mail_servers, an):
    forwards.set_forward_until(an["old"], timezone.localdate() - datetime.timedelta(days=1), ACTOR)
    maps.publish()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(mail_servers, "an.nv@hagiang.gov.vn", "Sau thời hạn chuyển tiếp")
    code, text = refused.value.recipients["an.nv@hagiang.gov.vn"]
    assert code == 550
    assert b"5.1.6" in text and b"moved to annv@tuyenquang.gov.vn" in text
    # Unknown addresses of the old domain are refused outright (never accepted, then bounced silently).
    with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
        _send(mail_servers, "khongco@hagiang.gov.vn", "Không có người nhận")
    assert unknown.value.recipients["khongco@hagiang.gov.vn"][0] == 550


def _signs_in(layout, user: str, password: str) -> bool:
    imap = imaplib.IMAP4("127.0.0.1", layout.imap_port)
    try:
        imap.login(user, password)
    except imaplib.IMAP4.error:
        return False
    finally:
        imap.logout()
    return True


def _refused_within(layout, user: str, password: str, seconds: float = 3) -> bool:
    """Dovecot looks at its passwd-file at most once a second: a change is live within that, not at once."""
    deadline = time.monotonic() + seconds
    while _signs_in(layout, user, password):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_a_closed_login_keeps_receiving_but_cannot_sign_in(mail_servers, an):
    # Signed in just before (what an earlier test's sign-in did in the whole suite): Dovecot has read the
    # passwd-file this second, and will not look at it again until the next one.
    assert _signs_in(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025")
    membership = an["person"].memberships.get()
    membership.end = datetime.date(2025, 12, 31)
    membership.save()
    assert Mailbox.objects.get(pk=an["mailbox"].pk).login_open is False
    maps.publish()
    assert _refused_within(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025")
    _send(mail_servers, "annv@tuyenquang.gov.vn", "Thư sau khi nghỉ")
    # The mailbox is kept and still receives: the migration master user reads it.
    got = testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn*migrator", mail_servers.secret("master"),
                                   "sau khi")
    assert got["Subject"] == "Thư sau khi nghỉ"


def test_a_password_changed_twice_within_a_second_is_seen_by_dovecot(mail_servers, an, tmp_path):
    """Same size, same second: Dovecot would keep the first file (it compares size and whole-second mtime)."""
    from hopnhat.mail import servers

    target = tmp_path / "dovecot-passwd"
    servers.atomic_write(target, "annv@tuyenquang.gov.vn:{BLF-CRYPT}$2b$04$" + "a" * 53 + "\n")
    first = target.stat()
    servers.atomic_write(target, "annv@tuyenquang.gov.vn:{BLF-CRYPT}$2b$04$" + "b" * 53 + "\n")
    second = target.stat()
    assert first.st_size == second.st_size and int(second.st_mtime) > int(first.st_mtime)
    # And through the real server: the new password works, the old one does not, within Dovecot's second.
    assert _signs_in(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025")
    addresses.set_password(an["mailbox"], "mat-khau-moi-2026")
    maps.publish()
    assert _refused_within(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025")
    assert _signs_in(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-moi-2026")


def test_cutover_switch_turns_forwarding_on_and_route_back_off(mail_servers, an):
    an["old"].source_system = "mail-hagiang"
    an["old"].save()
    assert forwards.on_route_back("mail-hagiang") == {"mail": {"forwarding": False, "addresses": 1, "changed": 1}}
    maps.publish()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send(mail_servers, "an.nv@hagiang.gov.vn", "Khi hệ thống cũ còn nhận thư")
    assert forwards.on_switch("mail-hagiang")["mail"]["changed"] == 1
    maps.publish()
    _send(mail_servers, "an.nv@hagiang.gov.vn", "Sau khi chuyển đổi")
    testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025", "Sau khi chuy")


def test_senders_to_an_old_address_get_one_notice_each_per_period(mail_servers, an):
    """Real mail through Postfix: two mails from one sender to the old address give one notice (read back over
    IMAP); an automatic message gives none; every mail is still delivered to the new mailbox."""
    from hopnhat.mail import notices

    from .factories import official

    an["old"].notify_senders = True
    an["old"].save()
    binh = official("Trần Thị Bình", an["org"]["noivu"]).mailbox
    addresses.set_password(binh, "mat-khau-binh-2025")
    maps.publish()
    _send(mail_servers, "an.nv@hagiang.gov.vn", "Lần thứ nhất gửi địa chỉ cũ", sender=binh.address)
    _send(mail_servers, "an.nv@hagiang.gov.vn", "Lần thứ hai gửi địa chỉ cũ", sender=binh.address)
    auto = EmailMessage()
    auto["From"], auto["To"], auto["Subject"] = "hethong@example.org", "an.nv@hagiang.gov.vn", "Trả lời tự động"
    auto["Auto-Submitted"] = "auto-replied"
    auto.set_content("Tôi đang nghỉ phép.\n")
    with smtplib.SMTP("127.0.0.1", mail_servers.smtp_port, timeout=10) as smtp:
        smtp.send_message(auto)
    for subject in ("thứ nhất", "thứ hai", "tự động"):   # delivered to the new mailbox as always
        testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025", subject)

    totals, reasons = {"read": 0, "queued": 0, "already": 0, "not_notified": 0}, {}
    deadline = time.monotonic() + 20
    while totals["read"] < 3 and time.monotonic() < deadline:
        collected = notices.collect()
        reasons.update(collected.pop("reasons"))
        for key in totals:
            totals[key] += collected[key]
        time.sleep(0.3)
    assert totals == {"read": 3, "queued": 1, "already": 1, "not_notified": 1}, (reasons, collected)
    assert list(reasons) == ["thư tự động (Auto-Submitted) / an automatic message"]
    assert notices.MOVED_NOTICES.send_due()["sent"] == 1
    got = testing.wait_for_message(mail_servers, binh.address, "mat-khau-binh-2025", "New address")
    assert got["Auto-Submitted"] == "auto-replied" and got["Reply-To"] == "annv@tuyenquang.gov.vn"
    assert "an.nv@hagiang.gov.vn đã chuyển sang annv@tuyenquang.gov.vn" in got.get_content()

    # A third mail from the same sender in the same period: delivered, and no second notice.
    _send(mail_servers, "an.nv@hagiang.gov.vn", "Lần thứ ba gửi địa chỉ cũ", sender=binh.address)
    testing.wait_for_message(mail_servers, "annv@tuyenquang.gov.vn", "mat-khau-thu-2025", "thứ ba")
    deadline, again = time.monotonic() + 20, {"read": 0}
    while again["read"] == 0 and time.monotonic() < deadline:
        again = notices.collect()
        time.sleep(0.3)
    assert again["already"] == 1 and notices.MOVED_NOTICES.send_due()["sent"] == 0
    imap = imaplib.IMAP4("127.0.0.1", mail_servers.imap_port)
    imap.login(binh.address, "mat-khau-binh-2025")
    imap.select("INBOX", readonly=True)
    assert len(imap.search(None, "SUBJECT", '"New address"')[1][0].split()) == 1
    imap.logout()


def test_mail_for_a_mailbox_dovecot_has_not_read_yet_waits_in_the_queue_and_is_delivered(mail_servers, an):
    """The race behind "no mail refused or lost while a change goes live": Postfix already knows a new official's
    address, Dovecot still answers from its previous user table (it re-reads it at most once a second). The mail
    must be deferred and delivered on the next attempt, never bounced to its sender."""
    from hopnhat.mail import servers

    from .factories import official

    cuong = official("Lê Văn Cường", an["org"]["noivu"]).mailbox
    addresses.set_password(cuong, "mat-khau-cuong-2025")
    users = mail_servers.maps_dir / "dovecot-users"
    without_cuong = "".join(line for line in users.read_text().splitlines(keepends=True)
                            if not line.startswith(f"{cuong.address}:"))
    maps.publish()
    assert cuong.address in users.read_text()
    servers.atomic_write(users, without_cuong)     # Dovecot's view a moment before the change reached it
    time.sleep(1.1)                                # past Dovecot's once-a-second look at the file
    since = (mail_servers.root / "log" / "postfix.log").stat().st_size
    _send(mail_servers, cuong.address, "Thư đến trước khi Dovecot biết hộp thư")
    deadline = time.monotonic() + 15
    while not any("status=" in line for line in testing.postfix_log_for(mail_servers, cuong.address, since)):
        assert time.monotonic() < deadline, "Postfix never tried to deliver the mail"
        time.sleep(0.2)
    tried = testing.postfix_log_for(mail_servers, cuong.address, since)
    assert not any("status=bounced" in line for line in tried), tried
    assert any("status=deferred" in line and "4.1.1" in line for line in tried), tried

    maps.publish()                                 # the change reaches Dovecot; the queue is retried
    time.sleep(1.1)
    subprocess.run(["postqueue", "-c", str(mail_servers.postfix_dir), "-f"], check=True, timeout=30)
    got = testing.wait_for_message(mail_servers, cuong.address, "mat-khau-cuong-2025", "trước khi Dovecot")
    assert got["To"] == cuong.address
