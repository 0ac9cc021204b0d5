import pytest
from django.db import connection

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _three_entries():
    audit.record("nguyen.van.an", "agency.create", ("org.agency", 1), name="Sở Nội vụ tỉnh Tuyên Quang")
    audit.record("system:units-load", "units.load", None, wards=3321)
    audit.record("tran.thi.binh", "agency.close", ("org.agency", 1), reason="merged")


def test_chain_verifies_when_untouched():
    _three_entries()
    report = audit.verify_chain()
    assert report.ok and report.checked == 3


def test_tampering_in_the_database_names_the_first_broken_entry():
    _three_entries()
    second = AuditEntry.objects.order_by("seq")[1]
    with connection.cursor() as cursor:  # the way an attacker with SQL access would change history
        cursor.execute("UPDATE core_auditentry SET actor = %s WHERE seq = %s", ["ke.gian", second.seq])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == second.seq
    assert "hash" in report.reason


def test_deleting_an_entry_is_detected():
    _three_entries()
    first = AuditEntry.objects.order_by("seq").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [first.seq])
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == first.seq


def test_entries_cannot_be_changed_through_the_orm():
    _three_entries()
    entry = AuditEntry.objects.first()
    entry.actor = "someone.else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_record_needs_an_actor():
    with pytest.raises(ValueError):
        audit.record(None, "x")
