"""“My dossiers” (issue 17): online, counter and imported dossiers of one citizen found by the keyed hash of the ID
number VNeID gave; a supplement request shown, the citizen's upload puts the dossier back in processing."""

import pytest
from django.contrib.auth import get_user_model

from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import actions, citizen, online
from hopnhat.dossiers.models import Action, Dossier, Status, SubmittedFile

from .conftest import at, close_old_agencies

pytestmark = pytest.mark.django_db
ID = "001085012345"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def lan(hanoi, procedures, settings, tmp_path):
    close_old_agencies(hanoi)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    user = get_user_model().objects.create(username="vneid-" + keyed_hash(ID), first_name="Nguyễn Thị Lan")
    counter = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify,
                              applicant_name="Nguyễn Thị Lan", id_number=ID, phone="0912000111", at=at(2025, 8, 4))
    other = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.certify,
                            applicant_name="Trần Văn Minh", id_number="001090099999", phone="0912000222")
    web = online.submit(key="form-1", citizen_id_hash=online.id_hash_of(user), applicant_name="Nguyễn Thị Lan",
                        procedure=procedures.birth, place="Phường Trúc Bạch, Quận Ba Đình",
                        files=[online.Upload("Tờ khai", "to-khai.pdf", PDF)])
    return user, counter, other, web


def test_my_dossiers_are_found_by_the_hash_only(lan):
    user, counter, other, web = lan
    mine = citizen.my_dossiers(user)
    assert sorted(d["code"] for d in mine) == sorted([counter.code, web.code])
    assert other.code not in {d["code"] for d in mine}
    assert not Dossier.objects.filter(applicant_id_hash=ID).exists()      # never the number in clear
    online_one = next(d for d in mine if d["code"] == web.code)
    assert online_one["files"] == [{"paper": "Tờ khai", "name": "to-khai.pdf", "size": len(PDF)}]
    assert online_one["timeline"]


def test_a_supplement_is_shown_and_uploaded_online(lan):
    user, _, _, web = lan
    actions.transition("system:test", web, Action.REQUEST_SUPPLEMENT, note="Bản sao giấy chứng sinh có chứng thực")
    shown = next(d for d in citizen.my_dossiers(user) if d["code"] == web.code)
    assert shown["supplement_request"] == "Bản sao giấy chứng sinh có chứng thực"
    citizen.supply(user, Dossier.objects.get(pk=web.pk), [online.Upload("Giấy chứng sinh", "chung-sinh.pdf", PDF)])
    web.refresh_from_db()
    assert web.status == Status.PROCESSING and SubmittedFile.objects.filter(dossier=web).count() == 2
    with pytest.raises(online.Refused, match="không chờ bổ sung"):
        citizen.supply(user, web, [online.Upload("Giấy chứng sinh", "chung-sinh.pdf", PDF)])


def test_nobody_else_can_supply(lan):
    _, _, other, web = lan
    stranger = get_user_model().objects.create(username="vneid-" + keyed_hash("001090099999"))
    actions.transition("system:test", web, Action.REQUEST_SUPPLEMENT, note="x")
    with pytest.raises(citizen.NotYours):
        citizen.supply(stranger, Dossier.objects.get(pk=web.pk), [online.Upload("x", "x.pdf", PDF)])


def test_the_signed_result_is_downloadable_with_its_signature_status(lan, settings, tmp_path, client):
    from hopnhat.documents import signing
    from hopnhat.documents.tests import pki as testpki

    user, _, _, web = lan
    pki = testpki.make_pki(tmp_path / "pki", signer_name="UBND phường Ba Đình")
    settings.HOPNHAT_SIGNING = {"trust_roots": [str(pki.root_pem)]}
    key = signing.KeySpec(pkcs12=str(pki.signer_p12), passphrase=testpki.PASSPHRASE)
    signed = signing.sign_pdf(testpki.sample_pdf(pages=1), key, role="organisation", number="12/GKS")
    result = citizen.attach_result("system:test", web, "giay-khai-sinh.pdf", signed)
    shown = next(d for d in citizen.my_dossiers(user) if d["code"] == web.code)
    assert [s["status"] for s in shown["results"][0]["signatures"]] == ["valid"]
    client.force_login(user)
    page = client.get("/ho-so/cua-toi/").content.decode()
    assert "Chữ ký số hợp lệ" in page and "Valid digital signature" not in page
    download = client.get(f"/ho-so/cua-toi/{web.pk}/ket-qua/{result.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == signed
    citizen.attach_result("system:test", web, "ban-nhap.pdf", testpki.sample_pdf(pages=1))
    assert "Không có chữ ký số" in client.get("/ho-so/cua-toi/").content.decode()
    stranger = get_user_model().objects.create(username="vneid-" + keyed_hash("001090099999"))
    client.force_login(stranger)
    assert client.get(f"/ho-so/cua-toi/{web.pk}/ket-qua/{result.pk}/").status_code == 404
