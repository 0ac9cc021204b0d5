"""The procedure catalogue from a CSV or Excel sheet as provinces publish it (one row per procedure).

Columns (Vietnamese headers, any order, matched on fold()): Mã thủ tục, Tên thủ tục, Mã lĩnh vực, Lĩnh vực,
Cấp thực hiện ("Cấp xã; Cấp tỉnh"), Thời hạn giải quyết (working days), Phí, lệ phí ("Lệ phí: 50000; …"),
Thành phần hồ sơ ("Tờ khai (1); Bản sao giấy khai sinh (2)"). Every row is checked before anything is written;
one bad row stops the load with its file, line and column named.
"""

import re
from pathlib import Path
from typing import Any

from django.db import transaction

from hopnhat.consolidation.api import source_kind
from hopnhat.core import audit
from hopnhat.core.text import fold, nfc

from .models import Procedure

PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2})?$")
COLUMNS = {
    "ma thu tuc": "code", "ten thu tuc": "name", "ma linh vuc": "field_code", "linh vuc": "field_name",
    "cap thuc hien": "levels", "thoi han giai quyet": "processing_days", "phi le phi": "fees",
    "thanh phan ho so": "papers",
}
REQUIRED = {"code", "name", "processing_days"}
_COPIES = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+)\)$")


class CatalogueError(ValueError):
    pass


def _rows(path: Path):
    """(where, {header: value}) through the engine's own csv/excel sources, so a catalogue is read like any other
    old file (encodings, Excel dates, blank lines) and each row is named the same way ("danh-muc.csv line 3")."""
    kind = "excel" if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"} else "csv"
    source = source_kind(kind)({"path": str(path), "encoding": "utf-8-sig"})
    for record in source.records():
        yield record.key, record.data


def _parse(where: str, raw: dict[str, Any]) -> dict[str, Any]:
    row = {COLUMNS[fold(k)]: nfc(v) for k, v in raw.items() if k and fold(k) in COLUMNS}
    if missing := sorted(c for c in REQUIRED if not row.get(c)):
        raise CatalogueError(f"{where}: thiếu cột / missing {', '.join(missing)}")
    code = row["code"].upper()
    if not PROCEDURE_CODE.match(code):
        raise CatalogueError(f"{where}, Mã thủ tục “{code}”: không đúng dạng 1.001612.000.00.00.H48 / bad code")
    try:
        days = int(float(row["processing_days"]))
    except ValueError:
        raise CatalogueError(f"{where}, Thời hạn giải quyết “{row['processing_days']}”: phải là số ngày / "
                             f"must be a number of working days") from None
    fees = []
    for item in filter(None, (p.strip() for p in row.get("fees", "").split(";"))):
        name, _, amount = item.rpartition(":")
        digits = re.sub(r"[.,\s]|đồng|VNĐ|VND|đ", "", amount, flags=re.IGNORECASE)
        if not name or not digits.isdigit():
            raise CatalogueError(f"{where}, Phí, lệ phí “{item}”: cần dạng “Tên: số tiền” / need “name: amount”")
        fees.append({"name": name.strip(), "amount": int(digits)})
    papers = []
    for item in filter(None, (p.strip() for p in row.get("papers", "").split(";"))):
        m = _COPIES.match(item)
        papers.append({"name": m["name"], "copies": int(m["n"])} if m else {"name": item, "copies": 1})
    return {"code": code, "name": row["name"], "field_code": row.get("field_code", ""),
            "field_name": row.get("field_name", ""), "processing_days": days, "fees": fees, "papers": papers,
            "levels": [p.strip() for p in row.get("levels", "").split(";") if p.strip()]}


def load_procedures(path: str | Path, actor: Any = "system:dossiers-catalogue") -> dict[str, int]:
    path = Path(path)
    if not path.exists():
        raise CatalogueError(f"không thấy tệp / no such file: {path}")
    parsed = [_parse(where, raw) for where, raw in _rows(path)]
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for data in parsed:
            code = data.pop("code")
            proc = Procedure.objects.filter(code=code).first()
            if proc is None:
                Procedure.objects.create(code=code, **data)
                counts["created"] += 1
            elif any(getattr(proc, k) != v for k, v in data.items()):
                for k, v in data.items():
                    setattr(proc, k, v)
                proc.save()
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        audit.record(actor, "dossiers.catalogue_load", None, file=path.name, **counts)
    return counts
