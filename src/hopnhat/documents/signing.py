"""Digital signatures on PDF documents (PAdES, Decree 30/2020 Phụ lục I), with pyHanko.

Signing: PAdES B-B always, B-T when a timestamp authority is configured (`HOPNHAT_SIGNING["tsa_url"]`); keys from a
PKCS#12 file or from a PKCS#11 token (officials' USB tokens; tested against a real SoftHSM2 token). The visible
signature follows Phụ lục I II.7–II.8:

- `role="signer"` (người có thẩm quyền): the box between the chức vụ line and the họ tên line — by default the
  lower right of the last page, where the signature block stands — with the signer's name and the signing time,
  and the signer's handwritten signature image (a transparent PNG) behind it when given;
- `role="organisation"` (cơ quan, tổ chức, on attachments and copies): the top-right corner of the first page, no
  image, the số/ký hiệu and the signing time (ISO 8601, Vietnam time), serif size 10, black.

Verification reports each signature as `valid`, `untrusted` (intact, but its certificate does not chain to a
trusted root: `HOPNHAT_SIGNING["trust_roots"]`, PEM or DER files), `altered` (the document was changed after
signing, beyond what a later signature or form filling may add) or `invalid` (the cryptography does not hold),
with the signer's name and the signing time it claims.
"""

import datetime
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
A4_WIDTH, A4_HEIGHT = 595, 842
# The Decree asks for Times New Roman. GNU FreeSerif is a Times-like face with every Vietnamese glyph, and its
# 1000 units per em matter: pyHanko's OpenType engine writes glyph widths unscaled, so a 2048-unit font (DejaVu,
# Liberation) comes out letter-spaced (fonts-freefont-ttf, installed by scripts/services.sh ensure_fonts).
SERIF_FONTS = ("/usr/share/fonts/truetype/freefont/FreeSerif.ttf",)


class SigningError(ValueError):
    """A PDF, key or token that cannot be used, named in the message (Vietnamese first)."""


@dataclass(frozen=True)
class KeySpec:
    """Where the signing key is: a PKCS#12 file (`pkcs12`, `passphrase`) or a PKCS#11 token (`module`,
    `token_label`, `pin`, optional `key_label` / `cert_label`)."""

    pkcs12: str = ""
    passphrase: str = ""
    module: str = ""
    token_label: str = ""
    pin: str = ""
    key_label: str = ""
    cert_label: str = ""
    extra_certs: tuple[str, ...] = field(default_factory=tuple)   # intermediate CA files to embed

    @classmethod
    def parse(cls, text: str, secret: str = "") -> "KeySpec":
        """The CLI's `--key`: `path/to/key.p12` or `pkcs11:MODULE.so?token=LABEL[&key=LABEL&cert=LABEL]`."""
        if text.startswith("pkcs11:"):
            module, _, query = text[len("pkcs11:"):].partition("?")
            params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
            if not params.get("token"):
                raise SigningError("khóa PKCS#11 cần token=NHÃN / a PKCS#11 key needs token=LABEL")
            return cls(module=module, token_label=params["token"], pin=secret,
                       key_label=params.get("key", ""), cert_label=params.get("cert", ""))
        return cls(pkcs12=text, passphrase=secret)


@dataclass
class SignatureReport:
    field: str
    status: str          # valid | untrusted | altered | invalid
    signer: str
    signing_time: datetime.datetime | None
    intact: bool
    trusted: bool
    coverage: str
    detail: str = ""

    def as_dict(self) -> dict:
        return {"field": self.field, "status": self.status, "signer": self.signer,
                "signing_time": self.signing_time.isoformat() if self.signing_time else None,
                "intact": self.intact, "trusted": self.trusted, "coverage": self.coverage, "detail": self.detail}


def _config() -> dict:
    return getattr(settings, "HOPNHAT_SIGNING", {}) or {}


def _font_path() -> str:
    for path in SERIF_FONTS:
        if Path(path).exists():
            return path
    raise SigningError("thiếu phông chữ tiếng Việt cho chữ ký / no Vietnamese font for the visible signature "
                       "(fonts-liberation or fonts-dejavu-core: scripts/services.sh ensure_fonts)")


