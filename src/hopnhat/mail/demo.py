"""Demo mail and directory of the merged Tuyên Quang province: the domain tuyenquang.gov.vn, officials of several
agencies with their derived addresses (two of them colliding), the shared văn thư / one-door addresses, contact
points, and the old hagiang.gov.vn addresses of the inventory's old mail system (`hagiang-mail`) forwarded for
twelve months (one already past its period: it answers "user has moved"). When the project's servers run
(`scripts/dev demo` starts them through scripts/services.sh) the maps, LDAP and the CardDAV book are published.
Loading twice changes nothing.
"""

import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from hopnhat.org.agencies import default_current_agency
from hopnhat.org.models import Agency, Membership, Person

from . import addresses, forwards
from .models import AgencyContact, DomainKind, Mailbox, MailboxKind, MailDomain, PersonContact, SharedRole

ACTOR = "system:demo"
SYSTEM = "hagiang-mail"   # the inventory demo's old mail system of Hà Giang
# (full name, agency code, title, office phone, mobile, mobile shared, old address)
OFFICIALS = [
    ("Nguyễn Văn An", "000.00.02.H60", "Giám đốc Sở", "0207 3822 101", "0912 100 101", False, "annv@hagiang.gov.vn"),
    ("Nông Văn An", "000.00.41.H60", "Chủ tịch UBND phường", "0207 3811 201", "0913 200 201", True, None),
    ("Hoàng Thị Mai", "000.00.02.H60", "Chuyên viên phòng Tổ chức", "0207 3822 102", "", False,
     "maiht.snv@hagiang.gov.vn"),
    ("Lò Văn Dũng", "000.00.03.H60", "Phó Giám đốc Sở", "0207 3822 301", "0915 300 301", True,
     "dunglv@hagiang.gov.vn"),
    ("Vàng Thị Sính", "000.00.46.H60", "Công chức Văn phòng - Thống kê", "0219 3866 401", "", False,
     "sinhvt@hagiang.gov.vn"),
    ("Đỗ Thị Ngọc Ánh", "000.01.01.H60", "Tiếp nhận hồ sơ một cửa", "0207 3822 501", "", False, None),
    ("Phạm Quốc Huy", "000.00.09.H60", "Trưởng phòng Công nghệ thông tin", "0207 3822 701", "0916 700 701", True,
     "huypq@hagiang.gov.vn"),
]
AGENCY_CONTACTS = {
    "000.00.00.H60": ("0207 3822 000", "Số 160, đường Trần Hưng Đạo, phường Minh Xuân, tỉnh Tuyên Quang"),
    "000.00.02.H60": ("0207 3822 100", "Số 8, đường 17/8, phường Minh Xuân, tỉnh Tuyên Quang"),
    "000.00.41.H60": ("0207 3811 200", "Phường Minh Xuân, tỉnh Tuyên Quang"),
    "000.00.46.H60": ("0219 3866 400", "Phường Hà Giang 1, tỉnh Tuyên Quang"),
    "000.01.01.H60": ("0207 3822 500", "Số 1, đường Tân Trào, phường Minh Xuân, tỉnh Tuyên Quang"),
}
# Shared boxes of closed Hà Giang agencies → the văn thư of the agency acting for each today.
OLD_SHARED = {"vanthu@hagiang.gov.vn": "000.00.00.H22", "vanthu.snv@hagiang.gov.vn": "000.00.02.H22"}


def _people(created: list[str]) -> list[Person]:
    people = []
    for name, code, title, phone, mobile, shared, _ in OFFICIALS:
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            continue
        person = Person.objects.filter(full_name=name, memberships__agency=agency).first()
        if person is None:
            person = Person.objects.create(full_name=name, phone=mobile)
            Membership.objects.create(person=person, agency=agency, title=title, start=datetime.date(2025, 7, 1))
            created.append(name)
        PersonContact.objects.update_or_create(person=person, defaults={
            "office_phone": phone, "mobile": mobile, "mobile_shared": shared,
            "office_address": AGENCY_CONTACTS.get(code, ("", ""))[1]})
        people.append(person)
    return people


