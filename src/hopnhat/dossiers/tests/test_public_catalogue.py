"""The public procedure catalogue (issue 17): browse by field, level, agency and life event; one procedure's page
with steps, papers and forms, fees, time limit, agency and legal basis; found by the portal's one search box with
and without diacritics."""

import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.dossiers import catalogue_samples, public_catalogue
from hopnhat.portal.search.engine import search

from .conftest import close_old_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def merged(hanoi, tmp_path):
    close_old_agencies(hanoi)
    for m in catalogue_samples.mappings(tmp_path):
        run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
    return hanoi


def _codes(rows):
    return sorted(p.national_code for p in rows)


def test_browse_by_each_facet(merged):
    assert _codes(public_catalogue.browse()) == ["1.001193", "1.004227", "2.000884"]
    assert _codes(public_catalogue.browse(field="G09-TP01")) == ["1.001193"]
    assert _codes(public_catalogue.browse(level="Cấp huyện")) == ["1.004227"]
    assert _codes(public_catalogue.browse(life_event="khai sinh")) == ["1.001193"]
    assert _codes(public_catalogue.browse(agency=merged.ba_dinh.code)) == ["1.001193", "1.004227", "2.000884"]
    assert public_catalogue.browse(agency=merged.district.code) == []   # the abolished agency receives nothing
    facets = public_catalogue.facets()
    assert {f["label"]: f["count"] for f in facets["fields"]} == {"Hộ tịch": 1, "Chứng thực": 1, "Đất đai": 1}


def test_procedure_pages(client, merged):
    listing = client.get("/ho-so/thu-tuc/", {"su_kien": "Khai sinh"})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Thủ tục đăng ký khai sinh" in text and "quyền sử dụng đất" not in text
    page = client.get("/ho-so/thu-tuc/1.001193/").content.decode()
    for expected in ("Nộp tờ khai và giấy chứng sinh", "Tờ khai đăng ký khai sinh", "to-khai-khai-sinh.docx",
                     "Lệ phí đăng ký khai sinh", "UBND phường Ba Đình", "Nghị định 123/2015/NĐ-CP",
                     "3 ngày làm việc"):
        assert expected in page, expected
    assert client.get("/ho-so/thu-tuc/9.999999/").status_code == 404


@pytest.mark.parametrize("query", ["đăng ký khai sinh", "dang ky khai sinh"])
def test_the_one_search_box_finds_procedures(merged, query):
    results = search(query)
    procedures = [h for h in results.hits if h.doc_type == "procedure"]
    assert procedures and procedures[0].url == "/ho-so/thu-tuc/1.001193/"
    assert procedures[0].title == "Thủ tục đăng ký khai sinh"
