"""The source kinds the engine ships: `sql` (any SQLAlchemy URL), `csv`, `excel` (.xlsx, .xls), `json_api`, and for
old mail systems `ldif` (directory exports) and `postfix_map` (virtual / aliases files).

Every source streams (server-side cursors, read-only workbooks, one page at a time), so memory stays flat
however large the old system is, and names its records so an error can say which one: a key column's value,
or "line 12" / "row 12" where the old data has no key.
"""

import base64
import csv
import datetime
import decimal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

import requests

from hopnhat.core.archives import ImportTooLarge, check_import_file
from hopnhat.core.text import nfc

from . import encodings
from .api import Source, SourceError, SourceRecord, register_source_kind


def jsonable(value: Any) -> Any:
    """A source value as lossless JSON: dates as ISO text, decimals as text, bytes as base64."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return nfc(value) if not value.isascii() else value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


_AS_IS = frozenset({type(None), int, bool})  # values jsonable() returns unchanged, tested first per field


class TabularSource(Source):
    """Shared by sources of rows: key columns, the cursor column and legacy-encoded columns."""

    separate_process = True

    def _key_columns(self) -> list[str]:
        key = self.config.get("key")
        if not key:
            return []
        return [key] if isinstance(key, str) else list(key)

    def _path(self) -> Path:
        path = Path(self.config["path"])
        if not path.is_absolute() and self.base_dir:
            path = Path(self.base_dir) / path
        return path

    def _record(self, data: dict[str, Any], position: str) -> SourceRecord:
        # Legacy text first, whatever type the driver returns it as (a VARBINARY column gives bytes, some drivers
        # bytearray or memoryview): decoded before jsonable() would turn those bytes into {"base64": …}.
        if legacy := self.config.get("legacy_encoding"):
            data = encodings.convert_fields(dict(data), legacy)
        data = {str(k): v if type(v) in _AS_IS or (type(v) is str and v.isascii()) else jsonable(v)
                for k, v in data.items()}
        columns = self._key_columns()
        if columns:
            parts = [data.get(c) for c in columns]
            if any(p is None or p == "" for p in parts):
                key = f"{position} (khóa trống / empty key)"
            else:
                key = "|".join(str(p) for p in parts)
        else:
            key = position
        cursor_column = self.config.get("cursor")
        return SourceRecord(key=key, data=data, cursor=data.get(cursor_column) if cursor_column else None)


# A streamed read waits while the importer works through the rows it has: MariaDB's default net_write_timeout
# (60 s) cut a 50,000-document import off mid-read ("Lost connection to MySQL server during query") when a batch
# took longer than that. The session gives the old server's side a day instead; the read stays resumable anyway.
_MYSQL_STREAM_TIMEOUT_S = 86400


def _patient_mysql_session(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SET SESSION net_write_timeout = {_MYSQL_STREAM_TIMEOUT_S}, "
                       f"net_read_timeout = {_MYSQL_STREAM_TIMEOUT_S}")
    finally:
        cursor.close()


class SqlSource(TabularSource):
    """source: {kind: sql, url: mysql+pymysql://…, table: nhan_su | query: "SELECT …", key: id, cursor: updated_at,
    legacy_encoding: {tcvn3: [ho_ten]}}"""

    kind = "sql"
    ordered_by_cursor = True

    def _engine(self):
        import sqlalchemy

        if not hasattr(self, "_sa_engine"):
            engine = sqlalchemy.create_engine(self.config["url"], poolclass=sqlalchemy.pool.NullPool)
            if engine.dialect.name in {"mysql", "mariadb"}:
                sqlalchemy.event.listen(engine, "connect", _patient_mysql_session)
            self._sa_engine = engine
        return self._sa_engine

    def _selectable(self):
        import sqlalchemy

        if table := self.config.get("table"):
            return sqlalchemy.Table(table, sqlalchemy.MetaData(), autoload_with=self._engine())
        query = self.config["query"].strip().rstrip(";")
        with self._engine().connect() as conn:  # the query's column names, so it can be filtered and ordered
            probe = f"SELECT * FROM ({query}) AS q LIMIT 0"  # noqa: S608 — the operator's own mapping query
            names = list(conn.execute(sqlalchemy.text(probe)).keys())
        return sqlalchemy.text(query).columns(*(sqlalchemy.column(n) for n in names)).subquery("q")

    def describe(self) -> str:
        return f"bảng {self.config['table']}" if self.config.get("table") else "truy vấn SQL"

    def estimate(self) -> int | None:
        import sqlalchemy

        with self._engine().connect() as conn:
            return conn.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(self._selectable())).scalar()

    def keys(self):
        """The key columns alone (a cheap scan of the primary key's index), keyed as records() keys them."""
        import sqlalchemy

        columns = self._key_columns()
        if not columns:
            yield from super().keys()
            return
        table = self._selectable()
        query = sqlalchemy.select(*(table.c[c] for c in columns)).order_by(*(table.c[c] for c in columns))
        with self._engine().connect().execution_options(stream_results=True, yield_per=5000) as conn:
            for number, row in enumerate(conn.execute(query), start=1):
                yield self._record(dict(zip(columns, row, strict=True)), f"row #{number}").key

    def records(self, since=None):
        import sqlalchemy

        table = self._selectable()
        query = sqlalchemy.select(table)
        order = [table.c[c] for c in self._key_columns()]
        if cursor := self.config.get("cursor"):
            order.insert(0, table.c[cursor])
            if since is not None:
                query = query.where(table.c[cursor] >= since)
        query = query.order_by(*order)
        label = self.config.get("table") or "row"
        with self._engine().connect().execution_options(stream_results=True, yield_per=2000) as conn:
            result = conn.execute(query)
            names = list(result.keys())  # zip with the names: a fifth of the cost of dict(row._mapping)
            for number, row in enumerate(result, start=1):
                yield self._record(dict(zip(names, row, strict=True)), f"{label} #{number}")


class CsvSource(TabularSource):
    """source: {kind: csv, path: nhan_su.csv, encoding: utf-8|utf-8-sig|utf-16|cp1258|tcvn3|vni, delimiter: ",",
    key: ma_nv}. Records without a key column are named "line N"."""

    kind = "csv"

    def describe(self) -> str:
        return self._path().name

    def estimate(self) -> int | None:
        with self._open() as handle:
            try:
                return max(sum(1 for _ in csv.reader(handle, delimiter=self.config.get("delimiter", ","))) - 1, 0)
            except (UnicodeError, csv.Error):
                return None  # records() says what is wrong

    def _open(self):
        codec = encodings.python_codec(self.config.get("encoding", "utf-8"))
        return open(self._path(), encoding=codec, newline="")

    def records(self, since=None):
        try:
            yield from self._read(since)
        except (UnicodeError, csv.Error) as exc:  # bytes not in the declared encoding, a NUL byte…
            raise SourceError(f"{self._path().name}: không đọc được theo bảng mã {self.config.get('encoding', 'utf-8')}"
                              f" ({type(exc).__name__}: {exc}) / unreadable in the declared encoding") from None

    def _read(self, since):
        encoding = self.config.get("encoding", "utf-8")
        name = self._path().name
        with self._open() as handle:
            reader = csv.reader(handle, delimiter=self.config.get("delimiter", ","))
            header = [encodings.decode_text(h, encoding).strip().lstrip("\ufeff") for h in next(reader, [])]
            line = reader.line_num
            for row in reader:
                start, line = line + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                values = [encodings.decode_text(cell, encoding) for cell in row]
                data = dict(zip(header, values, strict=False))
                if len(values) != len(header):  # the engine quarantines records that carry a _problem
                    data["_problem"] = (f"dòng có {len(values)} cột, tiêu đề có {len(header)} "
                                        f"/ line has {len(values)} columns, header has {len(header)}")
                record = self._record(data, f"{name} line {start}")
                if since is None or record.cursor is None or str(record.cursor) >= str(since):
                    yield record


class ExcelSource(TabularSource):
    """source: {kind: excel, path: danh_sach.xlsx|.xls, sheet: "Cán bộ" (default the first), header_row: 1, key: …}"""

    kind = "excel"

    def describe(self) -> str:
        return self._path().name

    def _rows(self):
        path = self._path()
        sheet = self.config.get("sheet")
        check_import_file(path, path.name)  # zip bombs: bounded before the workbook is opened (core.archives)
        if path.suffix.lower() == ".xls":
            import xlrd

            book = xlrd.open_workbook(path, on_demand=True)
            ws = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
            for r in range(ws.nrows):
                row = []
                for cell in ws.row(r):
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                        row.append(int(cell.value))
                    else:
                        row.append(cell.value if cell.ctype != xlrd.XL_CELL_EMPTY else None)
                yield ws.name, r + 1, row
            book.release_resources()
        else:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                ws = book[sheet] if sheet else book.worksheets[0]
                for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    yield ws.title, number, list(row)
            finally:
                book.close()

    def _checked_rows(self):
        """_rows(), a broken workbook (not a zip, a damaged part, a corrupt .xls) raised as a SourceError."""
        rows = self._rows()
        while True:
            try:
                yield next(rows)
            except StopIteration:
                return
            except ImportTooLarge:
                raise
            except Exception as exc:  # noqa: BLE001 — openpyxl and xlrd raise many kinds for a broken workbook
                raise SourceError(f"{self._path().name}: không đọc được bảng tính / unreadable workbook "
                                  f"({type(exc).__name__}: {exc})") from None

    def records(self, since=None):
        header_row = int(self.config.get("header_row", 1))
        header: list[str] = []
        name = self._path().name
        for sheet, number, row in self._checked_rows():
            if number < header_row:
                continue
            if number == header_row:
                header = [nfc(str(h)) if h is not None else f"col{i + 1}" for i, h in enumerate(row)]
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            record = self._record(dict(zip(header, row, strict=False)), f"{name} [{sheet}] row {number}")
            if since is None or record.cursor is None or str(record.cursor) >= str(since):
                yield record


def _dig(document: Any, path: str | None) -> Any:
    for part in (path or "").split("."):
        if part and isinstance(document, dict):
            document = document.get(part)
    return document


def _with_params(url: str, **params) -> str:
    parts = urlparse(url)
    query = dict(parse_qsl(parts.query))
    query.update({k: str(v) for k, v in params.items()})
    return urlunparse(parts._replace(query=urlencode(query)))


class JsonApiSource(TabularSource):
    """source: {kind: json_api, url: https://…/api/can-bo, items: data.items, key: id, cursor: updated_at,
    since_param: updated_since, pagination: {type: page|offset|next, …}}

    page:   {type: page, param: page, start: 1, size_param: per_page, size: 100}
    offset: {type: offset, param: offset, limit_param: limit, limit: 100}
    next:   {type: next, field: links.next}  (or the Link: rel="next" header when no field is given)
    """

    kind = "json_api"

    def describe(self) -> str:
        return urlparse(self.config["url"]).path or self.config["url"]

    def _get(self, url: str):
        response = requests.get(url, timeout=float(self.config.get("timeout", 30)),
                                headers=self.config.get("headers") or {}, stream=True)
        response.raise_for_status()
        # A page is parsed whole: bound it (max_page_bytes, 32 MB) instead of reading whatever the server sends.
        limit, body = int(self.config.get("max_page_bytes", 32 * 1024 * 1024)), bytearray()
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > limit:
                response.close()
                raise SourceError(f"{url}: trang lớn hơn {limit} byte / the page is larger than max_page_bytes")
        response._content = bytes(body)  # what .json() and .text read
        return response

    def _document(self, response, url: str):
        try:
            return response.json()
        except ValueError as exc:  # requests' and json's JSONDecodeError
            raise SourceError(f"{url}: trang không phải JSON / the page is not JSON ({exc})") from None

    def _items(self, document, url: str) -> list:
        items = _dig(document, self.config.get("items"))
        if items is None or isinstance(items, list):
            return items or []
        raise SourceError(f"{url}: “{self.config.get('items') or '(gốc / root)'}” không phải danh sách mà là "
                          f"{type(items).__name__} / the items are not a list")

    def _pages(self, since):
        url = self.config["url"]
        if since is not None and self.config.get("since_param"):
            url = _with_params(url, **{self.config["since_param"]: since})
        paging = self.config.get("pagination") or {"type": "next"}
        kind = paging.get("type", "next")
        if kind == "page":
            page, size = int(paging.get("start", 1)), paging.get("size")
            while True:
                params = {paging.get("param", "page"): page}
                if size:
                    params[paging.get("size_param", "per_page")] = size
                page_url = _with_params(url, **params)
                items = self._items(self._document(self._get(page_url), page_url), page_url)
                if not items:
                    return
                yield page_url, items
                page += 1
        elif kind == "offset":
            offset, limit = int(paging.get("start", 0)), int(paging.get("limit", 100))
            while True:
                page_url = _with_params(url, **{paging.get("param", "offset"): offset,
                                                paging.get("limit_param", "limit"): limit})
                items = self._items(self._document(self._get(page_url), page_url), page_url)
                if not items:
                    return
                yield page_url, items
                offset += len(items)
        elif kind == "next":
            seen = set()
            while url and url not in seen:
                seen.add(url)
                response = self._get(url)
                document = self._document(response, url)
                items = self._items(document, url)
                yield url, items
                following = _dig(document, paging["field"]) if paging.get("field") else \
                    response.links.get("next", {}).get("url")
                url = urljoin(url, following) if following and isinstance(following, str) else None
        else:
            raise ValueError(f"kiểu phân trang “{kind}” không hỗ trợ / unknown pagination type {kind!r}")

    def records(self, since=None):
        for page_url, items in self._pages(since):
            for index, item in enumerate(items):
                data = item if isinstance(item, dict) else {"value": item}
                yield self._record(data, f"{page_url} item {index}")


register_source_kind("sql", SqlSource)
register_source_kind("csv", CsvSource)
register_source_kind("excel", ExcelSource)
register_source_kind("json_api", JsonApiSource)


def read_ldif(handle) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """The entries of an LDIF export (RFC 2849: folded lines, `attr:: base64`, comments, `version:`), each as
    (first line number, {attribute: [values]}) with the DN under "dn"; attribute names are case-insensitive, so each
    keeps the spelling of its first occurrence in the file (`employeeNumber`). Change records are read as their
    attributes. Values are NFC text."""
    entry: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    logical: list[str] = []
    start = line_no = 0

    def flush_line():
        if not logical:
            return
        line = "".join(logical)
        logical.clear()
        if line.startswith("#") or ":" not in line:
            return
        name, _, value = line.partition(":")
        name = name.strip()
        name = spelling.setdefault(name.lower(), "dn" if name.lower() == "dn" else name)
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8", errors="replace")
        elif value.startswith("<"):
            value = value[1:].strip()   # a URL reference: kept as written
        else:
            value = value.strip()
        if name.lower() != "version":
            entry.setdefault(name, []).append(nfc(value) if not value.isascii() else value)

    for line_no, raw in enumerate(handle, start=1):  # noqa: B007 — line_no is read after the loop
        line = raw.rstrip("\r\n")
        if line.startswith(" ") and logical:
            logical.append(line[1:])
            continue
        flush_line()
        if not line.strip():
            if entry:
                yield start, dict(entry)
                entry.clear()
            continue
        if not entry and not logical:
            start = line_no
        logical.append(line)
    flush_line()
    if entry:
        yield start, dict(entry)


class LdifSource(Source):
    """source: {kind: ldif, path: users.ldif, object_class: inetOrgPerson (optional filter)}. One record per entry,
    keyed by its DN; each attribute is its first value, and `<attr>_all` holds every value when there are several
    (mail aliases: `mail_all`, `mailalternateaddress_all`)."""

    kind = "ldif"
    separate_process = True

    def _path(self) -> Path:
        path = Path(self.config["path"])
        return path if path.is_absolute() or not self.base_dir else Path(self.base_dir) / path

    def describe(self) -> str:
        return self._path().name

    def records(self, since=None):
        wanted = (self.config.get("object_class") or "").lower()
        name = self._path().name
        with open(self._path(), encoding=self.config.get("encoding", "utf-8")) as handle:
            for line, attrs in read_ldif(handle):
                classes = next((v for k, v in attrs.items() if k.lower() == "objectclass"), [])
                if wanted and wanted not in {v.lower() for v in classes}:
                    continue
                data: dict[str, Any] = {k: v[0] for k, v in attrs.items()}
                data.update({f"{k}_all": v for k, v in attrs.items() if len(v) > 1})
                data["_line"] = line
                yield SourceRecord(key=data.get("dn") or f"{name} line {line}", data=data)


class PostfixMapSource(Source):
    """source: {kind: postfix_map, path: virtual, format: virtual|aliases}. A Postfix lookup table source file
    (virtual(5): `key value, value`) or an aliases(5) file (`name: value, value`): one record per key, with
    `key`, `targets` (the list) and `target` (the first); comments, blank lines and continuation lines (starting
    with white space) as Postfix reads them. Keyed by the lookup key."""

    kind = "postfix_map"
    separate_process = True

    def _path(self) -> Path:
        path = Path(self.config["path"])
        return path if path.is_absolute() or not self.base_dir else Path(self.base_dir) / path

    def describe(self) -> str:
        return self._path().name

    def records(self, since=None):
        aliases = self.config.get("format", "virtual") == "aliases"
        name = self._path().name
        entries: list[tuple[int, str]] = []
        with open(self._path(), encoding=self.config.get("encoding", "utf-8")) as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if line[0] in " \t" and entries:
                    entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
                else:
                    entries.append((number, line.strip()))
        for number, line in entries:
            if aliases:
                key, sep, rest = line.partition(":")
            else:
                parts = line.split(None, 1)
                key, sep, rest = parts[0], " ", parts[1] if len(parts) > 1 else ""
            targets = [t.strip() for t in rest.replace(",", " ").split() if t.strip()]
            data = {"key": key.strip().lower(), "targets": targets, "target": targets[0] if targets else "",
                    "_line": number}
            if not sep or not targets:
                data["_problem"] = f"{name} dòng {number}: thiếu đích / line {number} has no target"
            yield SourceRecord(key=data["key"] or f"{name} line {number}", data=data)


register_source_kind("ldif", LdifSource)
register_source_kind("postfix_map", PostfixMapSource)
