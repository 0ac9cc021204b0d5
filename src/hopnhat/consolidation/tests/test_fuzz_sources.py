"""Hostile input, continuously (issue 13): the engine's readers of outside files and pages — CSV in every
encoding the engine supports, .xlsx/.xls workbooks, the YAML mappings and JSON API pages — on generated input.
Each either reads or raises one of the project's named errors (a SourceError naming the file, a MappingError,
ImportTooLarge, ValueError from Mapping with the file named), never a crash, never unbounded memory."""

import io
import json
import zipfile

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from hopnhat.consolidation import encodings
from hopnhat.consolidation.api import MappingError, SourceError, source_kind
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.archives import ImportTooLarge
from hopnhat.core.fuzzing import bounded

from .test_sources import staff_api  # noqa: F401 — the old unit's staff API, a fixture

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1258", "tcvn3", "vni"]
SOURCE_ERRORS = (SourceError, MappingError, ImportTooLarge)
cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


def _read(kind: str, config: dict, base_dir) -> list:
    return list(source_kind(kind)(config, base_dir=base_dir).records())


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(data=st.binary(max_size=2000))
def test_csv_bytes_in_every_encoding(tmp_path_factory, encoding, data):
    folder = tmp_path_factory.mktemp("csv")
    (folder / "nhan_su.csv").write_bytes(data)
    result = bounded(lambda: _read("csv", {"path": "nhan_su.csv", "encoding": encoding, "key": "ma"}, folder),
                     SOURCE_ERRORS)
    if isinstance(result, SourceError):
        assert "nhan_su.csv" in str(result)


@pytest.mark.parametrize("encoding", ENCODINGS)
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=5), max_size=15), delimiter=st.sampled_from([",", ";"]))
def test_csv_text_in_every_encoding(tmp_path_factory, encoding, rows, delimiter):
    folder = tmp_path_factory.mktemp("csv")
    lines = [delimiter.join(["ma", "ho_ten", "ngay"])] + [delimiter.join(row) for row in rows]
    text = "\n".join(lines)
    codec = encodings.python_codec(encoding)
    if codec == "latin-1":
        text = encodings.unicode_to_legacy(text, encoding)
    (folder / "can_bo.csv").write_bytes(text.encode(codec, "replace"))
    result = bounded(lambda: _read("csv", {"path": "can_bo.csv", "encoding": encoding, "key": "ma",
                                           "delimiter": delimiter}, folder), SOURCE_ERRORS)
    if isinstance(result, list):
        assert all(isinstance(r.data, dict) for r in result)


@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".xlsx", ".xls"]))
def test_workbook_bytes(tmp_path_factory, data, suffix):
    folder = tmp_path_factory.mktemp("xl")
    (folder / f"danh_sach{suffix}").write_bytes(data)
    result = bounded(lambda: _read("excel", {"path": f"danh_sach{suffix}", "key": "ma"}, folder), SOURCE_ERRORS)
    if isinstance(result, SourceError):
        assert "danh_sach" in str(result)


@given(data=st.binary(min_size=1, max_size=400), name=st.sampled_from(["xl/worksheets/sheet1.xml",
                                                                       "xl/workbook.xml", "[Content_Types].xml"]))
def test_workbook_with_a_damaged_part(tmp_path_factory, data, name):
    """A real workbook with one of its parts replaced by garbage: the zip is fine, its XML is not."""
    folder = tmp_path_factory.mktemp("xl")
    book = Workbook()
    book.active.append(["ma", "ho_ten"])
    book.active.append(["1", "Nguyễn Văn An"])
    seed = io.BytesIO()
    book.save(seed)
    with zipfile.ZipFile(seed) as good, zipfile.ZipFile(folder / "hong.xlsx", "w") as bad:
        for item in good.infolist():
            bad.writestr(item, data if item.filename == name else good.read(item.filename))
    bounded(lambda: _read("excel", {"path": "hong.xlsx", "key": "ma"}, folder), SOURCE_ERRORS)


@given(values=st.lists(st.one_of(cells, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                                 st.datetimes(), st.dates()), min_size=1, max_size=6))
def test_workbook_cell_values(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("xl")
    book = Workbook()
    book.active.append(["ma", "ho_ten", "a", "b", "c", "d"])
    book.active.append([v if not isinstance(v, str) else "".join(c for c in v if c.isprintable()) for v in values])
    book.save(folder / "o.xlsx")
    result = bounded(lambda: _read("excel", {"path": "o.xlsx", "key": "ma"}, folder), SOURCE_ERRORS)
    assert isinstance(result, list) and len(result) <= 1


yaml_values = st.recursive(st.none() | st.booleans() | st.integers() | cells,
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(cells, children,
                                                                                             max_size=4),
                           max_leaves=20)


@given(text=st.text(max_size=500))
def test_yaml_mapping_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("map") / "hr.yaml"
    path.write_text(text, encoding="utf-8")
    result = bounded(lambda: Mapping.from_yaml(path), (ValueError, LookupError))
    if isinstance(result, Exception):
        assert "hr.yaml" in str(result)


@given(doc=st.dictionaries(st.sampled_from(["system", "importer", "source", "fields", "pii", "filters", "value_maps",
                                            "crosswalks", "key", "cursor", "options", "duplicates", "stream"]),
                           yaml_values, max_size=8))
def test_yaml_mapping_structure(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("map") / "hr.yaml"
    path.write_text(yaml.safe_dump({"system": "hr-hagiang", "importer": "org.people", "source": {"kind": "csv"},
                                    **doc}, allow_unicode=True), encoding="utf-8")
    result = bounded(lambda: Mapping.from_yaml(path), (ValueError, LookupError))
    if isinstance(result, Exception):
        assert "hr.yaml" in str(result)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cells,
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(cells, children,
                                                                                             max_size=4),
                           max_leaves=25)


class _Page:
    def __init__(self, body: bytes):
        self.content, self.links = body, {}

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self):
        return None


@given(pages=st.lists(st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)),
                      min_size=1, max_size=3),
       paging=st.sampled_from([{"type": "next", "field": "links.next"}, {"type": "page"}, {"type": "offset"},
                               {"type": "next"}]))
def test_json_api_pages(monkeypatch, pages, paging):
    served = iter(pages)
    source = source_kind("json_api")({"url": "https://hr.hagiang.gov.vn/api/can-bo", "items": "data",
                                      "pagination": paging, "key": "id"})
    monkeypatch.setattr(source, "_get", lambda url: _Page(next(served, b"[]")))
    result = bounded(lambda: list(source.records()), SOURCE_ERRORS)
    if isinstance(result, SourceError):
        assert "hr.hagiang.gov.vn" in str(result)


def test_json_api_page_beyond_the_bound_is_refused_naming_it(staff_api):  # noqa: F811 — the fixture
    source = source_kind("json_api")({"url": staff_api + "/offset", "key": "id", "items": "results",
                                      "pagination": {"type": "offset", "limit": 3}, "max_page_bytes": 100})
    with pytest.raises(SourceError, match=r"/offset\?offset=0&limit=3: trang lớn hơn 100 byte"):
        list(source.records())
    source.config["max_page_bytes"] = 10_000
    assert len(list(source.records())) == 7
