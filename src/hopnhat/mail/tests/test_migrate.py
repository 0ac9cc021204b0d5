"""Mailbox migration from a second Dovecot (the "old server", filled with generated mail) into the platform's:
folders (nested Vietnamese names, special-use), flags, dates, messages without Message-ID, duplicates; a run
killed with SIGKILL and resumed with no duplicate and no loss; the verification and the report."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from django.db import connection
from imapclient import IMAPClient

from hopnhat.mail import migrate, testing
from hopnhat.mail.models import FolderState

pytestmark = pytest.mark.django_db(transaction=True)

NESTED = "Công văn/Đến/Năm 2024"


@pytest.fixture(scope="module")
def old_server(tmp_path_factory):
    from django.conf import settings

    layout = testing.start_instance(settings.VAR_DIR / "mail-test-old", with_postfix=False, with_ldap=False,
                                    instance="hopnhat-old", hostname="mail.hagiang.test")
    testing.old_server_users(layout, {"an@hagiang.gov.vn": "cu-2024", "binh@hagiang.gov.vn": "cu-2024"})
    dup = testing.generated_message(900)
    testing.fill_mailbox(layout, "an@hagiang.gov.vn", "cu-2024", {
        "INBOX": [testing.generated_message(i, charset="windows-1258" if i % 2 else "utf-8") for i in range(12)]
        + [dup, dup],                                                            # a true duplicate: kept twice
        "Thư đã gửi": [testing.generated_message(100 + i) for i in range(4)],    # special folder by its name
        NESTED: [testing.generated_message(200 + i, attachment_kb=30) for i in range(3)]
        + [testing.generated_message(300 + i, with_message_id=False) for i in range(3)],
    })
    testing.fill_mailbox(layout, "binh@hagiang.gov.vn", "cu-2024",
                         {"INBOX": [testing.generated_message(400 + i) for i in range(30)]})
    # Keywords (Thunderbird's $Forwarded, a user's label): Dovecot keeps their Maildir letters in a file of its
    # own, so these go through IMAP APPEND even when the folder is written directly.
    testing.fill_mailbox(layout, "an@hagiang.gov.vn", "cu-2024",
                         {"Đã chuyển tiếp": [testing.generated_message(500 + i) for i in range(3)]},
                         flags=(b"\\Seen", b"$Forwarded", b"Quan_trong"))
    yield layout
    from hopnhat.mail import servers

    servers.stop(layout)


WRITERS = {"maildir": "", "imap": ".imap"}   # how the new server is written → the new addresses' suffix


def _plan(mail_servers, old_server, tmp_path, writer="maildir", **extra) -> dict:
    """The platform's own Dovecot written directly (its Maildir named, as for the platform's own servers), or
    through IMAP APPEND as any other target is."""
    how = ({"maildir": str(mail_servers.root / "mail" / "%d" / "%n")} if writer == "maildir" else {"write": "imap"})
    suffix = WRITERS[writer]
    return {"source": {"host": "127.0.0.1", "port": old_server.imap_port, "master_user": "migrator",
                       "master_password": old_server.secret("master")},
            "target": {"host": "127.0.0.1", "port": mail_servers.imap_port, "master_user": "migrator",
                       "master_password": mail_servers.secret("master"), **how},
            "parallel": 2, "report_dir": str(tmp_path / "reports"),
            "mailboxes": [{"old": "an@hagiang.gov.vn", "new": f"annv.chuyen{suffix}@tuyenquang.gov.vn"},
                          {"old": "binh@hagiang.gov.vn", "password": "cu-2024",
                           "new": f"binhtt.chuyen{suffix}@tuyenquang.gov.vn"}],
            **extra}


def _new_users(mail_servers):
    from hopnhat.mail import servers

    users = "".join(f"{who}{suffix}@tuyenquang.gov.vn::::::\n"
                    for who in ("annv.chuyen", "binhtt.chuyen") for suffix in WRITERS.values())
    servers.atomic_write(mail_servers.maps_dir / "dovecot-users", users)


def _target(mail_servers, user):
    imap = IMAPClient("127.0.0.1", port=mail_servers.imap_port, ssl=False)
    imap.login(f"{user}*migrator", mail_servers.secret("master"))
    return imap


def _count(imap, folder: str) -> int:
    """Messages in a folder of the new server, by SELECT: Dovecot looks at the Maildir then (a STATUS may answer
    from its index and not see files written there directly yet)."""
    return int(imap.select_folder(folder, readonly=True)[b"EXISTS"])


def test_map_folder_names_special_use_and_nesting():
    assert migrate.map_folder("INBOX", (), "/") == "INBOX"
    assert migrate.map_folder("Sent Items", (), "/") == "Sent"
    assert migrate.map_folder("Thư đã gửi", (), "/") == "Sent"
    assert migrate.map_folder("Bin", (b"\\Trash",), ".") == "Trash"
    assert migrate.map_folder("INBOX.Công văn.Đến", (), ".") == "Công văn/Đến"


def test_identity_uses_message_id_or_the_header_block():
    with_id = b"Message-ID: <1@x>\r\nDate: Mon, 1 Dec 2024 09:00:00 +0700\r\n\r\n"
    assert migrate.identity(with_id, 100) == ("mid", "<1@x>", "Mon, 1 Dec 2024 09:00:00 +0700", 100)
    without = b"Date: Mon, 1 Dec 2024 09:00:00 +0700\r\nSubject: =?utf-8?B?xJDhur9u?=\r\n\r\n"
    assert migrate.identity(without, 100)[0] == "hdr"
    assert migrate.identity(without, 100) != migrate.identity(without, 101)


def test_identity_of_a_whole_message_is_the_identity_of_its_header_fetch(old_server):
    """The first run copies without a header pass and takes identities from the bytes it copies; they must be the
    identities a header fetch gives (on either server), or the verification would compare different things."""
    imap = IMAPClient("127.0.0.1", port=old_server.imap_port, ssl=False)
    imap.login("an@hagiang.gov.vn", "cu-2024")
    try:
        seen = 0
        for folder in ("INBOX", NESTED):
            imap.select_folder(folder, readonly=True)
            uids = imap.search(["ALL"])
            from_headers = migrate._identities(imap, uids)
            for uid, data in imap.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[]"]).items():
                whole = migrate.identity(migrate.header_fields(data[b"BODY[]"]), int(data[b"RFC822.SIZE"]))
                assert whole == from_headers[uid], (folder, uid)
                seen += 1
        assert seen == 14 + 6 and sum(1 for i in from_headers.values() if i[0] == "hdr") == 3
    finally:
        imap.logout()
    folded = (b"Subject: =?utf-8?B?Q8O0bmcgdsSDbg==?=\r\n =?utf-8?B?IHPhu5EgMQ==?=\r\nX-Other: 1\r\n"
              b"DATE: Mon, 1 Dec 2024\r\n\r\nbody: not a header\r\n")
    assert migrate.header_fields(folded) == (b"Subject: =?utf-8?B?Q8O0bmcgdsSDbg==?=\r\n =?utf-8?B?IHPhu5EgMQ==?="
                                            b"\r\nDATE: Mon, 1 Dec 2024\r\n\r\n")
    assert migrate.header_fields(folded.replace(b"\r\n", b"\n")) == migrate.header_fields(folded)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_migrate_kill_resume_verify_and_report(mail_servers, old_server, tmp_path, writer):
    _new_users(mail_servers)
    suffix = WRITERS[writer]
    an_new, binh_new = f"annv.chuyen{suffix}@tuyenquang.gov.vn", f"binhtt.chuyen{suffix}@tuyenquang.gov.vn"
    plan_dict = _plan(mail_servers, old_server, tmp_path, writer, max_messages_per_second=15)
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(plan_dict, allow_unicode=True))
    # A real process killed with SIGKILL part-way through, on the same database as this test.
    db = connection.settings_dict
    url = (f"sqlite:///{db['NAME']}" if connection.vendor == "sqlite"
           else f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "HOPNHAT_TEST_DB_NAME": ""}
    child = subprocess.Popen([sys.executable, "-m", "hopnhat.cli", "mail", "migrate", str(plan_path), "--json"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    target = _target(mail_servers, binh_new)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                pytest.fail(f"the migration ended before it could be killed: {child.stderr.read().decode()[-2000:]} "
                            f"{child.stdout.read().decode()[-3000:]}")
            if _count(target, "INBOX") >= 5:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        target.logout()
    partial = _target(mail_servers, binh_new)
    copied_before = _count(partial, "INBOX")
    partial.logout()
    assert 5 <= copied_before < 30

    report = migrate.run_plan(migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path, writer)))
    assert report["verified"] is True and report["totals"]["errors"] == 0
    by_new = {m["new"]: m for m in report["mailboxes"]}
    binh = by_new[binh_new]
    assert binh["copied"] + binh["already_there"] == 30 and binh["already_there"] >= copied_before
    an = by_new[an_new]
    assert an["verification"]["identified"] == 14 + 4 + 6 + 3
    written = {f["folder"]: f["written_to"] for m in report["mailboxes"] for f in m["folders"] if f["copied"]}
    assert set(written.values()) == {writer}, written   # (with keywords: by IMAP inside a direct folder)
    # No worker of the killed command lived on to copy beside the resumed run: exactly the 30, no duplicate.
    time.sleep(1)
    resumed = _target(mail_servers, binh_new)
    assert _count(resumed, "INBOX") == 30
    resumed.logout()

    imap = _target(mail_servers, an_new)
    try:
        assert _count(imap, "INBOX") == 14   # the duplicate pair stays a pair
        assert _count(imap, "Sent") == 4
        imap.select_folder("Đã chuyển tiếp", readonly=True)
        keywords = imap.fetch(imap.search(["ALL"]), ["FLAGS"])
        # fill_mailbox flags every third message \Flagged instead: that one has no keyword.
        assert sorted(sum(1 for f in (b"$Forwarded", b"Quan_trong") if f in d[b"FLAGS"])
                      for d in keywords.values()) == [0, 2, 2]
        assert imap.folder_exists(NESTED)
        imap.select_folder(NESTED, readonly=True)
        got = imap.fetch(imap.search(["ALL"]), ["FLAGS", "INTERNALDATE", "ENVELOPE"])
        assert len(got) == 6
        assert sum(1 for d in got.values() if b"\\Flagged" in d[b"FLAGS"]) == 2
        assert {d[b"INTERNALDATE"].year for d in got.values()} == {2024}
        imap.select_folder("INBOX", readonly=True)
        subjects = [d[b"ENVELOPE"].subject for d in imap.fetch(imap.search(["ALL"]), ["ENVELOPE"]).values()]
        assert any(b"windows-1258" in s for s in subjects) and any(b"utf-8" in s for s in subjects)
    finally:
        imap.logout()

    # Again: nothing to copy, every folder unchanged, and the report files in both forms.
    again = migrate.run_plan(migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path, writer)))
    assert again["totals"]["copied"] == 0 and again["verified"]
    assert all(f["unchanged"] for m in again["mailboxes"] for f in m["folders"]), [
        (m["new"], f["folder"], f["source_messages"], f["already_there"]) for m in again["mailboxes"]
        for f in m["folders"] if not f["unchanged"]]
    saved = json.loads(open(again["report"]["json"], encoding="utf-8").read())
    assert saved["totals"]["already_there"] == 24 + 3 + 30
    html = open(again["report"]["html"], encoding="utf-8").read()
    assert "Công văn/Đến/Năm 2024" in html and "Đã có sẵn" in html and "không đổi" in html
    states = FolderState.objects.filter(source__endswith="/an@hagiang.gov.vn")
    assert {"INBOX", "Thư đã gửi", NESTED} <= set(states.values_list("folder", flat=True))
    assert states.get(folder=NESTED).messages == 6

    # A message deleted on the new server is found missing by verify, and copied back by the next run.
    imap = _target(mail_servers, an_new)
    imap.select_folder("Sent")
    imap.delete_messages(imap.search(["ALL"])[:1])
    imap.expunge()
    imap.logout()
    plan = migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path, writer))
    result = migrate.verify_job(plan, plan.find(an_new))
    assert result["ok"] is False and result["missing_count"] == 1
    healed = migrate.run_plan(plan)
    assert healed["totals"]["copied"] == 1 and healed["verified"]


def _flags_by_message_id(imap, folder: str) -> dict[bytes, set]:
    imap.select_folder(folder, readonly=True)
    got = imap.fetch(imap.search(["ALL"]), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return {d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].strip(): {f.lower() for f in d[b"FLAGS"] if f != b"\\Recent"}
            for d in got.values()}


def test_flags_changed_on_the_old_server_follow_and_a_wrong_date_fails_the_verification(
        mail_servers, old_server, tmp_path):
    """Between the daily runs people keep reading on the old server: the next run gives the copies the old
    messages' flags (old side wins, as imapsync's does), unless the plan says sync_flags: false. A copy with
    another INTERNALDATE than its original cannot be fixed through IMAP: the verification fails and names it."""
    _new_users(mail_servers)
    binh_new = "binhtt.chuyen@tuyenquang.gov.vn"
    plan = migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path))
    assert migrate.run_plan(plan)["verified"]

    old = IMAPClient("127.0.0.1", port=old_server.imap_port, ssl=False)
    old.login("binh@hagiang.gov.vn", "cu-2024")
    old.select_folder("INBOX")
    uids = old.search(["ALL"])
    old.add_flags(uids[:4], [b"\\Seen", b"$Label1"])
    old.remove_flags(uids[4:10], [b"\\Seen", b"\\Flagged"])
    old.add_flags(uids[10:12], [b"\\Answered"])
    expected = _flags_by_message_id(old, "INBOX")
    old.logout()

    job = plan.find(binh_new)
    before = migrate.verify_job(plan, job)
    assert before["ok"] is False and before["missing_count"] == 0 and 4 <= before["flags_differ"] <= 12
    assert "cờ" in before["message"] and "flags" in before["message"]
    assert "$Label1" in {flag for f in before["folders"] for e in f["flag_examples"] for flag in e["old"]}

    # sync_flags: false — reported, not counted as a fault, nothing changed on the new server.
    hands_off = migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path, sync_flags=False))
    report = migrate.run_plan(hands_off)
    binh = next(m for m in report["mailboxes"] if m["new"] == binh_new)
    assert report["verified"] and binh["verification"]["flags_differ"] == before["flags_differ"]
    assert binh["verification"]["flags_carried"] == 0

    # The default: carried over, then verified equal; the old folder was unchanged in its UIDs and counts.
    report = migrate.run_plan(plan)
    binh = next(m for m in report["mailboxes"] if m["new"] == binh_new)
    assert report["verified"] and binh["copied"] == 0
    assert binh["verification"]["flags_carried"] == before["flags_differ"]
    assert binh["verification"]["flags_differ"] == 0
    new = _target(mail_servers, binh_new)
    assert _flags_by_message_id(new, "INBOX") == expected
    assert migrate.verify_job(plan, job)["ok"] is True

    # A copy whose INTERNALDATE is not the original's (appended by hand, by another tool …).
    new.select_folder("INBOX")
    first = new.search(["ALL"])[0]
    data = new.fetch([first], ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])[first]
    new.delete_messages([first])
    new.expunge()
    new.append("INBOX", data[b"BODY[]"], [f for f in data[b"FLAGS"] if f != b"\\Recent"],
               msg_time=data[b"INTERNALDATE"] - datetime.timedelta(days=3))
    new.logout()
    wrong = migrate.verify_job(plan, job)
    assert wrong["ok"] is False and wrong["missing_count"] == 0 and wrong["dates_differ"] == 1
    example = next(e for f in wrong["folders"] for e in f["date_examples"])
    assert example["old"] > example["new"] and example["old"].endswith("+07:00") and "INTERNALDATE" in wrong["message"]
    assert "INTERNALDATE" in migrate.human_verify(wrong)
    again = migrate.run_plan(plan)
    assert again["verified"] is False    # a date cannot be set through IMAP: the run says so, it does not hide it
    assert "INTERNALDATE" in open(again["report"]["html"], encoding="utf-8").read()
    # The remedy the report gives: delete the wrong copy, and the next run copies the original with its date.
    new = _target(mail_servers, binh_new)
    new.select_folder("INBOX")
    wrong_copy = new.search(["ALL"])[-1:]   # appended last
    new.delete_messages(wrong_copy)
    new.expunge()
    new.logout()
    healed = migrate.run_plan(plan)
    assert healed["verified"] and healed["totals"]["copied"] == 1


def test_a_flag_the_new_server_refuses_stays_a_reported_difference(mail_servers, tmp_path):
    """Another old server may hold a keyword the new Dovecot will not take (longer than its keyword limit, here a
    label of 300 characters): the STORE is refused by the real server, the mailbox does not fail, the copy keeps its
    flags, the difference stays counted (the verification fails) and the report gives the server's answer."""
    _new_users(mail_servers)
    user = "annv.chuyen.imap@tuyenquang.gov.vn"
    new = _target(mail_servers, user)
    if not new.folder_exists("Nhãn dài"):
        new.create_folder("Nhãn dài")
    new.select_folder("Nhãn dài")
    if uids := new.search(["ALL"]):
        new.delete_messages(uids)
        new.expunge()
    raw = testing.generated_message(8000)
    new.append("Nhãn dài", raw, [b"\\Seen"])
    copy = migrate._catalogue(new)
    new.logout()
    (ident, copy_meta), = copy.values()
    long_label = b"Nhan_" + b"x" * 295
    result = migrate.FolderResult(folder="Nhãn dài", target="Nhãn dài", from_bodies=True,
                                  source_ids={41: ident},
                                  source_meta={41: migrate.meta((b"\\Seen", long_label), None)})
    dst = _target(mail_servers, user)
    try:
        verified = migrate._verify(None, dst, [result], carry_flags=True)   # the old side is the result's own view
    finally:
        dst.logout()
    folder = verified["folders"][0]
    assert verified["ok"] is False and verified["flags_differ"] == 1 and verified["flags_carried"] == 0
    assert verified["missing_count"] == 0 and folder["flags_refused"][0]["copies"] == 1
    assert "too long" in folder["flags_refused"][0]["error"]
    assert folder["flag_examples"][0]["old"] == sorted([long_label.decode(), "\\Seen"])
    check = _target(mail_servers, user)
    check.select_folder("Nhãn dài", readonly=True)
    assert [d[b"FLAGS"] for d in check.fetch(check.search(["ALL"]), ["FLAGS"]).values()] == [(b"\\Seen",)]
    check.logout()


