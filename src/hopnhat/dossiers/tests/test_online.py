"""Online submission (issue 17): an old commune's address resolves to today's ward (a split one asks), uploads are
type/size checked and scanned by the real clamd scripts/services.sh starts, and one idempotency key is one dossier."""

import pytest
from django.core.files.storage import default_storage

from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import online
from hopnhat.dossiers.models import Channel, Dossier, OnlineSubmission, Status, SubmittedFile

pytestmark = pytest.mark.django_db
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def ready(hanoi, procedures, settings, tmp_path):
    from .conftest import close_old_agencies

    close_old_agencies(hanoi)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return hanoi, procedures


def _submit(procedures, key="k-1", place="Phường Trúc Bạch, Quận Ba Đình", files=None, **kw):
    return online.submit(key=key, citizen_id_number="001085012345", applicant_name="Nguyễn Thị Lan",
                         procedure=procedures.birth, place=place, phone="0912000111",
                         files=files if files is not None else [online.Upload("Tờ khai", "to-khai.pdf", PDF)], **kw)


def test_clamd_passes_a_clean_file_and_names_the_test_signature():
    online.scan(PDF)
    with pytest.raises(online.Refused, match="Hopnhat.Test.EICAR"):
        online.scan(EICAR)


def test_an_old_wards_address_goes_to_todays_ward(ready):
    hanoi, procedures = ready
    dossier = _submit(procedures)
    assert dossier.agency == hanoi.ba_dinh and dossier.channel == Channel.ONLINE
    assert dossier.status == Status.RECEIVED and dossier.due_date
    assert dossier.applicant_id_hash == keyed_hash("001085012345")
    stored = SubmittedFile.objects.get(dossier=dossier)
    assert default_storage.open(stored.file.name).read() == PDF


def test_a_split_commune_asks_which_ward(ready):
    hanoi, procedures = ready
    with pytest.raises(online.Refused, match="Phường Ba Đình.*Phường Ngọc Hà|Phường Ngọc Hà.*Phường Ba Đình"):
        _submit(procedures, place="Phường Đội Cấn, Quận Ba Đình")
    assert not Dossier.objects.exists()
    dossier = _submit(procedures, place="Phường Đội Cấn, Quận Ba Đình", ward_code=hanoi.units.ngoc_ha.code)
    assert dossier.agency == hanoi.ngoc_ha


def test_the_same_key_never_makes_two_dossiers(ready):
    _, procedures = ready
    first = _submit(procedures)
    again = _submit(procedures)
    assert first.pk == again.pk and Dossier.objects.count() == 1 and SubmittedFile.objects.count() == 1


@pytest.mark.parametrize(("name", "data", "message"), [
    ("virus.pdf", EICAR, "mã độc"), ("script.exe", PDF, "chỉ nhận"), ("empty.pdf", b"", "rỗng")])
def test_a_refused_file_registers_nothing(ready, name, data, message):
    _, procedures = ready
    with pytest.raises(online.Refused, match=message):
        _submit(procedures, files=[online.Upload("Tờ khai", name, data)])
    assert not Dossier.objects.exists() and not SubmittedFile.objects.exists()


def test_a_failure_inside_the_unit_of_work_leaves_no_dossier_and_only_a_blob_the_sweep_removes(
        ready, monkeypatch, tmp_path):
    _, procedures = ready

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SubmittedFile.objects, "create", broken)
    with pytest.raises(RuntimeError):
        _submit(procedures)
    assert not Dossier.objects.exists() and not OnlineSubmission.objects.exists()
    # the bytes were written first, under their checksum: no row names them, the sweep takes them
    assert len(list((tmp_path / "media").rglob("*.pdf"))) == 1
    assert online.sweep_blobs(older_than_s=3600) == []          # too young: a submission may still be running
    assert len(online.sweep_blobs(older_than_s=0)) == 1
    assert not list((tmp_path / "media").rglob("*.pdf"))
    monkeypatch.undo()
    dossier = _submit(procedures)    # the retry with the same key goes through
    assert default_storage.open(dossier.files.get().file.name).read() == PDF
    assert online.sweep_blobs(older_than_s=0) == []              # a referenced blob stays


def test_the_same_key_from_another_applicant_is_refused(ready):
    _, procedures = ready
    first = _submit(procedures)
    with pytest.raises(online.Refused, match="lần nộp"):
        online.submit(key="k-1", citizen_id_number="001090099999", applicant_name="Kẻ Khác",
                      procedure=procedures.birth, place="Phường Trúc Bạch, Quận Ba Đình")
    assert Dossier.objects.get() == first