@contextmanager
def open_signer(key: KeySpec):
    """A pyHanko signer for the key; a PKCS#11 session stays open for the `with` block and closes after."""
    from pyhanko.sign import signers

    if key.module:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11

        try:
            session = pkcs11.open_pkcs11_session(key.module, token_criteria=TokenCriteria(label=key.token_label),
                                                 user_pin=key.pin)
        except Exception as exc:   # noqa: BLE001 — python-pkcs11 raises many kinds; name the token
            raise SigningError(f"không mở được token “{key.token_label}” / cannot open the token "
                               f"“{key.token_label}”: {exc.__class__.__name__} {exc}") from exc
        try:
            yield pkcs11.PKCS11Signer(session, key_label=key.key_label or None,
                                      cert_label=key.cert_label or key.key_label or None,
                                      other_certs_to_pull=None)
        finally:
            session.close()
        return
    path = Path(key.pkcs12)
    if not path.is_file():
        raise SigningError(f"không thấy tệp khóa {path} / key file not found: {path}")
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=key.passphrase.encode() or None,
                                              other_certs=list(key.extra_certs) or None)
    if signer is None:
        raise SigningError(f"không đọc được khóa PKCS#12 {path} (sai mật khẩu?) / cannot read the PKCS#12 key "
                           f"{path} (wrong passphrase?)")
    yield signer


def signing_dir() -> Path:
    """`HOPNHAT_SIGNING["dir"]` (HOPNHAT_SIGNING_DIR, default $HOPNHAT_VAR_DIR/signing): keys.json says which key
    each account signs with, trust/ holds more trusted roots (the demo writes its CA there)."""
    return Path(_config().get("dir") or settings.VAR_DIR / "signing")


@dataclass(frozen=True)
class ConfiguredKey:
    spec: KeySpec
    subject: str        # the certificate's common name, or the token's label, for the sign button


def key_for(user) -> ConfiguredKey | None:
    """The key `user` signs with on the outgoing sign step, from `signing_dir()/keys.json`:

        {"lanhdao.tuyenquang": {"key": "lanhdao.p12", "secret_env": "HOPNHAT_SIGNING_SECRET_LANHDAO"},
         "chutich.tuyenquang": {"key": "pkcs11:/usr/lib/softhsm/libsofthsm2.so?token=CT&key=ky", "secret_env": …}}

    A relative path is read from the same directory; `secret` may stand in the file itself (the demo's keys) but
    production keeps passphrases and PINs in the environment. None when the account has no key: the step then
    records approval to sign on paper."""
    import json

    username = getattr(user, "get_username", lambda: str(user))()
    path = signing_dir() / "keys.json"
    if not username or not path.is_file():
        return None
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SigningError(f"không đọc được {path} / cannot read {path}: {exc}") from exc
    row = table.get(username) if isinstance(table, dict) else None
    if not row:
        return None
    if not isinstance(row, dict) or not row.get("key"):
        raise SigningError(f"{path}: mục “{username}” thiếu “key” / the entry for {username} has no \"key\"")
    import os

    secret = os.environ.get(row["secret_env"], "") if row.get("secret_env") else str(row.get("secret", ""))
    text = row["key"]
    if not text.startswith("pkcs11:") and not Path(text).is_absolute():
        text = str(path.parent / text)
    spec = KeySpec.parse(text, secret)
    return ConfiguredKey(spec, row.get("subject") or _key_subject(spec))


def _key_subject(spec: KeySpec) -> str:
    if spec.module:
        return f"token {spec.token_label}"
    try:
        from cryptography.hazmat.primitives.serialization import pkcs12
        from cryptography.x509.oid import NameOID

        _key, cert, _extra = pkcs12.load_key_and_certificates(Path(spec.pkcs12).read_bytes(),
                                                              spec.passphrase.encode() or None)
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME) if cert else []
        return str(names[0].value) if names else Path(spec.pkcs12).name
    except Exception:   # noqa: BLE001 — the sign step itself names a bad key; here only a label is wanted
        return Path(spec.pkcs12).name