def test_a_server_that_refuses_says_which_server_and_whom(mail_servers, old_server, tmp_path):
    plan = _plan(mail_servers, old_server, tmp_path)
    plan["source"]["master_password"] = "sai-mat-khau"
    plan["mailboxes"][1]["password"] = "cu-2023"
    report = migrate.run_plan(migrate.plan_from_dict({**plan, "parallel": 1}))
    errors = [m["error"] for m in report["mailboxes"]]
    assert report["verified"] is False and report["totals"]["errors"] == 2
    assert f"the old server 127.0.0.1:{old_server.imap_port} refused the login of an@hagiang.gov.vn (master user " \
           "migrator)" in errors[0] and "từ chối đăng nhập" in errors[0]
    assert "binh@hagiang.gov.vn (its own password)" in errors[1]
    plan = _plan(mail_servers, old_server, tmp_path)
    plan["target"]["port"] = 1
    report = migrate.run_plan(migrate.plan_from_dict({**plan, "parallel": 1}))
    assert all("cannot reach the new server 127.0.0.1:1" in m["error"] for m in report["mailboxes"])


def test_mail_only_on_the_new_server_is_reported_and_kept(mail_servers, old_server, tmp_path):
    """A copy whose original was deleted on the old server after a daily run, or mail that arrived after the
    switch, is on the new server only: the verification counts it, per new folder (two old folders share "Sent"),
    and the run deletes nothing."""
    _new_users(mail_servers)
    an_new = "annv.chuyen@tuyenquang.gov.vn"
    plan = migrate.plan_from_dict(_plan(mail_servers, old_server, tmp_path))
    assert migrate.run_plan(plan)["verified"]
    job = plan.find(an_new)
    assert migrate.verify_job(plan, job)["only_on_target"] == 0
    new = _target(mail_servers, an_new)
    new.append("INBOX", testing.generated_message(7000))
    new.append("Sent", testing.generated_message(7001))
    new.logout()
    try:
        result = migrate.verify_job(plan, job)
        assert result["ok"] is True and result["only_on_target"] == 2
        assert {f["target"]: f["only_on_target"] for f in result["folders"] if f["only_on_target"]} == {
            "INBOX": 1, "Sent": 1}
        assert "only on the new server" in result["message"] and "chỉ có trên máy chủ mới" in result["message"]
        again = migrate.run_plan(plan)
        assert again["verified"] and again["totals"]["copied"] == 0
        new = _target(mail_servers, an_new)
        assert _count(new, "INBOX") == 15 and _count(new, "Sent") == 5   # kept
    finally:
        new = _target(mail_servers, an_new)
        for folder in ("INBOX", "Sent"):   # the two appended above: the highest UIDs
            new.select_folder(folder)
            new.delete_messages(new.search(["ALL"])[-1:])
            new.expunge()
        new.logout()
