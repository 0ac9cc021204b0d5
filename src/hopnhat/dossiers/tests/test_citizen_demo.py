"""The citizen demo (issue 17 "done when"): merged catalogue with one decided conflict, "dang ky khai sinh" found,
submitted online with an old ward's address, received at Phường Ba Đình, supplemented online, result returned."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from hopnhat.dossiers import citizen, citizen_demo, demo
from hopnhat.dossiers.models import CatalogueConflict, Dossier, Status
from hopnhat.portal.search.engine import search

pytestmark = pytest.mark.django_db


def test_citizen_demo_end_to_end_and_once(hanoi, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with override_settings(VAR_DIR=tmp_path):
        demo.load_demo(io.StringIO())
        first = citizen_demo.load_demo(io.StringIO())
        second = citizen_demo.load_demo(io.StringIO())
    assert first["dossier"] == second["dossier"]
    assert first["dossier"]["agency"] == "UBND phường Ba Đình"
    conflict = CatalogueConflict.objects.get()
    assert conflict.decided and conflict.decided_by == citizen_demo.ADMIN and conflict.decided_value == 5
    from hopnhat.org.access import is_unit_admin

    admin = get_user_model().objects.get(username=citizen_demo.ADMIN)
    assert is_unit_admin(admin)             # decided through the role check her web page uses
    for query in ("đăng ký khai sinh", "dang ky khai sinh"):
        assert any(h.doc_type == "procedure" and "khai sinh" in h.title for h in search(query).hits)
    dossier = Dossier.objects.get(code=first["dossier"]["code"])
    assert dossier.status == Status.RETURNED
    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == ["receive", "request_supplement", "process", "approve", "return_result"]
    mine = citizen.my_dossiers(get_user_model().objects.get(username=first["citizen"]["username"]))
    assert [d["code"] for d in mine] == [dossier.code] and mine[0]["results"]
    assert {a["key"]: a["value"] for a in dossier.online_submission.form_data}["gioi_tinh"] == "Nam"
