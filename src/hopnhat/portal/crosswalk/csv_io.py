"""Mappings in bulk, as CSV people can edit in a spreadsheet (Transition's import batch, one row per old URL).

Columns (header row required, order free; only old_url is mandatory):
  old_url      absolute old URL; end it with * for a prefix rule (http://quanbadinh.hanoi.gov.vn/tin-tuc/*)
  type         redirect | archive | unresolved | api; blank: redirect when new_url is given, archive when
               only archive_url is, otherwise unresolved
  new_url      target URL, a path on this portal, or page:<id> for a Wagtail page
  archive_url  our archived copy (page:<id> or URL), for archive/unresolved
  api_mode     307 | 308 | proxy (type api)
  append_path  1 to add the rest of the path to new_url (prefix rules)
  unit         the old unit the page spoke for: node id VN/2025-06-30/ward/00004 or an old code (00004)
  notes
Rows that fail are reported by line and skipped; every other row is saved.
"""

import csv
import io

from wagtail.models import Page

from hopnhat.core.exports import csv_dict_writer, restore_cell
from hopnhat.portal.importers import unit_from_ref

from .api import MappingError, decide, ensure_site
from .canonical import BadOldUrl, split_url
from .models import Mapping, MappingType

COLUMNS = ["old_url", "type", "new_url", "archive_url", "api_mode", "append_path", "unit", "notes"]


def unit_from_text(text: str):
    """An old unit named by its node id (VN/2025-06-30/ward/00004) or its old code (00004), as the importers
    read it."""
    try:
        return unit_from_ref(text)
    except (LookupError, ValueError) as exc:
        raise MappingError(f"không tìm thấy đơn vị “{text}” / no such unit") from exc


def _page_or_url(value: str) -> tuple[Page | None, str]:
    value = (value or "").strip()
    if not value.startswith("page:"):
        return None, value
    page = Page.objects.filter(pk=value[5:]).first() if value[5:].isdigit() else None
    if page is None:
        raise MappingError(f"không có trang “{value}” / no such page")
    return page, ""


def _row_fields(row: dict) -> dict:
    target_page, target_url = _page_or_url(row.get("new_url", ""))
    archive_page, archive_url = _page_or_url(row.get("archive_url", ""))
    kind = (row.get("type") or "").strip().lower()
    if not kind:
        kind = (MappingType.REDIRECT if (target_page or target_url) else
                MappingType.ARCHIVE if (archive_page or archive_url) else MappingType.UNRESOLVED)
    if kind not in MappingType.values:
        raise MappingError(f"loại “{kind}” không hợp lệ ({', '.join(MappingType.values)}) / unknown type")
    return {
        "type": kind, "target_page": target_page, "target_url": target_url, "archive_page": archive_page,
        "archive_url": archive_url, "api_mode": (row.get("api_mode") or "").strip(),
        "append_path": (row.get("append_path") or "").strip().lower() in {"1", "true", "yes", "có", "x"},
        "unit": unit_from_text(row.get("unit", "")), "notes": (row.get("notes") or "").strip(),
    }


def import_csv(text: str, *, name: str, actor) -> dict:
    """Import mappings from CSV text (comma, semicolon or tab separated). Returns counts and errors by line."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "old_url" not in header:
        raise MappingError(f"{name}:1: thiếu cột old_url / the header has no old_url column")
    reader.fieldnames = header
    report = {"file": name, "rows": 0, "created": 0, "changed": 0, "unchanged": 0, "errors": []}
    for row in reader:
        line = reader.line_num
        report["rows"] += 1
        row = {k: restore_cell(v or "") for k, v in row.items() if k}  # our own exports quote formulas
        old_url = row.get("old_url", "").strip()
        try:
            host, path, query = split_url(old_url)
            fields = _row_fields(row)
            site = ensure_site(host, actor=actor)
            mapping, changed = decide(site, f"{path}?{query}" if query else path, actor=actor,
                                action="crosswalk.csv_import", **fields)
        except (MappingError, BadOldUrl) as exc:
            report["errors"].append({"line": line, "old_url": old_url, "error": str(exc)})
            continue
        report["unchanged" if not changed else "created" if mapping.version == 1 else "changed"] += 1
    return report


def _ref(page, url: str) -> str:
    return f"page:{page.pk}" if page is not None else url


def export_rows(mappings=None):
    mappings = mappings if mappings is not None else Mapping.objects.all()
    for m in mappings.select_related("site", "unit", "target_page", "archive_page").order_by("site_id", "path"):
        yield {
            "old_url": f"http://{m.site.host}{m.pattern}", "type": m.type,
            "new_url": _ref(m.target_page, m.target_url), "archive_url": _ref(m.archive_page, m.archive_url),
            "api_mode": m.api_mode, "append_path": "1" if m.append_path else "",
            "unit": m.unit.node_id if m.unit_id else "", "notes": m.notes,
        }


def export_csv(out, mappings=None) -> int:
    writer = csv_dict_writer(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in export_rows(mappings):
        writer.writerow(row)
        count += 1
    return count

