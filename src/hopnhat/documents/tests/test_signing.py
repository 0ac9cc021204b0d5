"""Signing and verifying outgoing documents: PAdES with a PKCS#12 key and with a real SoftHSM2 token, the visible
signature where Decree 30 puts it, and verification that poppler's pdfsig, an independent verifier, agrees with."""

import io
import os
import shutil
import subprocess

import pytest

from hopnhat.documents import signing
from hopnhat.documents.tests import pki as testpki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return testpki.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def p12_key(pki):
    return signing.KeySpec(pkcs12=str(pki.signer_p12), passphrase=testpki.PASSPHRASE)


def pdfsig(data: bytes, tmp_path, name="signed.pdf") -> str:
    assert shutil.which("pdfsig"), "pdfsig (poppler-utils) is installed by scripts/services.sh (ensure_softhsm)"
    path = tmp_path / name
    path.write_bytes(data)
    # -nocert: pdfsig checks the cryptography against our own CA-free trust store; certificate trust is ours
    done = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def test_signed_with_a_pkcs12_key_is_valid_for_us_and_for_pdfsig(pki, p12_key, tmp_path):
    signed = signing.sign_pdf(testpki.sample_pdf(), p12_key, signer_name="Nguyễn Văn An", position="CHỦ TỊCH",
                              reason="Ban hành quyết định", location="Tuyên Quang")
    (report,) = signing.verify_pdf(signed, roots=signing.trusted_roots([pki.root_pem]))
    assert report.status == "valid" and report.intact and report.trusted
    assert "Nguyễn Văn An" in report.signer
    assert report.signing_time is not None and report.signing_time.utcoffset().total_seconds() == 7 * 3600
    out = pdfsig(signed, tmp_path)
    assert "Signature is Valid" in out and "Total document signed" in out, out


def test_the_visible_signature_sits_where_decree_30_puts_it(p12_key):
    from pypdf import PdfReader

    signed = signing.sign_pdf(testpki.sample_pdf(pages=2), p12_key, signer_name="Nguyễn Văn An",
                              position="CHỦ TỊCH")
    signed = signing.sign_pdf(signed, p12_key, role="organisation", number="15/QĐ-UBND")
    reader = PdfReader(io.BytesIO(signed))
    widgets = {}
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig" or annot.get("/Parent", {}).get("/FT") == "/Sig":
                widgets[str(annot.get("/T"))] = (index, [float(v) for v in annot["/Rect"]])
    signer_page, signer_rect = widgets["signer-1"]
    org_page, org_rect = widgets["organisation-1"]
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert signer_page == 1 and signer_rect[0] > width / 2 and signer_rect[3] < height / 3   # last page, lower right
    assert org_page == 0 and org_rect[0] > width / 2 and org_rect[1] > height * 0.85      # first page, top right


def test_a_signer_outside_the_trusted_roots_is_reported_untrusted(pki, p12_key):
    signed = signing.sign_pdf(testpki.sample_pdf(), p12_key, signer_name="Nguyễn Văn An")
    (report,) = signing.verify_pdf(signed, roots=signing.trusted_roots([pki.other_root_pem]))
    assert report.status == "untrusted" and report.intact and not report.trusted


