import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from hopnhat.core.models import AuditEntry
from hopnhat.mail import addresses, forwards, maps
from hopnhat.mail.models import Mailbox, MailboxKind, SharedRole

from .factories import ACTOR, official, organisation, primary_domain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("pattern", "expected"), [
    ("{given}{initials}", "annv"),
    ("{full}", "nguyenvanan"),
    ("{given}.{family}", "an.nguyen"),
    ("{family}{given}", "nguyenan"),
])
def test_derive_local_part_follows_the_pattern(pattern, expected):
    assert addresses.derive_local_part("Nguyễn Văn An", pattern) == expected


def test_derive_folds_vietnamese_letters():
    assert addresses.derive_local_part("Đỗ Thị Ngọc Ánh") == "anhdtn"
    assert addresses.derive_local_part("  ") == ""


def test_provision_numbers_collisions_and_closes_logins_of_people_who_left():
    org = organisation(with_domain=False)
    first = official("Nguyễn Văn An", org["noivu"])
    second = official("Nông Văn An", org["ward"])     # folds to the same annv
    leaver = official("Trần Thị Bình", org["noivu"], end=datetime.date(2025, 8, 1))
    primary_domain(org["province"])
    dry = addresses.provision(dry_run=True)
    assert dry.summary()["created"] == 2 and not Mailbox.objects.filter(kind=MailboxKind.PERSONAL).exists()
    plan = addresses.provision(actor=ACTOR)
    assert {r["address"] for r in plan.created} == {"annv@tuyenquang.gov.vn", "annv2@tuyenquang.gov.vn"}
    assert plan.numbered == [{"person": "Nông Văn An", "address": "annv2@tuyenquang.gov.vn",
                              "agency": "UBND phường Minh Xuân", "derived": "annv@tuyenquang.gov.vn"}]
    assert first.mailbox.address == "annv@tuyenquang.gov.vn"
    assert second.mailbox.agency == org["ward"]
    assert not Mailbox.objects.filter(person=leaver).exists()   # never had a current membership: no mailbox
    # Shared addresses: văn thư for every agency, a one-door desk for the ward.
    shared = dict(Mailbox.objects.filter(kind=MailboxKind.SHARED).values_list("address", "shared_role"))
    assert shared["vanthu@tuyenquang.gov.vn"] == SharedRole.VAN_THU
    assert shared["vanthu.snv@tuyenquang.gov.vn"] == SharedRole.VAN_THU
    assert shared["motcua.phuongminhxuan@tuyenquang.gov.vn"] == SharedRole.MOT_CUA
    assert AuditEntry.objects.filter(action="mail.provision").count() == 1
    assert addresses.provision().summary()["created"] == 0   # idempotent

    # The membership ends: the login closes at once (signal), the mailbox stays and keeps its address.
    membership = first.memberships.get()
    membership.end = datetime.date(2025, 9, 1)
    membership.save()
    first.mailbox.refresh_from_db()
    assert first.mailbox.login_open is False and first.mailbox.closed_at is not None
    assert Mailbox.objects.filter(address="annv@tuyenquang.gov.vn").exists()
    membership.end = None
    membership.save()
    first.mailbox.refresh_from_db()
    assert first.mailbox.login_open is True


def test_a_new_official_gets_an_address_when_the_membership_is_saved():
    org = organisation()
    person = official("Lê Minh Châu", org["noivu"])
    assert person.mailbox.address == "chaulm@tuyenquang.gov.vn"


def test_unit_admin_override_is_kept_and_audited():
    org = organisation()
    person = official("Nguyễn Văn An", org["noivu"])
    mailbox = person.mailbox
    addresses.set_local_part(mailbox, "an.nguyen", ACTOR)
    assert mailbox.address == "an.nguyen@tuyenquang.gov.vn" and mailbox.overridden
    entry = AuditEntry.objects.filter(action="mail.address.set").get()
    assert entry.data["before"] == "annv@tuyenquang.gov.vn"
    other = official("Ngô Văn Ánh", org["noivu"])
    with pytest.raises(addresses.AddressError, match="đã thuộc về"):
        addresses.set_local_part(other.mailbox, "an.nguyen", ACTOR)
    with pytest.raises(addresses.AddressError):
        addresses.set_local_part(other.mailbox, "an nguyễn", ACTOR)


def test_old_address_tables_forward_then_relocate_and_never_loop():
    org = organisation()
    person = official("Nguyễn Văn An", org["noivu"])
    old, created = forwards.add_old_address("an.nv@hagiang.gov.vn", person.mailbox, actor=ACTOR,
                                            forward_until=datetime.date(2026, 7, 1))
    assert created and old.domain.kind == "old"
    rows = maps.tables(today=datetime.date(2026, 6, 30))
    assert ("an.nv@hagiang.gov.vn", "annv@tuyenquang.gov.vn") in rows["aliases"]
    assert rows["relocated"] == [] and ("hagiang.gov.vn", "OK") in rows["alias_domains"]
    rows = maps.tables(today=datetime.date(2026, 7, 2))
    assert rows["aliases"] == [] and ("an.nv@hagiang.gov.vn", "annv@tuyenquang.gov.vn") in rows["relocated"]
    # A new address can never become an old one, and a primary domain never an old domain: no chain, no loop.
    with pytest.raises(forwards.ForwardError):
        forwards.add_old_address("annv@tuyenquang.gov.vn", person.mailbox, actor=ACTOR)
    with pytest.raises(forwards.ForwardError):
        forwards.add_old_address("someone@tuyenquang.gov.vn", person.mailbox, actor=ACTOR)
    forwards.set_forward_until(old, datetime.date(2027, 1, 1), ACTOR)
    assert AuditEntry.objects.filter(action="mail.forward.until").exists()


def test_provision_and_forwards_commands_answer_json(capsys):
    org = organisation()
    person = official("Nguyễn Văn An", org["noivu"])
    forwards.add_old_address("an.nv@hagiang.gov.vn", person.mailbox, actor=ACTOR,
                             forward_until=timezone.localdate() + datetime.timedelta(days=10))
    call_command("mail", "provision", "--dry-run", "--json")
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and "summary" in out
    call_command("mail", "forwards", "--expiring", "30", "--json")
    rows = json.loads(capsys.readouterr().out)["forwards"]
    assert rows[0]["old"] == "an.nv@hagiang.gov.vn" and rows[0]["days_left"] == 10
    call_command("mail", "forwards", "--expiring", "5", "--json")
    assert json.loads(capsys.readouterr().out)["forwards"] == []


def test_notices_on_a_host_without_mail_servers_does_nothing_and_says_so(capsys, settings, tmp_path):
    """The every-minute timer must not fail on a host where the mail servers were never set up; publishing the maps
    there is still an error (a person asked for it)."""
    import json

    settings.HOPNHAT_MAIL = {**settings.HOPNHAT_MAIL, "dir": str(tmp_path / "khong-co")}
    call_command("mail", "notices", "--json")
    assert json.loads(capsys.readouterr().out) == {"configured": False, "dir": str(tmp_path / "khong-co")}
    call_command("mail", "notices")
    assert "no mail servers are set up on this host" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("mail", "publish", "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] is False and "the mail servers are not set up" in answer["error"]
