"""Old addresses through the consolidation engine: a CSV user list tied through the people import, an LDIF export,
a Postfix virtual file and an aliases file; the successor agency's shared address for a closed agency's box."""

import base64
import datetime

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.consolidation.sources import LdifSource, PostfixMapSource
from hopnhat.mail.models import OldAddress
from hopnhat.org.agencies import close_agency, ensure_agency

from .factories import ACTOR, organisation

pytestmark = pytest.mark.django_db

HR_CSV = """ma_nv,ho_ten,ngay_sinh,email,ma_don_vi
HG001,Nguyễn Văn An,1980-02-03,an.nv@hagiang.gov.vn,000.00.02.H60
HG002,Trần Thị Bình,1985-05-06,binhtt@hagiang.gov.vn,000.00.02.H60
"""


def _run(tmp_path, **mapping):
    return run_mapping(Mapping.from_dict(mapping, base_dir=tmp_path), actor="system:test")


def _outcomes(stream):
    return {s.key: (s.outcome, s.reason) for s in StagedRecord.objects.filter(stream=stream)}


@pytest.fixture
def people(tmp_path):
    org = organisation()
    (tmp_path / "nhan_su.csv").write_text(HR_CSV)
    run = _run(tmp_path, system="hr-hagiang", stream="people", importer="org.people",
               source={"kind": "csv", "path": "nhan_su.csv"}, key="ma_nv",
               fields={"full_name": "ho_ten", "birth_date": {"from": "ngay_sinh", "type": "date"}, "email": "email",
                       "agency_code": "ma_don_vi"})
    assert run.balanced
    return org


def test_csv_user_list_ties_old_addresses_to_their_people(tmp_path, people):
    (tmp_path / "tai_khoan.csv").write_text(
        "tai_khoan,ma_nv,bi_danh\n"
        "nguyenvanan@hagiang.gov.vn,HG001,an.nv@sonoivu.hagiang.gov.vn\n"
        "binhtt@hagiang.gov.vn,,\n"           # no key: found through the HR record's e-mail
        "khach@hagiang.gov.vn,HG999,\n")      # nobody: quarantined with the reason
    run = _run(tmp_path, system="mail-hagiang", stream="old-addresses", importer="mail.old_addresses",
               source={"kind": "csv", "path": "tai_khoan.csv"}, key="tai_khoan",
               fields={"old_address": "tai_khoan", "person_key": "ma_nv", "also": "bi_danh"},
               options={"people_system": "hr-hagiang", "forward_until": "2026-07-01"})
    assert run.balanced
    outcomes = _outcomes("old-addresses")
    assert outcomes["nguyenvanan@hagiang.gov.vn"][0] == "loaded"
    assert outcomes["binhtt@hagiang.gov.vn"][0] == "loaded"
    assert outcomes["khach@hagiang.gov.vn"][0] == "quarantined"
    assert "không tìm được chủ mới" in outcomes["khach@hagiang.gov.vn"][1]
    an = OldAddress.objects.get(address="nguyenvanan@hagiang.gov.vn")
    assert an.mailbox.address == "annv@tuyenquang.gov.vn" and an.forward_until == datetime.date(2026, 7, 1)
    assert an.source_system == "mail-hagiang"
    assert OldAddress.objects.get(address="an.nv@sonoivu.hagiang.gov.vn").mailbox == an.mailbox
    assert OldAddress.objects.get(address="binhtt@hagiang.gov.vn").mailbox.address == "binhtt@tuyenquang.gov.vn"
    # Again: nothing new, nothing duplicated.
    again = _run(tmp_path, system="mail-hagiang", stream="old-addresses", importer="mail.old_addresses",
                 source={"kind": "csv", "path": "tai_khoan.csv"}, key="tai_khoan",
                 fields={"old_address": "tai_khoan", "person_key": "ma_nv", "also": "bi_danh"},
                 options={"people_system": "hr-hagiang"})
    assert again.balanced and OldAddress.objects.count() == 3


