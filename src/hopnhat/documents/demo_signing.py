"""The demo's signing keys and its outgoing documents on paper-shaped PDFs.

`hopnhat demo` makes, once, a demo certification authority and the key of UBND tỉnh Tuyên Quang's leader with
`cryptography` (RSA 2048, SHA-256), writes them where `documents.signing` reads its configuration
(`HOPNHAT_SIGNING["dir"]`, default $HOPNHAT_VAR_DIR/signing: the leader's PKCS#12 file, `keys.json` naming it for
the account `lanhdao.tuyenquang`, and the CA under `trust/` so a signature chains to a trusted root and the page
says "Chữ ký hợp lệ"), and draws the outgoing công văn the leader signs as Decree 30/2020 Phụ lục I lays one out:
quốc hiệu and tiêu ngữ, số and ký hiệu, địa danh and date, trích yếu, body, nơi nhận, and the signature block
(quyền hạn, chức vụ, the space for the signature, họ tên) that the visible signature goes into.

These keys are for the demo only: a real deployment names officials' tokens (PKCS#11) or the province's
certificates in keys.json and trusts the national root (Root CA của Ban Cơ yếu Chính phủ) instead."""

import datetime
import io
import json
from pathlib import Path

from . import signing

DEMO_SIGNER = "lanhdao.tuyenquang"
DEMO_SIGNER_NAME = "Nguyễn Văn Hải"
DEMO_CA_NAME = "CA demo hopnhat (không dùng thật)"
DEMO_KEY_SECRET = "hopnhat-demo-ky-so"   # noqa: S105 — the demo key's passphrase, printed with the logins
SERIF = "/usr/share/fonts/truetype/freefont/FreeSerif.ttf"
SERIF_BOLD = "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf"
SERIF_ITALIC = "/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf"
SERIF_BOLD_ITALIC = "/usr/share/fonts/truetype/freefont/FreeSerifBoldItalic.ttf"


