import io

import pytest

from hopnhat.consolidation.inventory import demo
from hopnhat.consolidation.inventory.models import Decision, OldSystem
from hopnhat.org import demo as org_demo
from hopnhat.org.models import Level, Vintage

pytestmark = pytest.mark.django_db


def test_demo_loads_through_the_template_and_twice_changes_nothing(agencies):
    # `hopnhat demo` runs the organisation demo first; the register names its agencies by code.
    from hopnhat.org.models import AdminUnit

    assert AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE, code="08").exists()
    org_demo.load_demo()
    first = demo.load_demo(io.StringIO())
    assert first == {"systems": 10, "created": 10, "updated": 0, "unchanged": 0}
    second = demo.load_demo(io.StringIO())
    assert second == {"systems": 10, "created": 0, "updated": 0, "unchanged": 10}
    assert OldSystem.objects.get(code="hagiang-motcua").decision == Decision.KEEP
    moved = OldSystem.objects.get(code="tuyenquang-motcua")
    assert moved.decision == Decision.MIGRATE and moved.migrate_into.code == "hagiang-motcua" and moved.wave == 1