def _page_count(reader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _page_size(reader, page: int) -> tuple[float, float]:
    try:
        box = reader.find_page_for_modification(page)[0].get_object()["/MediaBox"]
        return float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    except Exception:   # noqa: BLE001 — an inherited or odd MediaBox: assume A4, the Decree's page size
        return A4_WIDTH, A4_HEIGHT


def signature_block(pdf: bytes, page: int, position: str, signer_name: str) -> tuple[int, int, int, int] | None:
    """Phụ lục I II.7.d: the signer's visible signature stands between the chức vụ line (ô 7b) and the họ tên line
    (ô 7c) of the document's own signature block. Find those two lines on `page` (the họ tên line lowest on the
    page, the nearest chức vụ line above it) and return the box between them, centred on the block; None when
    the page does not print them (the caller then uses the default place)."""
    from pypdf import PdfReader

    from hopnhat.core.text import fold

    if not (position and signer_name):
        return None
    lines: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            lines.append((fold(text), x, y, (size or 12) * (abs(tm[0] * cm[0]) or 1)))

    try:
        PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    except Exception:   # noqa: BLE001 — an odd page only loses the precise placement
        return None
    name, post = fold(signer_name), fold(position)
    names = sorted((line for line in lines if line[0] == name), key=lambda line: line[2])
    if not names:
        return None
    _, x_name, y_name, size = names[0]
    above = [line for line in lines if line[2] > y_name and post and post in line[0]]
    if not above:
        return None
    _, x_post, y_post, post_size = min(above, key=lambda line: line[2])
    low, high = y_name + size + 2, y_post - 3
    if high - low < 24:
        return None
    # the lines are centred in the block: its centre is the middle of the họ tên line (≈ 0.5 em a letter)
    centre = x_name + len(signer_name) * size * 0.25
    width = 200
    return int(centre - width / 2), int(low), int(centre + width / 2), int(high)


def _placement(role: str, reader, page: int | None, box) -> tuple[int, tuple[int, int, int, int]]:
    pages = _page_count(reader)
    if role == "organisation":
        page = 0 if page is None else page
        width, height = _page_size(reader, page)
        default = (int(width) - 57 - 190, int(height) - 57 - 34, int(width) - 57, int(height) - 57)
    else:
        page = pages - 1 if page is None else page
        width, _height = _page_size(reader, page)
        # right half of the page, above the bottom margin: where "chức vụ … họ tên" stands in a Decree 30 layout
        default = (int(width) - 57 - 230, 120, int(width) - 57, 200)
    if not 0 <= page < pages:
        raise SigningError(f"trang {page + 1} không có (tệp có {pages} trang) / page {page + 1} does not exist "
                           f"({pages} pages)")
    return page, tuple(box) if box else default


def sign_pdf(pdf: bytes, key: KeySpec, *, role: str = "signer", signer_name: str = "", position: str = "",
             number: str = "", reason: str = "", location: str = "", field_name: str = "", page: int | None = None,
             box: tuple[int, int, int, int] | None = None, image: str = "", tsa_url: str | None = None,
             now: datetime.datetime | None = None) -> bytes:
    """Sign `pdf` (bytes) and return the signed bytes (an incremental update: earlier signatures stay valid)."""
    import logging

    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import TextStampStyle

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)   # "FFTM NOT subset" on every signature
    if role not in {"signer", "organisation"}:
        raise SigningError(f"vai trò ký “{role}” không có / unknown signing role “{role}”")
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:   # noqa: BLE001 — pyHanko raises several kinds on a broken file
        raise SigningError(f"tệp không phải PDF đọc được / not a readable PDF: {exc}") from exc
    if writer.prev.encrypted:
        raise SigningError("tệp PDF được mã hóa, không ký được / the PDF is encrypted and cannot be signed")
    in_block = None
    if role == "signer" and box is None:
        last = _page_count(writer.prev) - 1 if page is None else page
        in_block = signature_block(pdf, last, position, signer_name)
        box = in_block
    page, box = _placement(role, writer.prev, page, box)
    signed_at = (now or datetime.datetime.now(tz=VN_TZ)).astimezone(VN_TZ)
    existing = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
    field_name = field_name or next(f"{role}-{i}" for i in range(1, 100) if f"{role}-{i}" not in existing)

    stamp_time = signed_at.isoformat(timespec="seconds")
    if role == "organisation":
        lines = [number, stamp_time]
    elif in_block:   # the document prints chức vụ and họ tên around the box: say who signed and when
        lines = [f"Ký số: {signer_name}", stamp_time]
    else:
        lines = [position, signer_name, f"Ký số: {stamp_time}"]
    style = TextStampStyle(
        stamp_text="\n".join(line for line in lines if line),
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_font_path()), font_size=10),
        border_width=0,
        background=_image(image) if image and role == "signer" else None,
        background_opacity=1.0,
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason or None, location=location or None, name=signer_name or None,
        subfilter=fields.SigSeedSubFilter.PADES, use_pades_lta=False,
    )
    tsa_url = _config().get("tsa_url") if tsa_url is None else tsa_url
    timestamper = timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None
    out = io.BytesIO()
    with open_signer(key) as signer:
        pdf_signer = signers.PdfSigner(
            meta, signer=signer, timestamper=timestamper, stamp_style=style,
            new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
        )
        try:
            pdf_signer.sign_pdf(writer, output=out)
        except Exception as exc:   # noqa: BLE001 — name what failed for the person signing
            raise SigningError(f"ký không thành công / signing failed: {exc.__class__.__name__} {exc}") from exc
    return out.getvalue()


