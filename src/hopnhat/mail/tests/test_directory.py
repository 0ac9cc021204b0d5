"""The directory: privacy, vCard 4.0, LDIF; LDAP in the project's slapd checked with ldapsearch (read-only bind);
the CardDAV address book served by Radicale, asked with real PROPFIND and REPORT requests."""

import base64
import subprocess

import pytest
import requests

from hopnhat.mail import addresses, carddav, directory, ldap_sync
from hopnhat.mail.models import AgencyContact, PersonContact

from .factories import official, organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_directory():
    org = organisation()
    an = official("Nguyễn Văn An", org["noivu"], title="Phó Giám đốc", phone="0912 345 678")
    binh = official("Trần Thị Bình", org["ward"], title="Công chức Văn phòng - Thống kê", phone="0987 000 111")
    PersonContact.objects.create(person=an, office_phone="0207 3822 111", office_address="Số 1, đường 17/8, "
                                 "phường Minh Xuân", mobile_shared=False)
    PersonContact.objects.create(person=binh, office_phone="0207 3811 222", mobile_shared=True)
    AgencyContact.objects.create(agency=org["noivu"], phone="0207 3822 000", address="Số 1, đường 17/8")
    addresses.provision()
    return {**org, "an": an, "binh": binh}


def test_public_sees_contact_points_only_staff_see_work_contacts(staff_directory):
    public = directory.search("noi vu", directory.Audience.PUBLIC)
    assert [a.name for a in public["agencies"]] == ["Sở Nội vụ tỉnh Tuyên Quang"]
    assert public["agencies"][0].email == "vanthu.snv@tuyenquang.gov.vn"
    assert directory.search("an", directory.Audience.PUBLIC)["people"] == []
    staff = {p.full_name: p for p in directory.people(directory.Audience.STAFF)}
    assert staff["Nguyễn Văn An"].email == "annv@tuyenquang.gov.vn"
    assert staff["Nguyễn Văn An"].mobile == ""                 # not allowed by its owner
    assert staff["Trần Thị Bình"].mobile == "0987 000 111"     # allowed
    found = directory.search("pho giam doc", directory.Audience.STAFF)["people"]
    assert [p.full_name for p in found] == ["Nguyễn Văn An"]   # folded search on titles too


def test_vcard_4_is_escaped_and_folded():
    entry = directory.PersonEntry(pk=7, full_name="Nguyễn Văn An", family="Nguyễn", given="Văn An",
                                  title="Phó Giám đốc Sở Nội vụ, phụ trách công tác tổ chức; cán bộ và đào tạo",
                                  agency_pk=1, agency_name="Sở Nội vụ", email="annv@tuyenquang.gov.vn",
                                  office_phone="0207 3822 111")
    card = directory.vcard_person(entry)
    assert card.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n") and card.endswith("END:VCARD\r\n")
    assert "N:Nguyễn;Văn An;;;" in card and "TEL;VALUE=uri;TYPE=work,voice:tel:02073822111" in card
    unfolded = card.replace("\r\n ", "")
    assert "TITLE:Phó Giám đốc Sở Nội vụ\\, phụ trách công tác tổ chức\\; cán bộ và đào tạo" in unfolded
    assert all(len(line.encode()) <= 75 for line in card.split("\r\n"))


def _ldapsearch(layout, *args, bind=True):
    cmd = ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", layout.ldap_url, "-b", layout.ldap_suffix]
    if bind:
        cmd += ["-D", layout.ldap_reader_dn, "-w", layout.secret("ldap_reader")]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=20)


