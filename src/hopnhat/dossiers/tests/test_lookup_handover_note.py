"""A dossier waiting on the applicant when its agency closed (the demo's 000.00.01.H26-250612-0007): after the
hand-over the public look-up still says what to bring — the official's request, not the hand-over line — and the
hand-over line reads in one language at a time wherever it is shown."""

import pytest
from django.conf import settings
from django.utils import translation

from hopnhat.core.lang import pick
from hopnhat.dossiers import actions, handover, lookup
from hopnhat.dossiers.models import Action, Dossier

from .conftest import at, close_old_agencies

pytestmark = pytest.mark.django_db
REQUEST = "Bổ sung bản sao hợp đồng chuyển nhượng có công chứng"


@pytest.fixture
def waiting(hanoi, procedures):
    dossier = actions.receive("system:test", agency=hanoi.doi_can, procedure=procedures.land,
                              applicant_name="Trần Thị Thu", phone="0987654321", at=at(2025, 6, 12, 14),
                              address="Số 20 ngõ 35 Đội Cấn, Phường Ba Đình, Thành phố Hà Nội")
    actions.process("system:test", dossier)
    actions.request_supplement("system:test", dossier, REQUEST)
    close_old_agencies(hanoi)
    handover.run()
    return Dossier.objects.get(pk=dossier.pk)


def test_the_lookup_shows_the_request_not_the_hand_over(waiting, hanoi):
    assert waiting.agency == hanoi.ba_dinh
    assert lookup.describe(waiting)["supplement"]["note"] == REQUEST


def test_the_hand_over_note_is_one_language_at_a_time(waiting):
    note = waiting.events.get(action=Action.HANDOVER).note
    with translation.override("vi"):
        vi = pick(note)
    with translation.override("en"):
        en = pick(note)
    assert vi == "Bàn giao từ UBND phường Đội Cấn cho UBND phường Ba Đình (địa chỉ người nộp thuộc địa bàn)"
    assert en == "Handed over to the successor agency (applicant's address lies in its unit)"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_lookup_page_in_each_language(client, waiting, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.post("/ho-so/tra-cuu/", {"code": waiting.code, "phone": "4321"}).content.decode()
    assert REQUEST in page
    assert "applicant's address" not in page and "người nộp thuộc địa bàn" not in page
    assert ("Hồ sơ đang chờ Ông/Bà bổ sung" in page) == (language == "vi")
