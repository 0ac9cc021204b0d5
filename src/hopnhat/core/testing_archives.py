"""Hostile archives for tests and benchmarks: a small .xlsx whose worksheet expands to hundreds of megabytes."""

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

# Rows without their optional r="…" numbers are all alike, so deflate packs them near its limit (~1000:1).
_ROW = ('<row><c t="inlineStr"><is><t>portal-bomb</t></is></c><c t="inlineStr"><is><t>'
        + "A" * 400 + "</t></is></c></row>")
_BLOCK = (_ROW * 2500).encode()


def xlsx_bomb(path: Path, expand_to: int = 300 * 1024 * 1024, header: list[str] | None = None) -> Path:
    """A valid workbook (openpyxl opens it) whose first sheet's XML is about `expand_to` bytes of rows, deflated
    at the strongest level: ~1 MB on disk for 300 MB. Written in streaming, so making it needs little memory."""
    book = Workbook()
    book.active.append(header or ["Mã hệ thống", "Tên hệ thống"])
    seed = io.BytesIO()
    book.save(seed)
    with zipfile.ZipFile(seed) as small, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in small.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, small.read(item.filename))
                continue
            xml = small.read(item.filename).decode()
            head, tail = xml.split("</sheetData>") if "</sheetData>" in xml else (xml.replace("<sheetData/>",
                                                                                           "<sheetData>"), "")
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head.encode())
                written = len(head)
                while written < expand_to:
                    sheet.write(_BLOCK)
                    written += len(_BLOCK)
                sheet.write(("</sheetData>" + tail).encode() if tail else b"</sheetData></worksheet>")
    return path
