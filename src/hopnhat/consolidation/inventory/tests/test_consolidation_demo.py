"""The engine's demo step (hopnhat.consolidation.demo): the systems the portal and dossier demos migrate are in the
register, and a fresh demo shows a quarantine queue with one record resolved through it and one still waiting."""

import io

import pytest

from hopnhat.consolidation import demo, quarantine
from hopnhat.consolidation.inventory import demo as inventory_demo
from hopnhat.consolidation.inventory.models import OldSystem
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core import demo as org_demo
from hopnhat.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_fresh_demo_shows_a_queue_with_a_record_resolved_through_it(agencies):
    org_demo.load_demo()
    inventory_demo.load_demo(io.StringIO())
    first = demo.load_demo(io.StringIO())

    assert {"motcua-badinh", "dvc-hanoi", "portal-vixuyenhagianggovvn"} <= set(
        OldSystem.objects.values_list("code", flat=True))
    assert first["quarantine"]["resolved_now"] == ["giang.a.pao"]
    assert first["quarantine"]["waiting"] == 1 and first["quarantine"]["resolved_total"] == 1
    assert StagedRecord.objects.get(key="giang.a.pao").outcome == "loaded"
    waiting = quarantine.listing("hagiang-mail")
    assert [e["key"] for e in waiting] == ["nong.thi.xuan"] and "xuan.nt@hagiang" in waiting[0]["reason"]
    assert AuditEntry.objects.filter(action=quarantine.RESOLVED, actor="quantri.tuyenquang").count() == 1

    second = demo.load_demo(io.StringIO())   # loading twice changes nothing
    assert second["quarantine"]["resolved_now"] == [] and second["quarantine"]["waiting"] == 1
    assert second["registered"]["created"] == 0
    assert AuditEntry.objects.filter(action=quarantine.RESOLVED).count() == 1