def _name(common: str, org: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def ensure_keys(username: str = DEMO_SIGNER, full_name: str = DEMO_SIGNER_NAME,
                organisation: str = "UBND tỉnh Tuyên Quang") -> dict:
    """The demo CA and `username`'s key, made once in `signing.signing_dir()`; keys.json gains the account's row
    (other rows are kept). Returns what was made or found."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID

    folder = signing.signing_dir()
    (folder / "trust").mkdir(parents=True, exist_ok=True)
    ca_pem, ca_key_pem = folder / "trust" / "demo-ca.pem", folder / "demo-ca-key.pem"
    p12 = folder / f"{username}.p12"
    keys_file = folder / "keys.json"
    table = json.loads(keys_file.read_text(encoding="utf-8")) if keys_file.is_file() else {}
    made = False
    now = datetime.datetime.now(datetime.UTC)
    if not (ca_pem.is_file() and ca_key_pem.is_file()):
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = _name(DEMO_CA_NAME, "hopnhat demo")
        ca = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
              .not_valid_after(now + datetime.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                           key_encipherment=False, data_encipherment=False, key_agreement=False,
                                           key_cert_sign=True, crl_sign=True, encipher_only=False,
                                           decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        _write_private(ca_key_pem, ca_key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        p12.unlink(missing_ok=True)   # a key issued by an earlier CA would no longer chain
        made = True
    if not p12.is_file() or username not in table:
        ca = x509.load_pem_x509_certificate(ca_pem.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_pem.read_bytes(), password=None)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name(full_name, organisation)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=3 * 365))
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write_private(p12, pkcs12.serialize_key_and_certificates(
            username.encode(), key, cert, [ca], serialization.BestAvailableEncryption(DEMO_KEY_SECRET.encode())))
        # the demo keeps its passphrase in the file; production names an environment variable (secret_env)
        table[username] = {"key": p12.name, "secret": DEMO_KEY_SECRET, "subject": full_name}
        keys_file.write_text(json.dumps(table, ensure_ascii=False, indent=2), encoding="utf-8")
        keys_file.chmod(0o600)
        made = True
    return {"dir": str(folder), "trusted_root": str(ca_pem), "key": str(p12), "made": made,
            "accounts": sorted(table)}


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def cong_van_pdf(*, agency: str, agency_parent: str = "", notation: str, place: str, day: datetime.date,
                 subject: str, paragraphs: list[str], recipients: list[str], authority: str, position: str,
                 signer: str) -> bytes:
    """A one-page công văn in Decree 30/2020 Phụ lục I's layout (A4, margins 20/20/30/15 mm, a Times face), with
    the number left blank for the văn thư ("Số:      /UBND-VP") and the signature block at the lower right."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    for name, path in (("FreeSerif", SERIF), ("FreeSerifBold", SERIF_BOLD), ("FreeSerifItalic", SERIF_ITALIC),
                       ("FreeSerifBoldItalic", SERIF_BOLD_ITALIC)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path))
    width, height = A4
    left, right, top = 30 * mm, width - 15 * mm, height - 20 * mm
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=True)
    c.setTitle(subject)
    c.setAuthor(agency)
    # ô 2–3 (left column): the issuing agency and the one above it; ô 1 (right): quốc hiệu and tiêu ngữ
    col_l, col_r = left + 33 * mm, left + 117 * mm
    # ô 2: the agency above (regular) and the issuing agency (bold), on as many lines as the column needs
    y = top
    if agency_parent:
        c.setFont("FreeSerif", 12)
        c.drawCentredString(col_l, y, agency_parent.upper())
        y -= 15
    c.setFont("FreeSerifBold", 12)
    for line in (part for chunk in agency.upper().split("\n") for part in _wrap(chunk, "FreeSerifBold", 12, 62 * mm)):
        c.drawCentredString(col_l, y, line)
        y -= 15
    c.line(col_l - 12 * mm, y + 11, col_l + 12 * mm, y + 11)
    c.setFont("FreeSerifBold", 12)
    c.drawCentredString(col_r, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont("FreeSerifBold", 13)
    c.drawCentredString(col_r, top - 15, "Độc lập - Tự do - Hạnh phúc")
    c.line(col_r - 31 * mm, top - 19, col_r + 31 * mm, top - 19)
    # ô 3 số, ký hiệu (number left blank until cấp số); ô 5b trích yếu of a công văn under it; ô 4 place, date
    c.setFont("FreeSerif", 13)
    c.drawCentredString(col_l, y - 12, f"Số:        /{notation}")
    c.setFont("FreeSerif", 12)
    y -= 28
    for line in _wrap(subject, "FreeSerif", 12, 70 * mm):
        c.drawCentredString(col_l, y, line)
        y -= 14
    c.setFont("FreeSerifItalic", 14)
    c.drawCentredString(col_r, top - 40, f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}")
    # ô 9a kính gửi and the body
    y = min(y, top - 90) - 14
    c.setFont("FreeSerif", 14)
    c.drawCentredString(width / 2, y, "Kính gửi: " + recipients[0])
    y -= 28
    for paragraph in paragraphs:
        for i, line in enumerate(_wrap(paragraph, "FreeSerif", 14, right - left - (10 * mm))):
            c.drawString(left + (10 * mm if i == 0 else 0), y, line)
            y -= 19
        y -= 4
    # ô 9b nơi nhận (left) and ô 7 the signature block (right)
    block_top = y - 20
    c.setFont("FreeSerifBoldItalic", 12)
    c.drawString(left, block_top, "Nơi nhận:")
    c.setFont("FreeSerif", 11)
    ny = block_top - 14
    for recipient in [*recipients, "Lưu: VT, VP."]:
        c.drawString(left, ny, f"- {recipient};" if not recipient.startswith("Lưu") else f"- {recipient}")
        ny -= 13
    sig_x = left + 122 * mm
    c.setFont("FreeSerifBold", 13)
    c.drawCentredString(sig_x, block_top, authority)
    c.drawCentredString(sig_x, block_top - 16, position.upper())
    c.drawCentredString(sig_x, block_top - 100, signer)
    c.showPage()
    c.save()
    return out.getvalue()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if stringWidth(trial, font, size) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line else lines
