import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _run(*args):
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def _entries():
    audit.record("nguyen.van.an", "agency.create", ("org.agency", 7), name="Sở Tư pháp tỉnh Tuyên Quang")
    audit.record("tran.thi.binh", "agency.close", ("org.agency", 3), reason="merged", on="2025-07-01")
    audit.record("system:units-load", "units.load", None, wards=3321)


def test_verify_reports_an_intact_chain_as_json():
    _entries()
    assert json.loads(_run("verify", "--json")) == {"ok": True, "checked": 3, "first_broken_seq": None,
                                                    "reason": "", "checkpoint_seq": None, "checkpoint_at": ""}
    assert "3 mục" in _run("verify")


def test_verify_fails_naming_the_first_broken_entry():
    _entries()
    second = AuditEntry.objects.order_by("seq")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET data = %s WHERE seq = %s", ['{"reason": "split"}', second.seq])
    with pytest.raises(CommandError, match=f"#{second.seq}"):
        _run("verify")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", "--json", stdout=out)
    assert exit_.value.code == 1
    answer = json.loads(out.getvalue())
    assert answer["ok"] is False and f"#{second.seq}" in answer["error"]


def test_tail_shows_the_latest_entries_oldest_first():
    _entries()
    lines = _run("tail", "-n", "2").splitlines()
    assert len(lines) == 2
    assert "tran.thi.binh agency.close org.agency:3" in lines[0] and "units.load" in lines[1]
    data = json.loads(_run("tail", "--json"))
    assert [e["action"] for e in data["entries"]] == ["agency.create", "agency.close", "units.load"]
    assert data["entries"][0]["data"] == {"name": "Sở Tư pháp tỉnh Tuyên Quang"}


def test_tail_on_an_empty_log_and_a_bad_count():
    assert "trống" in _run("tail")
    with pytest.raises(CommandError, match="--lines 0"):
        _run("tail", "-n", "0")


def test_admin_lists_entries_but_offers_no_change(client):
    _entries()
    admin = get_user_model().objects.create_superuser("quantri.nentang", password="mat-khau-dai-2025")
    client.force_login(admin)
    listing = client.get("/django-admin/core/auditentry/")
    assert listing.status_code == 200 and "agency.close" in listing.content.decode()
    entry = AuditEntry.objects.order_by("seq").first()
    assert client.get(f"/django-admin/core/auditentry/{entry.seq}/change/").status_code == 200  # a read-only view
    assert client.post(f"/django-admin/core/auditentry/{entry.seq}/change/", {"actor": "x"}).status_code == 403
    assert client.get("/django-admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/django-admin/core/auditentry/{entry.seq}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(seq=entry.seq).actor == "nguyen.van.an"
    assert audit.verify_chain().ok
