"""Số and ký hiệu of a document (Decree 30/2020, Phụ lục I II.3): parsing what people and old systems type, the
normalised key look-ups and duplicate checks compare, and the document types with their abbreviations (Phụ lục III).

    parse("Số: 015 /QĐ-UBND") -> Parsed(number="15", notation="QĐ-UBND")
    key("15", "QĐ-UBND") == key("15", "QD-UBND") == "15/QD-UBND"
"""

import re
import unicodedata
from dataclasses import dataclass

from hopnhat.core.text import nfc

# Phụ lục III: tên loại → viết tắt. Công văn and Thư công have none (the "CV" some apps write is not the Decree's).
TYPES: dict[str, str] = {
    "Nghị quyết": "NQ", "Quyết định": "QĐ", "Chỉ thị": "CT", "Quy chế": "QC", "Quy định": "QyĐ",
    "Thông cáo": "TC", "Thông báo": "TB", "Hướng dẫn": "HD", "Chương trình": "CTr", "Kế hoạch": "KH",
    "Phương án": "PA", "Đề án": "ĐA", "Dự án": "DA", "Báo cáo": "BC", "Biên bản": "BB", "Tờ trình": "TTr",
    "Hợp đồng": "HĐ", "Công điện": "CĐ", "Bản ghi nhớ": "BGN", "Bản thỏa thuận": "BTT", "Giấy ủy quyền": "GUQ",
    "Giấy mời": "GM", "Giấy giới thiệu": "GGT", "Giấy nghỉ phép": "GNP", "Phiếu gửi": "PG", "Phiếu chuyển": "PC",
    "Phiếu báo": "PB", "Bản sao y": "SY", "Bản trích sao": "TrS", "Bản sao lục": "SL",
    "Công văn": "", "Thư công": "",
}
CONG_VAN = "Công văn"


def _plain(text: str) -> str:
    """Upper case without diacritics, Đ → D: the key's alphabet."""
    text = unicodedata.normalize("NFD", nfc(text).replace("đ", "d").replace("Đ", "D").replace("Ð", "D"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").upper()


_BY_ABBR = {_plain(abbr): name for name, abbr in TYPES.items() if abbr}


def type_for_abbr(abbr: str) -> tuple[str, str] | None:
    """(type name, abbreviation as the Decree writes it) for an abbreviation typed any way, or None."""
    name = _BY_ABBR.get(_plain(abbr))
    return (name, TYPES[name]) if name else None


def type_of(notation: str) -> tuple[str, str]:
    """The document type a ký hiệu names: its first group when that is a type abbreviation (QĐ-UBND → Quyết
    định), otherwise a công văn (UBND-VP), which has no abbreviation."""
    first = (notation or "").split("-", 1)[0]
    return type_for_abbr(first) or (CONG_VAN, "")


_DASHES = re.compile(r"\s*[-‐‑‒–—]\s*")
_PREFIX = re.compile(r"^\s*s[oố]\s*[:.]?\s*(?=\d)", re.IGNORECASE)
_FORM = re.compile(r"^(?P<number>\d{1,11})(?:\s*/\s*(?P<year>(?:19|20)\d\d))?\s*/\s*(?P<notation>[^\s/].*)$")
_NOTATION = re.compile(r"^[0-9A-Za-zÀ-ỹĐđ]+(?:-[0-9A-Za-zÀ-ỹĐđ.]+)*$")


@dataclass(frozen=True)
class Parsed:
    number: str       # "15" (leading zeros dropped: "05" and "5" are one number)
    notation: str     # "QĐ-UBND" as typed, tidied (capitals, one kind of dash, no spaces)
    year: str = ""    # legal documents carry the year: 12/2020/NĐ-CP

    @property
    def key(self) -> str:
        return key(self.number, self.notation, self.year)

    @property
    def text(self) -> str:
        middle = f"/{self.year}" if self.year else ""
        return f"{self.number.zfill(2)}{middle}/{self.notation}"


class NumberError(ValueError):
    pass


def parse(text: str) -> Parsed:
    """Số/ký hiệu as typed ("15/QĐ-UBND", "15 /QĐ-UBND", "Số 15/QĐ-UBND", "Số: 15/QD-UBND", "12/2020/NĐ-CP").
    NumberError names what is wrong."""
    raw = nfc(text)
    body = _PREFIX.sub("", raw)
    found = _FORM.match(body)
    if not found:
        raise NumberError(f"“{raw}” không phải số, ký hiệu văn bản (dạng 15/QĐ-UBND) / is not a document number "
                          f"and notation of the form 15/QĐ-UBND")
    notation = _DASHES.sub("-", found["notation"].strip()).replace(" ", "")
    if not _NOTATION.match(notation):
        raise NumberError(f"ký hiệu “{found['notation']}” trong “{raw}” không hợp lệ / the notation is not valid")
    return Parsed(str(int(found["number"])), notation.upper(), found["year"] or "")


def key(number: str, notation: str, year: str = "") -> str:
    """The comparison key of a số/ký hiệu: "15/QD-UBND" (no diacritics, capitals, no leading zeros)."""
    number = (number or "").strip()
    if "/" in number and not notation:   # the whole thing in one field
        try:
            return parse(number).key
        except NumberError:
            return _plain(number).replace(" ", "")
    if number.isdigit():
        number = str(int(number))
    notation = _DASHES.sub("-", (notation or "").strip()).replace(" ", "")
    if not number and not notation:
        return ""
    middle = f"/{year}" if year else ""
    return f"{number}{middle}/{_plain(notation)}"


def looks_like_number(text: str) -> bool:
    try:
        parse(text)
    except NumberError:
        return False
    return True
