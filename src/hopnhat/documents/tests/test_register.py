"""Registering incoming documents: numbers per agency and year, the số/ký hiệu parser, the duplicate warning
(old and new codes of one agency count as one), attachments stored once with their text, clear errors for bad
files with nothing half-written, and state secrets kept out."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from hopnhat.core.models import AuditEntry
from hopnhat.documents import actions, lookup, numbers, storage
from hopnhat.documents.models import Attachment, Blob, Document, Entry, Event, Register, Workflow

from .conftest import at, incoming_meta, make_pdf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["15/QĐ-UBND", "15 /QĐ-UBND", "Số 15/QĐ-UBND", "Số: 015/QĐ-UBND", "15/QD-UBND",
                                   "số 15/qđ-ubnd", "15/QĐ – UBND", " 15/ QĐ-UBND "])
def test_number_forms_meet_in_one_key(typed):
    assert numbers.parse(typed).key == "15/QD-UBND"


def test_number_parser_reads_law_numbers_and_names_bad_input():
    law = numbers.parse("Số 30/2020/NĐ-CP")
    assert (law.number, law.year, law.notation, law.key) == ("30", "2020", "NĐ-CP", "30/2020/ND-CP")
    assert numbers.parse("230/UBND-VP").notation == "UBND-VP"
    assert numbers.type_of("QĐ-UBND") == ("Quyết định", "QĐ")
    assert numbers.type_of("UBND-VP") == ("Công văn", "")       # công văn: no abbreviation
    assert numbers.type_of("QyĐ-SNV") == ("Quy định", "QyĐ")
    with pytest.raises(numbers.NumberError, match="QĐ-UBND"):
        numbers.parse("QĐ-UBND")
    with pytest.raises(numbers.NumberError, match="abc"):
        numbers.parse("abc")


def test_registration_numbers_per_agency_and_year(tq, staff):
    first = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), at=at(2025, 12, 30))
    second = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="16/QĐ-UBND"), at=at(2025, 12, 31))
    new_year = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="1/QĐ-UBND"), at=at(2026, 1, 2))
    other = actions.register_incoming("system:test", tq.noivu, incoming_meta(number="1/QĐ-UBND"), at=at(2026, 1, 2))
    assert [first.number, second.number, new_year.number, other.number] == [1, 2, 1, 1]
    assert first.register == second.register != new_year.register
    assert Register.objects.get(agency=tq.tq, kind="incoming", year=2026).last_number == 1
    doc = first.document
    assert (doc.code_number, doc.code_notation, doc.number) == ("15", "QĐ-UBND", "15/QĐ-UBND")
    assert doc.type_name == "Quyết định" and doc.issuer == tq.hg and doc.issuer_name == "UBND tỉnh Hà Giang"
    assert first.events.get().action == "register"
    assert AuditEntry.objects.filter(action="documents.register", object_pk=str(doc.pk)).exists()


def test_only_the_clerk_registers(tq, staff):
    with pytest.raises(PermissionDenied, match="Văn thư"):
        actions.register_incoming(staff.officer, tq.tq, incoming_meta())
    assert not Document.objects.exists()


def test_duplicate_warning_same_number_and_issuer_under_old_and_new_codes(tq, staff):
    actions.register_incoming(staff.clerk, tq.noivu, incoming_meta(number="7/TB-SNV", issuer_name="000.00.02.H22",
                                                                   issued_date=datetime.date(2025, 5, 2)))
    # the same notice typed differently, its issuer by the successor's name: the same document again
    again = incoming_meta(number="Số 07 /TB-SNV", issuer_name="Sở Nội vụ tỉnh Tuyên Quang",
                          issued_date=datetime.date(2025, 5, 2))
    with pytest.raises(actions.DuplicateDocument, match="7/TB-SNV") as caught:
        actions.register_incoming(staff.clerk, tq.noivu, again)
    assert len(caught.value.matches) == 1
    assert Entry.objects.count() == 1     # nothing written by the refused registration
    forced = actions.register_incoming(staff.clerk, tq.noivu, again, confirm_duplicate=True)
    assert forced.number == 2
    # another province's Sở (a sibling merged elsewhere) is not the same issuer
    other = incoming_meta(number="7/TB-SNV", issuer_name="Sở Tư pháp tỉnh Hà Giang",
                          issued_date=datetime.date(2025, 5, 2))
    assert actions.register_incoming(staff.clerk, tq.noivu, other).number == 3


def test_duplicate_by_document_id(tq, staff):
    doc_id = "000.00.00.H22,2025/03/04,15/QĐ-UBND"
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(doc_id=doc_id))
    with pytest.raises(actions.DuplicateDocument):
        actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="99/QĐ-UBND", doc_id=doc_id))


def test_the_same_document_at_a_second_agency_is_one_document(tq, staff):
    first = actions.register_incoming(staff.clerk, tq.tq, incoming_meta())
    second = actions.register_incoming("system:test", tq.noivu, incoming_meta(number="15/QD-UBND"))
    assert first.document_id == second.document_id and Document.objects.count() == 1


def test_attachment_stored_once_with_its_text(tq, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = make_pdf("Kế hoạch chuyển đổi số tỉnh Tuyên Quang", pages=2)
    one = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[("qd15.pdf", pdf)])
    two = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(number="16/QĐ-UBND"),
                                    attachments=[("ban-sao.pdf", pdf)])
    assert Blob.objects.count() == 1 and Attachment.objects.count() == 2
    blob = Blob.objects.get()
    assert blob.pages == 2 and "chuyển đổi số" in blob.text
    assert storage.read(blob) == pdf
    assert len(list((tmp_path / "documents" / "blobs").rglob("*"))) == 2   # one directory, one file
    assert "chuyen doi so tinh tuyen quang" in Document.objects.get(pk=one.document_id).content_text
    assert two.document.attachments.get().name == "ban-sao.pdf"


@pytest.mark.parametrize(("name", "data", "why"), [
    ("hong.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nrubbish", "không phải PDF hợp lệ"),
    ("rong.pdf", b"", "rỗng"),
])
def test_broken_file_named_and_nothing_written(tq, staff, settings, tmp_path, name, data, why):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(storage.StorageError, match=why) as caught:
        actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[(name, data)])
    assert name in str(caught.value)
    assert not Document.objects.exists() and not Entry.objects.exists() and not Blob.objects.exists()
    assert not (tmp_path / "documents").exists()
    # the number was not spent either: the next registration gets số đến 1
    assert actions.register_incoming(staff.clerk, tq.tq, incoming_meta()).number == 1


def test_encrypted_and_oversized_files_are_refused(tq, staff, settings, tmp_path):
    import io

    from pypdf import PdfReader, PdfWriter

    settings.MEDIA_ROOT = tmp_path
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("mat-khau")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(storage.StorageError, match="khoa.pdf.*mã hóa|mã hóa.*khoa.pdf"):
        actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[("khoa.pdf", locked.getvalue())])
    settings.HOPNHAT_DOCUMENTS_MAX_BYTES = 1000
    with pytest.raises(storage.StorageError, match="to.pdf.*vượt giới hạn"):
        actions.register_incoming(staff.clerk, tq.tq, incoming_meta(), attachments=[("to.pdf", make_pdf() * 3)])
    assert not Document.objects.exists() and not Blob.objects.exists()


def test_state_secret_only_a_register_line_when_the_agency_chooses(tq, staff):
    secret = {"number": "03/QĐ-UBND", "issuer_name": "UBND tỉnh Hà Giang", "issued_date": datetime.date(2025, 2, 1),
              "confidentiality": 1}
    with pytest.raises(actions.SecretRefused, match="bí mật nhà nước"):
        actions.register_incoming(staff.clerk, tq.tq, secret)
    Workflow.objects.create(agency=tq.tq, kind="incoming", secret_register=True)
    with pytest.raises(actions.SecretRefused, match="không nhận trích yếu"):
        actions.register_incoming(staff.clerk, tq.tq, secret | {"subject": "Nội dung mật"})
    with pytest.raises(actions.SecretRefused):
        actions.register_incoming(staff.clerk, tq.tq, secret, attachments=[("mat.pdf", make_pdf())])
    line = actions.register_incoming(staff.clerk, tq.tq, secret)
    assert line.register.secret and line.number == 1 and line.document.subject == ""
    assert lookup.describe(line.document)["timeline"] == [] and "subject" not in lookup.describe(line.document)
    # the open series is separate
    assert actions.register_incoming(staff.clerk, tq.tq, incoming_meta()).number == 1
    with pytest.raises(actions.SecretRefused):
        actions.attach(staff.clerk, line.document, "x.pdf", make_pdf())


def test_history_is_append_only(tq, staff):
    entry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta())
    event = Event.objects.get(entry=entry)
    event.note = "sửa"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
