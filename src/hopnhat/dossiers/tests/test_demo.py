"""The demo: two old systems merged, the abolished district's dossier answering under its old code."""

import io

import pytest
from django.test import override_settings

from hopnhat.dossiers import demo, lookup

pytestmark = pytest.mark.django_db


def test_demo_loads_once_and_answers_the_old_code(hanoi, tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        first = demo.load_demo(io.StringIO())
        second = demo.load_demo(io.StringIO())
    assert first["dossiers"] == second["dossiers"] == 6
    assert all(r["balanced"] for r in first["runs"].values())
    assert first["handed_over"] == 4 and second["handed_over"] == 0 and second["agencies_closed"] == 0
    found = lookup.public_lookup(first["try"]["code"], first["try"]["phone_last4"])
    assert found["agency"] == "UBND phường Ba Đình" and found["receiving_agency"] == "UBND quận Ba Đình"
    assert found["timeline"][-1]["action"] == "handover"
