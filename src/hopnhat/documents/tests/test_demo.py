"""The demo: two old document systems of the merged Tuyên Quang province merged, the abolished district's old
number answering with its whole history, an incoming document routed by a rule; loading twice changes nothing."""

import io

import pytest
from django.test import override_settings

from hopnhat.documents import actions, demo, lookup, routing, signing, storage
from hopnhat.documents.models import Entry
from hopnhat.documents.views import overdue_by_department
from hopnhat.org import demo as core_demo

from .test_signing import pdfsig

pytestmark = pytest.mark.django_db


def signature_rect(pdf: bytes, name: str) -> list[float]:
    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if str(annot.get("/T")) == name:
                return [float(v) for v in annot["/Rect"]]
    raise AssertionError(f"no signature field {name}")


def text_lines(pdf: bytes) -> dict[str, float]:
    """Each text line of the last page with its baseline height."""
    from pypdf import PdfReader

    lines = {}

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            lines[text.strip()] = tm[5] * cm[3] + cm[5]

    PdfReader(io.BytesIO(pdf)).pages[-1].extract_text(visitor_text=visit)
    return lines


def test_demo_loads_once_and_answers_old_numbers(tmp_path):
    with override_settings(VAR_DIR=tmp_path, MEDIA_ROOT=tmp_path / "media"):
        core_demo.load_demo(io.StringIO())
        first = demo.load_demo(io.StringIO())
        second = demo.load_demo(io.StringIO())
    assert all(r["balanced"] for r in first["runs"].values())
    assert first["documents"] == second["documents"] == 11
    assert first["registered_now"] == 3 and second["registered_now"] == 0
    [report] = lookup.find("125/UBND-VP", issuer="UBND huyện Yên Sơn")
    assert [s["action"] for s in lookup.timeline(report)] == ["draft", "sign", "issue", "send"]
    [both] = lookup.find("Số 45 /UBND-NC", issuer="UBND tỉnh Hà Giang")
    assert {e.source_system for e in both.entries.all()} == {"hagiang-qlvb", "qlvb-yenson"}
    routed = Entry.objects.get(document__number_key="88/BNV-TCBC")
    assert routed.routed_by.name == "Sắp xếp tổ chức bộ máy → Sở Nội vụ"
    assert [s["rule"].name for s in routing.stale_rules()] == ["Chuyển đổi số → Sở Thông tin và Truyền thông"]
    from django.contrib.auth.models import User

    leader = User.objects.get(username="lanhdao.tuyenquang")
    assert overdue_by_department(leader)[0]["count"] == 1

    # a công văn drafted, reviewed, approved, signed with the leader's configured key, numbered and issued
    with override_settings(VAR_DIR=tmp_path, MEDIA_ROOT=tmp_path / "media"):
        signed_entry = Entry.objects.get(pk=first["outgoing"]["signed_entry"])
        assert signed_entry.state == "issued" and signed_entry.number == 1
        assert [e.action for e in signed_entry.events.order_by("at", "seq", "id")] == [
            "draft", "attach", "review", "approve", "sign", "number", "issue"]
        [attachment] = signed_entry.document.attachments.all()
        data = storage.read(attachment.blob)
        [report] = signing.verify_pdf(data)
        assert (report.status, report.signer) == ("valid", "Nguyễn Văn Hải"), report
        assert attachment.signature_report["status"] == "valid"
        waiting = Entry.objects.get(pk=first["outgoing"]["to_sign_entry"])
        assert waiting.state == "approved" and actions.next_step(waiting) == "sign"
        assert signing.key_for(leader).subject == "Nguyễn Văn Hải"
        assert second["outgoing"]["signed_entry"] == signed_entry.pk
    # poppler's pdfsig, an independent verifier, agrees: the whole file signed, the signature valid, the same signer
    out = pdfsig(data, tmp_path, "demo-signed.pdf")
    assert "Signature is Valid" in out and "Total document signed" in out, out
    assert "Nguyễn Văn Hải" in out and "UBND tỉnh Tuyên Quang" in out, out
    # the visible signature stands between the chức vụ and họ tên lines of the công văn (Phụ lục I II.7.d)
    rect = signature_rect(data, "signer-1")
    lines = text_lines(data)
    assert lines["PHÓ CHỦ TỊCH"] > rect[3] and rect[1] > lines["Nguyễn Văn Hải"], (rect, lines)
    # each login the demo prints says what it shows, in Vietnamese and in English
    from hopnhat.core.lang import has_vietnamese, looks_english, split

    for row in first["team"]:
        vi, en = split(row["shows"])
        assert has_vietnamese(vi) and looks_english(en) and vi != en, row