def load_demo(stdout=None) -> dict:
    today = timezone.localdate()
    created: list[str] = []
    with transaction.atomic():
        province = Agency.objects.filter(code="000.00.00.H60").first()
        if province is None:
            return {"skipped": "no demo organisation"}
        MailDomain.objects.get_or_create(name="tuyenquang.gov.vn", defaults={"kind": DomainKind.PRIMARY,
                                                                             "agency": province})
        old_province = Agency.objects.filter(code="000.00.00.H22").first()
        MailDomain.objects.get_or_create(name="hagiang.gov.vn", defaults={
            "kind": DomainKind.OLD, "agency": old_province, "source_system": SYSTEM,
            "forward_until": forwards.default_until()})
        for code, (phone, address) in AGENCY_CONTACTS.items():
            if agency := Agency.objects.filter(code=code).first():
                AgencyContact.objects.update_or_create(agency=agency, defaults={"phone": phone, "address": address})
        people = _people(created)
        plan = addresses.provision(actor=ACTOR)
        old_rows = []
        for person, row in zip(people, [r for r in OFFICIALS if Agency.objects.filter(code=r[1]).exists()],
                               strict=True):
            old = row[6]
            mailbox = Mailbox.objects.filter(person=person).first()
            if old and mailbox:
                # One address whose period has already ended, to show the "user has moved" answer.
                until = today - datetime.timedelta(days=3) if old.startswith("sinhvt") else None
                made, _ = forwards.add_old_address(old, mailbox, actor=ACTOR, source_system=SYSTEM,
                                                   forward_until=until)
                old_rows.append(made)
        for old, code in OLD_SHARED.items():
            closed = Agency.objects.filter(code=code).first()
            acting = default_current_agency(closed) if closed else None
            box = Mailbox.objects.filter(kind=MailboxKind.SHARED, agency=acting, shared_role=SharedRole.VAN_THU).first()
            if box:
                made, _ = forwards.add_old_address(old, box, actor=ACTOR, source_system=SYSTEM)
                old_rows.append(made)
    published = _publish()
    if published.get("maps"):
        try:
            published["migration"] = _migration()
        except Exception as exc:  # noqa: BLE001 — the rest of the demo stands without its migration report
            published["migration"] = {"error": f"{type(exc).__name__}: {exc}"}
    result = {
        "addresses": Mailbox.objects.filter(kind=MailboxKind.PERSONAL).count(),
        "shared": Mailbox.objects.filter(kind=MailboxKind.SHARED).count(),
        "created_people": created, "provision": plan.summary(),
        "old_addresses": forwards.forward_rows(), "published": published,
        "urls": {"directory": "/danh-ba/", "addresses": "/thu/dia-chi/", "forwards": "/thu/chuyen-tiep/",
                 "migration": "/thu/chuyen-hop-thu/"},
    }
    if stdout is not None:
        servers_said = "có / published" if published.get("maps") else "không chạy / not running"
        stdout.write(f"    thư / mail: {result['addresses']} địa chỉ cán bộ / official addresses, {result['shared']} "
                     f"dùng chung / shared, {len(result['old_addresses'])} địa chỉ cũ chuyển tiếp / old addresses "
                     f"forwarded; máy chủ / servers: {servers_said}\n")
        moved = published.get("migration") or {}
        if "copied" in moved:
            stdout.write(f"    chuyển hộp thư / mailbox migration: {moved['copied']} chép / copied, "
                         f"{moved['already_there']} đã có / already there, {moved['skipped']} bỏ qua / skipped, "
                         f"{'khớp / verified' if moved['verified'] else 'CHƯA KHỚP / NOT verified'} — "
                         f"/thu/chuyen-hop-thu/\n")
    return result