def sign_attachment(*, actor, entry, attachment, key, secret: str = "", role: str = "signer", **options) -> None:
    """The outgoing flow's sign step for one attached PDF: sign it as `actor` (name and post from the platform),
    store the signed file beside the original (content-addressed, so the unsigned one stays for the history) and
    record the verification on the attachment. Runs inside the step's transaction: a failure leaves nothing."""
    from hopnhat.documents import storage

    spec = key if isinstance(key, KeySpec) else KeySpec.parse(str(key), secret)
    name, post = signer_of(actor, entry)
    options.setdefault("position", post)
    data = storage.read(attachment.blob)
    signed = sign_pdf(data, spec, role=role, signer_name=name, number=entry.document.number or "",
                      location=getattr(entry.agency, "name", ""), **options)
    blob, _ = storage.store(attachment.name, signed)
    reports = verify_pdf(signed)
    attachment.blob, attachment.signed = blob, True
    attachment.signature_report = {"signatures": [r.as_dict() for r in reports],
                                   "status": reports[-1].status if reports else ""}
    attachment.save(update_fields=["blob", "signed", "signature_report"])


def signer_of(actor, entry) -> tuple[str, str]:
    """The signing official's name and post as the platform knows them (org.Person, their membership's title);
    the document's own "chức vụ" line when it names one."""
    person = getattr(actor, "person", None) if hasattr(actor, "pk") else None
    name = getattr(person, "full_name", "") or (f"{getattr(actor, 'last_name', '')} "
                                                f"{getattr(actor, 'first_name', '')}".strip()) or str(actor)
    post = entry.document.signer_position
    if not post and person is not None:
        membership = person.memberships.order_by("id").first() if hasattr(person, "memberships") else None
        post = getattr(membership, "title", "") or ""
    return name, post


def _image(path: str):
    from pyhanko.pdf_utils.images import PdfImage

    if not Path(path).is_file():
        raise SigningError(f"không thấy ảnh chữ ký {path} / signature image not found: {path}")
    return PdfImage(path)


def _load_cert(path: Path):
    from asn1crypto import pem, x509

    data = path.read_bytes()
    if pem.detect(data):
        return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [x509.Certificate.load(data)]


def trusted_roots(paths=None) -> list:
    """Certificates from the configured files or directories (`HOPNHAT_SIGNING["trust_roots"]`)."""
    roots = []
    if paths is None:
        paths = list(_config().get("trust_roots", []))
        if (signing_dir() / "trust").is_dir():
            paths.append(signing_dir() / "trust")
    for entry in paths:
        path = Path(entry)
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for file in files:
            roots.extend(_load_cert(file))
    return roots


def verify_pdf(pdf: bytes, roots=None) -> list[SignatureReport]:
    """Every signature of `pdf` with its status; an unsigned PDF gives an empty list."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:   # noqa: BLE001
        raise SigningError(f"tệp không phải PDF đọc được / not a readable PDF: {exc}") from exc
    roots = trusted_roots() if roots is None else roots
    reports = []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                    revinfo_policy=None) if roots else ValidationContext(allow_fetching=False)
        try:
            status = validate_pdf_signature(sig, context)
        except Exception as exc:   # noqa: BLE001 — a malformed signature is reported, never a crash
            reports.append(SignatureReport(sig.field_name, "invalid", "", None, False, False, "", str(exc)))
            continue
        signer = _common_name(status.signing_cert)
        coverage = status.coverage.name if status.coverage else ""
        altered = status.intact and status.valid and (
            status.docmdp_ok is False
            or status.coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
            or (status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.modification_level is not None
                and status.modification_level.name not in {"NONE", "LTA_UPDATES", "FORM_FILLING"}))
        if not (status.intact and status.valid):
            verdict = "invalid"
        elif altered:
            verdict = "altered"
        elif not status.trusted:
            verdict = "untrusted"
        else:
            verdict = "valid"
        when = status.signer_reported_dt
        if status.timestamp_validity is not None:
            when = status.timestamp_validity.timestamp
        reports.append(SignatureReport(
            field=sig.field_name, status=verdict, signer=signer,
            signing_time=when.astimezone(VN_TZ) if when else None, intact=bool(status.intact),
            trusted=bool(status.trusted), coverage=coverage,
            detail=status.modification_level.name if status.modification_level else ""))
    return reports


def _common_name(cert) -> str:
    if cert is None:
        return ""
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


STATUS_TEXT = {
    "valid": ("Chữ ký hợp lệ", "Valid signature"),
    "untrusted": ("Chữ ký đúng nhưng người ký không thuộc danh sách tin cậy",
                  "Intact signature, but the signer is not trusted"),
    "altered": ("Văn bản đã bị sửa sau khi ký", "The document was changed after signing"),
    "invalid": ("Chữ ký không hợp lệ", "Invalid signature"),
}