def test_ldif_export_with_folded_lines_base64_and_several_mail_values(tmp_path, people):
    cn = base64.b64encode("Nguyễn Văn An".encode()).decode()
    (tmp_path / "users.ldif").write_text(
        "version: 1\n\n"
        "# cán bộ Sở Nội vụ Hà Giang\n"
        "dn: uid=an,ou=people,dc=hagiang,dc=gov,dc=vn\n"
        "objectClass: inetOrgPerson\n"
        f"cn:: {cn}\n"
        "mail: nguyenvanan@hagiang.gov\n"
        " .vn\n"
        "mail: an@hagiang.gov.vn\n"
        "employeeNumber: HG001\n\n"
        "dn: ou=people,dc=hagiang,dc=gov,dc=vn\n"
        "objectClass: organizationalUnit\n")
    records = list(LdifSource({"path": "users.ldif", "object_class": "inetOrgPerson"}, base_dir=tmp_path).records())
    assert len(records) == 1
    data = records[0].data
    assert data["cn"] == "Nguyễn Văn An" and data["mail_all"] == ["nguyenvanan@hagiang.gov.vn", "an@hagiang.gov.vn"]
    run = _run(tmp_path, system="ldap-hagiang", stream="old-addresses", importer="mail.old_addresses",
               source={"kind": "ldif", "path": "users.ldif", "object_class": "inetOrgPerson"},
               fields={"old_address": "mail", "also": "mail_all", "person_key": "employeeNumber"},
               options={"people_system": "hr-hagiang"})
    assert run.balanced
    assert set(OldAddress.objects.values_list("address", "mailbox__address")) == {
        ("nguyenvanan@hagiang.gov.vn", "annv@tuyenquang.gov.vn"), ("an@hagiang.gov.vn", "annv@tuyenquang.gov.vn")}


def test_postfix_virtual_and_aliases_files_follow_their_targets(tmp_path, people):
    org = people
    closed, _ = ensure_agency(code="000.00.02.H22", name="Sở Nội vụ tỉnh Hà Giang", parent=org["old"], actor=ACTOR)
    close_agency(closed, reason="merged", successors=[(org["noivu"], "whole", True)], actor=ACTOR)
    from hopnhat.mail import addresses

    addresses.provision()   # the shared văn thư addresses
    (tmp_path / "virtual").write_text(
        "# virtual(5) of mail.hagiang.gov.vn\n"
        "an.nv@hagiang.gov.vn      an.nv@hagiang.gov.vn\n"           # the HR record's address: the person
        "giamdoc@snv.hagiang.gov.vn  an.nv@hagiang.gov.vn,\n"
        "    binhtt@hagiang.gov.vn\n"                                 # continuation line
        "lanhdao@snv.hagiang.gov.vn  giamdoc@snv.hagiang.gov.vn\n"   # an alias of an alias: same owner, no chain
        "hopthu@hagiang.gov.vn\n")                                    # no target: quarantined
    records = {r.key: r.data for r in PostfixMapSource({"path": "virtual"}, base_dir=tmp_path).records()}
    assert records["giamdoc@snv.hagiang.gov.vn"]["targets"] == ["an.nv@hagiang.gov.vn", "binhtt@hagiang.gov.vn"]
    run = _run(tmp_path, system="mail-hagiang", stream="virtual", importer="mail.old_addresses",
               source={"kind": "postfix_map", "path": "virtual"}, key="key", fields={"old_address": "key"})
    assert run.balanced
    outcomes = _outcomes("virtual")
    assert outcomes["hopthu@hagiang.gov.vn"][0] == "quarantined"
    owners = dict(OldAddress.objects.values_list("address", "mailbox__address"))
    assert owners["giamdoc@snv.hagiang.gov.vn"] == owners["lanhdao@snv.hagiang.gov.vn"] == "annv@tuyenquang.gov.vn"
    # aliases(5): the closed Sở's shared box goes to the successor's văn thư.
    (tmp_path / "aliases").write_text("vanthu.snv@hagiang.gov.vn: vanthu\n")
    run = _run(tmp_path, system="mail-hagiang", stream="aliases", importer="mail.old_addresses",
               source={"kind": "postfix_map", "path": "aliases", "format": "aliases"}, key="key",
               fields={"old_address": "key", "agency_code": {"from": "key", "map": "hop_thu_co_quan"}},
               value_maps={"hop_thu_co_quan": {"vanthu.snv@hagiang.gov.vn": "000.00.02.H22"}})
    assert run.balanced
    assert owners | dict(OldAddress.objects.values_list("address", "mailbox__address")) == {
        **owners, "vanthu.snv@hagiang.gov.vn": "vanthu.snv@tuyenquang.gov.vn"}