def _publish() -> dict:
    """Maps, LDAP and CardDAV when the project's servers are set up on this machine; nothing otherwise."""
    from . import carddav, ldap_sync, maps

    out: dict = {}
    try:
        out["maps"] = maps.publish().get("configured", False)
        out["carddav"] = carddav.write_address_book().get("configured", False)
        if ldap_sync.configured():
            out["ldap"] = ldap_sync.sync()["counts"]
    except Exception as exc:  # noqa: BLE001 — the demo runs without mail servers too
        out["error"] = str(exc)
    return out


# Old Hà Giang mailboxes moved into the new ones: (old login, new address, folders → generated messages).
OLD_MAILBOXES = [("annv@hagiang.gov.vn", "annv@tuyenquang.gov.vn"),
                 ("maiht.snv@hagiang.gov.vn", "maiht@tuyenquang.gov.vn"),
                 ("dunglv@hagiang.gov.vn", "dunglv@tuyenquang.gov.vn")]


def _migration() -> dict:
    """A real mailbox migration for the demo's report: a Dovecot of its own plays the old Hà Giang mail server
    (generated mail: Vietnamese subjects in UTF-8 and Windows-1258, attachments, a nested Vietnamese folder,
    messages without Message-ID, a duplicate pair, one too large for the plan's max_size), one message is put on
    the new server beforehand (reported "already there"), then `migrate.run_plan` copies and verifies into the
    platform's Dovecot and writes the report shown at /thu/chuyen-hop-thu/. Once: a report already there is kept."""
    from django.conf import settings

    from . import migrate, servers, testing

    if migrate.saved_reports(limit=1):
        return {"skipped": "a report exists"}
    targets = {new for _, new in OLD_MAILBOXES}
    if Mailbox.objects.filter(address__in=targets).count() != len(targets):
        return {"skipped": "the demo's mailboxes are missing"}
    old = testing.start_instance(Path(settings.VAR_DIR) / "mail-demo-old", with_postfix=False, with_ldap=False,
                                 instance="hopnhat-demo-old", hostname="mail.hagiang.gov.vn")
    try:
        testing.old_server_users(old, {login: "cu-2024" for login, _ in OLD_MAILBOXES})
        for n, (login, _) in enumerate(OLD_MAILBOXES):
            base = 1000 * (n + 1)
            dup = testing.generated_message(base + 999)
            folders = {
                "INBOX": [testing.generated_message(base + i, charset="windows-1258" if i % 2 else "utf-8",
                                                    attachment_kb=20 if i % 4 == 0 else 0) for i in range(8)]
                + [dup, dup],
                "Thư đã gửi": [testing.generated_message(base + 100 + i) for i in range(3)],
                "Công văn/Đến/Năm 2024": [testing.generated_message(base + 200 + i, with_message_id=i != 1)
                                          for i in range(3)],
            }
            if n == 0:
                folders["INBOX"].append(testing.generated_message(base + 300, attachment_kb=400))   # too large
            testing.fill_mailbox(old, login, "cu-2024", folders)
        # One message already on the new server (copied before the migration by a tool that kept its flags and
        # date, as fill_mailbox gave them to the third message of the INBOX): found, not copied again. A copy
        # with another date would fail the verification, which compares dates too.
        layout = servers.Layout.from_settings()
        import datetime as dt

        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=layout.imap_port, ssl=False) as imap:
            imap.login(f"{OLD_MAILBOXES[0][1]}*{servers.MASTER_USER}", layout.secret("master"))
            imap.append("INBOX", testing.generated_message(1000 + 2, charset="utf-8", attachment_kb=0),
                        flags=(b"\\Seen",),
                        msg_time=dt.datetime(2024, 12, 3, 9, 2, tzinfo=dt.timezone(dt.timedelta(hours=7))))
        plan = migrate.plan_from_dict({
            "source": {"host": "127.0.0.1", "port": old.imap_port, "master_user": servers.MASTER_USER,
                       "master_password": old.secret("master")},
            "parallel": 2, "max_size": 300_000,
            "mailboxes": [{"old": login, "new": new} for login, new in OLD_MAILBOXES]})
        report = migrate.run_plan(plan)
    finally:
        servers.stop(old)
    return {"verified": report["verified"], **report["totals"], "report": report["report"]}