def test_a_pdf_changed_after_signing_is_reported_altered_or_invalid(pki, p12_key, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    signed = signing.sign_pdf(testpki.sample_pdf(), p12_key, signer_name="Nguyễn Văn An")
    roots = signing.trusted_roots([pki.root_pem])
    # 1. a later revision that rewrites the page's text (what a forger appends after the signature)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.find_page_for_modification(0)[0].get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 90 500 Td (SO 99/QD-UBND) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    (report,) = signing.verify_pdf(out.getvalue(), roots=roots)
    assert report.status == "altered", report
    assert "Not total document signed" in pdfsig(out.getvalue(), tmp_path, "appended.pdf")
    # 2. a byte changed inside the signed range
    at = signed.index(b"stream") + 20   # inside page 1's content stream, which the signature covers
    tampered = signed[:at] + bytes([signed[at] ^ 0x01]) + signed[at + 1:]
    (report,) = signing.verify_pdf(tampered, roots=roots)
    assert report.status == "invalid" and not report.intact
    answer = pdfsig(tampered, tmp_path, "tampered.pdf")
    assert "Signature is Valid" not in answer and ("Invalid" in answer or "Mismatch" in answer), answer


def test_signed_with_a_softhsm2_token(pki, tmp_path, monkeypatch):
    token = testpki.make_token(tmp_path / "hsm", pki)
    monkeypatch.setenv("SOFTHSM2_CONF", token["SOFTHSM2_CONF"])
    key = signing.KeySpec.parse(f"pkcs11:{testpki.SOFTHSM_MODULE}?token={token['label']}&key=signer",
                                secret=testpki.PIN)
    signed = signing.sign_pdf(testpki.sample_pdf(), key, signer_name="Nguyễn Văn An", position="CHỦ TỊCH")
    (report,) = signing.verify_pdf(signed, roots=signing.trusted_roots([pki.root_pem]))
    assert report.status == "valid" and "Nguyễn Văn An" in report.signer
    assert "Signature is Valid" in pdfsig(signed, tmp_path)
    wrong = signing.KeySpec.parse(f"pkcs11:{testpki.SOFTHSM_MODULE}?token={token['label']}", secret="000000")
    with pytest.raises(signing.SigningError, match=token["label"]):
        signing.sign_pdf(testpki.sample_pdf(), wrong)


def test_bad_inputs_get_named_errors(p12_key, tmp_path):
    with pytest.raises(signing.SigningError, match="PDF"):
        signing.sign_pdf(b"%PDF-1.4 not really", p12_key)
    with pytest.raises(signing.SigningError, match="không thấy tệp khóa"):
        signing.sign_pdf(testpki.sample_pdf(), signing.KeySpec(pkcs12=str(tmp_path / "none.p12")))
    assert signing.verify_pdf(testpki.sample_pdf()) == []
    assert os.path.exists(testpki.SOFTHSM_MODULE)


@pytest.mark.django_db
def test_the_sign_step_signs_the_attached_pdf_and_records_its_verification(pki, tq, staff, settings, tmp_path):
    from hopnhat.documents import actions, storage

    settings.MEDIA_ROOT = tmp_path
    settings.HOPNHAT_SIGNING = {"tsa_url": "", "trust_roots": [str(pki.root_pem)]}
    entry = actions.draft(staff.officer, tq.tq, {"code_notation": "UBND-VP", "subject": "Công văn hợp nhất"},
                          attachments=[("cv.pdf", testpki.sample_pdf())])
    actions.step(staff.deputy, entry, "review")
    actions.step(staff.leader, entry, "approve")
    actions.step(staff.leader, entry, "sign", key=str(pki.signer_p12), secret=testpki.PASSPHRASE)
    attachment = entry.document.attachments.get()
    assert attachment.signed and attachment.signature_report["status"] == "valid"
    signed = storage.read(attachment.blob)
    assert "Signature is Valid" in pdfsig(signed, tmp_path)


def test_cli_sign_and_verify(pki, tmp_path, monkeypatch):
    import json

    from django.core.management import call_command

    source = tmp_path / "qd.pdf"
    source.write_bytes(testpki.sample_pdf())
    monkeypatch.setenv("HOPNHAT_SIGNING_SECRET", testpki.PASSPHRASE)
    out = io.StringIO()
    call_command("documents", "sign", str(source), "--key", str(pki.signer_p12), "--name", "Nguyễn Văn An",
                 "--json", stdout=out)
    signed = json.loads(out.getvalue())["path"]
    out = io.StringIO()
    call_command("documents", "verify", signed, "--trust", str(pki.root_pem), "--json", stdout=out)
    (report,) = json.loads(out.getvalue())["signatures"]
    assert report["status"] == "valid" and report["signer"] == "Nguyễn Văn An"
    with pytest.raises(SystemExit) as exit_info:
        call_command("documents", "sign", str(tmp_path / "none.pdf"), "--key", str(pki.signer_p12), "--json",
                     stdout=io.StringIO())
    assert exit_info.value.code == 2


def test_key_for_reads_the_signing_directory(pki, settings, tmp_path, monkeypatch):
    """keys.json names each official's key (a PKCS#12 file beside it, or a token) and where its secret is; an
    account without a row signs on paper; a broken keys.json is named, never guessed around."""
    import json
    from types import SimpleNamespace

    folder = tmp_path / "signing"
    folder.mkdir()
    settings.HOPNHAT_SIGNING = {"tsa_url": "", "trust_roots": [], "dir": str(folder)}
    shutil.copy(pki.signer_p12, folder / "an.p12")
    (folder / "keys.json").write_text(json.dumps({
        "lanhdao.an": {"key": "an.p12", "secret_env": "HOPNHAT_TEST_KEY_SECRET"},
        "chutich": {"key": "pkcs11:/usr/lib/softhsm/libsofthsm2.so?token=CT&key=ky", "secret": "1234"},
        "hong": {"secret": "x"}}), encoding="utf-8")
    monkeypatch.setenv("HOPNHAT_TEST_KEY_SECRET", testpki.PASSPHRASE)
    user = SimpleNamespace(get_username=lambda: "lanhdao.an")
    found = signing.key_for(user)
    assert found.spec.pkcs12 == str(folder / "an.p12") and found.spec.passphrase == testpki.PASSPHRASE
    assert found.subject == "Nguyễn Văn An"   # read from the certificate
    token = signing.key_for(SimpleNamespace(get_username=lambda: "chutich"))
    assert (token.spec.token_label, token.spec.key_label, token.spec.pin) == ("CT", "ky", "1234")
    assert signing.key_for(SimpleNamespace(get_username=lambda: "nguoi.khac")) is None
    with pytest.raises(signing.SigningError, match="hong"):
        signing.key_for(SimpleNamespace(get_username=lambda: "hong"))
    (folder / "keys.json").write_text("{không phải JSON", encoding="utf-8")
    with pytest.raises(signing.SigningError, match="keys.json"):
        signing.key_for(user)
    # the directory's trust/ adds roots: the signer's CA is trusted without HOPNHAT_SIGNING_TRUST_ROOTS
    (folder / "trust").mkdir()
    shutil.copy(pki.root_pem, folder / "trust" / "ca.pem")
    signed = signing.sign_pdf(testpki.sample_pdf(), signing.KeySpec(pkcs12=str(pki.signer_p12),
                                                                    passphrase=testpki.PASSPHRASE))
    assert [r.status for r in signing.verify_pdf(signed)] == ["valid"]


def test_the_signature_goes_between_the_printed_post_and_name(p12_key):
    """Phụ lục I II.7.d: between the chức vụ line and the họ tên line of the document's own block, wherever the
    drafter put them; the default place only when the page prints neither."""
    sample = testpki.sample_pdf(pages=1)   # CHỦ TỊCH at y=220, Nguyễn Văn An at y=110
    box = signing.signature_block(sample, 0, "Chủ tịch", "Nguyễn Văn An")
    assert box is not None and 110 + 12 <= box[1] < box[3] <= 220, box
    assert box[0] < 380 + 45 < box[2]   # centred on the block, not on the page's right edge
    assert signing.signature_block(sample, 0, "Giám đốc", "Nguyễn Văn An") is None
    assert signing.signature_block(sample, 0, "Chủ tịch", "Trần Văn B") is None
