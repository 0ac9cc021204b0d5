"""The engine's demo step (hopnhat.consolidation.demo): the systems the portal and dossier demos migrate are in the
register, and a fresh demo shows a quarantine queue with one record resolved through it and one still waiting."""

import io

import pytest
from django.contrib.auth import get_user_model

from hopnhat.consolidation import demo, quarantine
from hopnhat.consolidation.inventory import demo as inventory_demo
from hopnhat.consolidation.inventory.models import OldSystem
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core.models import AuditEntry
from hopnhat.org import demo as org_demo

pytestmark = pytest.mark.django_db


def test_a_fresh_demo_shows_a_queue_with_a_record_resolved_through_it(agencies, client):
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

    # the province's IT officer (unit administrator of UBND tỉnh Tuyên Quang) sees Hà Giang's mail queue: the
    # system serves the new province, though its owner (a Hà Giang department) is closed
    client.force_login(get_user_model().objects.get(username="quantri.tuyenquang"))
    page = client.get("/hop-nhat/cach-ly/").content.decode()
    assert "nong.thi.xuan" in page and "giang.a.pao" in page   # waiting, and resolved recently
    official = get_user_model().objects.get(username="canbo.noivu")
    client.force_login(official)
    assert client.get("/hop-nhat/cach-ly/").status_code == 403

    second = demo.load_demo(io.StringIO())   # loading twice changes nothing
    assert second["quarantine"]["resolved_now"] == [] and second["quarantine"]["waiting"] == 1
    assert second["registered"]["created"] == 0
    assert AuditEntry.objects.filter(action=quarantine.RESOLVED).count() == 1
