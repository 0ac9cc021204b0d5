"""A throw-away PKI for signature tests: a root CA, a signer's certificate, PKCS#12 and PEM files, and a real
SoftHSM2 token holding the signer's key (Debian's softhsm2 + OpenSC's pkcs11-tool, as an official's USB token)."""

import datetime
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PASSPHRASE = "mat-khau-thu"
PIN, SO_PIN = "246810", "135791"


def _name(common: str, org: str = "UBND tỉnh Tuyên Quang") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Pki:
    root_pem: Path
    signer_p12: Path
    signer_key_pem: Path
    signer_cert_der: Path
    other_root_pem: Path


def make_pki(directory: Path, signer_name: str = "Nguyễn Văn An") -> Pki:
    now = datetime.datetime.now(datetime.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (x509.CertificateBuilder().subject_name(_name("CA thử nghiệm hopnhat")).issuer_name(
        _name("CA thử nghiệm hopnhat")).public_key(root_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(root_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(signer_name)).issuer_name(root.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(root_key, hashes.SHA256()))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = (x509.CertificateBuilder().subject_name(_name("CA khác")).issuer_name(_name("CA khác"))
             .public_key(other_key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(other_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    pki = Pki(directory / "root.pem", directory / "signer.p12", directory / "signer-key.pem",
              directory / "signer.der", directory / "other-root.pem")
    pki.root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    pki.other_root_pem.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    pki.signer_p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", key, cert, [root], serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    pki.signer_key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    pki.signer_cert_der.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return pki


def make_token(directory: Path, pki: Pki, label: str = "hopnhat-thu") -> dict:
    """Initialise a SoftHSM2 token in `directory` holding the signer's key and certificate; returns the environment
    variable the PKCS#11 module needs (SOFTHSM2_CONF) and the token's label."""
    for tool in ("softhsm2-util", "pkcs11-tool"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} is installed by scripts/services.sh (ensure_softhsm)")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def run(*args):
        subprocess.run(args, env=env, check=True, capture_output=True, timeout=60)

    run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", PIN)
    run("softhsm2-util", "--import", str(pki.signer_key_pem), "--token", label, "--label", "signer", "--id", "01",
        "--pin", PIN)
    run("pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", label, "--login", "--pin", PIN,
        "--write-object", str(pki.signer_cert_der), "--type", "cert", "--label", "signer", "--id", "01")
    return {"SOFTHSM2_CONF": str(conf), "label": label}


def sample_pdf(pages: int = 2) -> bytes:
    """A Decree-30-shaped outgoing document: Vietnamese text on A4, the signature block on the last page."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for number in range(1, pages + 1):
        c.setFont("DejaVuSans", 12)
        c.drawString(90, 780, "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG")
        c.drawString(90, 760, "Số: 15/QĐ-UBND")
        c.drawString(90, 720, f"Quyết định về việc hợp nhất hệ thống văn bản — trang {number}")
        if number == pages:
            c.drawString(380, 220, "CHỦ TỊCH")
            c.drawString(380, 110, "Nguyễn Văn An")
        c.showPage()
    c.save()
    return buf.getvalue()
