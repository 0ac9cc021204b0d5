"""A small merged organisation for the mail tests: a province with a department and a ward, an old province's
closed agency, and officials."""

import datetime

from hopnhat.mail.models import DomainKind, MailDomain
from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Membership, Person

ACTOR = "test:mail"


def organisation(with_domain: bool = True):
    province, _ = ensure_agency(code="000.00.00.H60", name="UBND tỉnh Tuyên Quang", actor=ACTOR)
    noivu, _ = ensure_agency(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang", parent=province, actor=ACTOR)
    ward, _ = ensure_agency(code="000.00.41.H60", name="UBND phường Minh Xuân", parent=province, actor=ACTOR)
    old, _ = ensure_agency(code="000.00.00.H22", name="UBND tỉnh Hà Giang", actor=ACTOR)
    domain = primary_domain(province) if with_domain else None
    return {"province": province, "noivu": noivu, "ward": ward, "old": old, "domain": domain}


def primary_domain(province):
    domain, _ = MailDomain.objects.get_or_create(name="tuyenquang.gov.vn",
                                                 defaults={"kind": DomainKind.PRIMARY, "agency": province})
    return domain


def official(name: str, agency, *, start=datetime.date(2025, 7, 1), end=None, title="Chuyên viên", phone="",
             email="", birth=None) -> Person:
    person = Person.objects.create(full_name=name, phone=phone, email=email, birth_date=birth)
    Membership.objects.create(person=person, agency=agency, title=title, start=start, end=end)
    return person
