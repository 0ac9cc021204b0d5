"""Issue 13, finding 1: someone who holds the database but not the audit key can neither rewrite the chain nor cut
its tail off unnoticed."""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hopnhat.core import audit
from hopnhat.core.models import AuditEntry, AuditHead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_log(tmp_path, settings):
    settings.HOPNHAT_AUDIT_CHECKPOINT_LOG = str(tmp_path / "audit-checkpoints.log")
    return tmp_path / "audit-checkpoints.log"


def _five_entries():
    for n in range(5):
        audit.record("nguyen.van.an", "agency.update", ("org.agency", n), four_eyes=bool(n % 2))


def _rewrite_with_sha256(from_seq: int) -> None:
    """What an attacker with SQL access and the source code (but not the key) does: edit an entry and recompute
    every hash after it with the published algorithm, then reset the head row."""
    entries = list(AuditEntry.objects.order_by("seq"))
    prev = entries[from_seq - 2].hash if from_seq > 1 else audit.GENESIS
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor = %s WHERE seq = %s", ["ke.gian", from_seq])
    for entry in AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq"):
        new_hash = hashlib.sha256((prev + audit._canonical(entry)).encode()).hexdigest()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s",
                           [prev, new_hash, entry.seq])
        prev = new_hash
    AuditHead.objects.filter(id=1).update(last_hash=prev)


def _verify_command() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_a_chain_recomputed_without_the_key_is_detected():
    _five_entries()
    _rewrite_with_sha256(from_seq=3)
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == 3
    with pytest.raises(CommandError, match="#3"):
        _verify_command()


def test_a_truncated_tail_is_detected_by_the_latest_checkpoint(checkpoint_log):
    _five_entries()
    call_command("audit", "checkpoint", stdout=StringIO())
    third = AuditEntry.objects.get(seq=3)
    with connection.cursor() as cursor:  # drop #4 and #5 and reset the head, as a careful attacker would
        cursor.execute("DELETE FROM core_auditentry WHERE seq > 3")
    AuditHead.objects.filter(id=1).update(last_seq=3, last_hash=third.hash)
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == 4
    assert "checkpoint" in report.reason and "#5" in report.reason
    with pytest.raises(CommandError, match="#4"):
        _verify_command()


def test_entries_after_the_latest_checkpoint_still_verify(checkpoint_log):
    _five_entries()
    call_command("audit", "checkpoint", stdout=StringIO())
    audit.record("tran.thi.binh", "role.create", ("org.roleassignment", 9))
    report = audit.verify_chain()
    assert report.ok and report.checked == 6 and report.checkpoint_seq == 5


def test_a_forged_checkpoint_line_is_refused(checkpoint_log):
    _five_entries()
    call_command("audit", "checkpoint", stdout=StringIO())
    line = json.loads(checkpoint_log.read_text().splitlines()[-1])
    line["seq"] = 2  # an attacker who also holds the log file moves the anchor back, without the key
    with checkpoint_log.open("a") as f:
        f.write(json.dumps(line) + "\n")
    report = audit.verify_chain()
    assert not report.ok
    assert "line 2" in report.reason


def test_checkpoints_are_appended_and_the_key_is_not_in_the_database(checkpoint_log, settings):
    _five_entries()
    call_command("audit", "checkpoint", stdout=StringIO())
    audit.record("system:test", "x")
    call_command("audit", "checkpoint", stdout=StringIO())
    lines = [json.loads(x) for x in checkpoint_log.read_text().splitlines()]
    assert [x["seq"] for x in lines] == [5, 6]
    assert oct(checkpoint_log.stat().st_mode & 0o777) == "0o600"
    key = settings.HOPNHAT_AUDIT_KEY
    assert len(key) >= 32
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, hash, prev_hash, actor FROM core_auditentry")
        dump = repr(cursor.fetchall())
    assert key not in dump


def test_verify_reports_the_checkpoint_it_compared_with(checkpoint_log):
    _five_entries()
    out = StringIO()
    call_command("audit", "checkpoint", "--json", stdout=out)
    assert json.loads(out.getvalue())["seq"] == 5
    out = StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] and data["checkpoint_seq"] == 5


def test_the_migration_rekeys_a_plain_sha256_chain_and_refuses_a_broken_one():
    """Chains written before the key (plain sha256) are verified, then re-keyed, by core.0005_b1_audit_hmac."""
    import importlib

    from django.apps import apps

    rekey = importlib.import_module("hopnhat.core.migrations.0005_b1_audit_hmac").rekey
    _five_entries()
    _rewrite_with_sha256(from_seq=1)          # what the chain looked like before this change
    with connection.cursor() as cursor:       # undo the test helper's edit of #1: an honest old chain
        cursor.execute("UPDATE core_auditentry SET actor = %s WHERE seq = 1", ["nguyen.van.an"])
    prev = audit.GENESIS
    for entry in AuditEntry.objects.order_by("seq"):
        new_hash = hashlib.sha256((prev + audit._canonical(entry)).encode()).hexdigest()
        AuditEntry.objects.filter(seq=entry.seq).update(prev_hash=prev, hash=new_hash)
        prev = new_hash
    AuditHead.objects.filter(id=1).update(last_hash=prev)
    assert not audit.verify_chain().ok
    rekey(apps, None)
    assert audit.verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET hash = %s WHERE seq = 2", ["f" * 64])
    with pytest.raises(RuntimeError, match="#1"):   # no longer a valid sha256 chain: not re-keyed
        rekey(apps, None)