def _decode(ldif: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in ldif.splitlines():
        if ":: " in line:
            name, value = line.split(":: ", 1)
            out.setdefault(name, []).append(base64.b64decode(value).decode())
        elif ": " in line:
            name, value = line.split(": ", 1)
            out.setdefault(name, []).append(value)
    return out


def test_ldap_sync_then_ldapsearch_with_the_read_only_bind(mail_servers, staff_directory):
    first = ldap_sync.sync()
    assert first["counts"]["added"] >= 2 + 4                  # two people, four agencies
    assert ldap_sync.sync(dry_run=True)["counts"] == {"added": 0, "modified": 0, "deleted": 0}
    found = _ldapsearch(mail_servers, "(mail=annv@tuyenquang.gov.vn)", "cn", "title", "telephoneNumber", "mobile",
                        "ou")
    assert found.returncode == 0, found.stderr
    entry = _decode(found.stdout)
    assert entry["cn"] == ["Nguyễn Văn An"] and entry["title"] == ["Phó Giám đốc"]
    assert entry["telephoneNumber"] == ["0207 3822 111"] and "mobile" not in entry
    assert entry["dn"][0].startswith("uid=p") and "ou=000.00.02.H60,ou=000.00.00.H60" in entry["dn"][0]
    # Read-only: the reader cannot write; anonymous sees nothing.
    denied = subprocess.run(["ldapmodify", "-x", "-H", mail_servers.ldap_url, "-D", mail_servers.ldap_reader_dn,
                             "-w", mail_servers.secret("ldap_reader")],
                            input=f"dn: {entry['dn'][0]}\nchangetype: modify\nreplace: title\ntitle: x\n",
                            capture_output=True, text=True, timeout=20)
    assert denied.returncode == 50, denied.stderr          # insufficientAccessRights
    anonymous = _ldapsearch(mail_servers, "(objectClass=inetOrgPerson)", bind=False)
    assert "dn:" not in anonymous.stdout
    # A change in the platform: the official moves to the ward, the full sync reports and fixes exactly that.
    membership = staff_directory["an"].memberships.get()
    membership.agency = staff_directory["ward"]
    membership.save()
    result = ldap_sync.sync()
    assert len(result["added"]) == 1 and len(result["deleted"]) == 1 and "ou=000.00.41.H60" in result["added"][0]
    assert "ldif" in ldap_sync.export_ldif().splitlines()[0] or "version: 1" in ldap_sync.export_ldif()


def test_carddav_address_book_over_propfind_and_report(mail_servers, staff_directory):
    addresses.set_password(staff_directory["an"].mailbox, "mat-khau-thu-2025")
    written = carddav.write_address_book()
    assert written["cards"] == 4 + 2 and written["users"] == 1
    url = f"http://127.0.0.1:{mail_servers.carddav_port}/{carddav.COLLECTION}/"
    auth = ("annv@tuyenquang.gov.vn", "mat-khau-thu-2025")
    assert requests.request("PROPFIND", url, headers={"Depth": "1"}, timeout=10).status_code == 401
    listing = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "1"}, timeout=10,
                               data='<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/><getetag/>'
                                    '</prop></propfind>')
    assert listing.status_code == 207, listing.text
    assert "addressbook" in listing.text and listing.text.count("hopnhat-person-") == 2
    report = requests.request(
        "REPORT", url, auth=auth, headers={"Depth": "1", "Content-Type": "application/xml"}, timeout=10,
        data='<?xml version="1.0"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
             '<D:prop><D:getetag/><C:address-data/></D:prop></C:addressbook-query>')
    assert report.status_code == 207, report.text
    assert "Trần Thị Bình" in report.text and "annv@tuyenquang.gov.vn" in report.text
    # Read-only: nobody may write a card.
    put = requests.put(url + "x.vcf", auth=auth, data="BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nUID:x\r\nEND:VCARD\r\n",
                       headers={"Content-Type": "text/vcard"}, timeout=10)
    assert put.status_code == 403


def test_directory_commands_export_and_report_differences(mail_servers, staff_directory, capsys, tmp_path):
    import json

    from django.core.management import call_command

    call_command("directory", "export", "--format", "vcard", "000.00.02.H60", "-o", str(tmp_path / "snv.vcf"))
    cards = (tmp_path / "snv.vcf").read_text(encoding="utf-8")
    assert cards.count("BEGIN:VCARD") == 2 and "FN:Nguyễn Văn An" in cards and "Trần Thị Bình" not in cards
    capsys.readouterr()
    call_command("directory", "export", "--format", "ldif", "--json")
    ldif = json.loads(capsys.readouterr().out)["text"]
    assert ldif.startswith("version: 1") and "objectClass: inetOrgPerson" in ldif
    call_command("directory", "sync-ldap", "--dry-run", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is True
    call_command("directory", "sync-ldap", "--json")
    call_command("directory", "sync-ldap", "--dry-run", "--json")
    capsys.readouterr()
    call_command("directory", "sync-ldap", "--dry-run", "--json")
    assert json.loads(capsys.readouterr().out)["counts"] == {"added": 0, "modified": 0, "deleted": 0}
