"""Look-up by any number a document had: số/ký hiệu typed any way with its issuer by old or new name or code and
date, old and new register numbers, the document ID; `hopnhat documents lookup` with its exit codes."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from hopnhat.documents import actions, lookup

from .conftest import at, incoming_meta

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(tq, staff):
    # a notice from the abolished district, registered at the province before the reform
    return actions.register_incoming(
        staff.clerk, tq.tq, incoming_meta(number="230/UBND-VP", issuer_name="UBND huyện Yên Sơn",
                                          issued_date=datetime.date(2025, 6, 3), subject="Báo cáo kết quả sắp xếp"),
        at=at(2025, 6, 4))


@pytest.mark.parametrize("issuer", ["UBND huyện Yên Sơn", "ubnd huyen yen son", "000.00.36.H60", "UBND xã Yên Sơn",
                                    "UBND xã Thái Bình"])
def test_number_with_old_or_new_issuer(registered, issuer):
    assert lookup.find("Số 230 /UBND-VP", issuer=issuer) == [registered.document]


def test_other_issuer_date_and_register_number(registered):
    assert lookup.find("230/UBND-VP", issuer="Sở Nội vụ tỉnh Tuyên Quang") == []
    assert lookup.find("230/UBND-VP", date=datetime.date(2025, 6, 3)) == [registered.document]
    assert lookup.find("230/UBND-VP", date=datetime.date(2025, 6, 4)) == []
    assert lookup.find("1/2025") == [registered.document] and lookup.find("Số đến 1", year=2025) == [
        registered.document]
    assert lookup.find("1", year=2024) == []
    with pytest.raises(lookup.LookupError_, match="15/QĐ-UBND"):
        lookup.find("không phải số")


def _run(*args):
    out = io.StringIO()
    try:
        call_command("documents", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue()


def test_cli_lookup_exit_codes(registered):
    code, out = _run("lookup", "230/UBND-VP", "--issuer", "000.00.36.H60", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["documents"][0]["number"] == "230/UBND-VP"
    assert data["documents"][0]["timeline"][0]["action"] == "register"
    code, out = _run("lookup", "vớ vẩn", "--json")
    assert code == 2 and "15/QĐ-UBND" in json.loads(out)["error"]
    code, out = _run("lookup", "230/UBND-VP", "--issuer", "000.00.36", "--json")
    assert code == 2 and "V1V2V3" in json.loads(out)["error"]
    code, out = _run("lookup", "999/UBND-VP", "--json")  # a number that names nothing, as every command answers it
    assert code == 2 and not json.loads(out)["ok"]
    code, out = _run("lookup", "230/UBND-VP", "--date", "3/6/2025", "--json")
    assert code == 2


def test_common_number_answers_only_its_issuer_and_unresolved_issuers_by_name(tq, staff):
    """"01/QĐ-UBND" is every agency's first decision of the year: the issuer typed picks its own (through its
    lineage), and an issuer the platform does not know (a ministry) is matched by its name as written."""
    from hopnhat.documents.models import Document, DocumentNumber

    mine = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(
        number="01/QĐ-UBND", issuer_name="UBND huyện Yên Sơn", issued_date=datetime.date(2025, 1, 6)),
        at=at(2025, 1, 7)).document
    actions.register_incoming(staff.clerk, tq.tq, incoming_meta(
        number="1/QĐ-UBND", issuer_name="Sở Tư pháp tỉnh Tuyên Quang", issued_date=datetime.date(2025, 1, 6)),
        at=at(2025, 1, 7))
    ministry = actions.register_incoming(staff.clerk, tq.tq, incoming_meta(
        number="01/QĐ-UBND", issuer_name="Bộ Tài chính", issued_date=datetime.date(2025, 1, 8)),
        at=at(2025, 1, 9)).document
    assert ministry.issuer_id is None and mine.issuer_id == tq.yenson.pk
    assert lookup.find("Số 01/QĐ-UBND", issuer="UBND xã Yên Sơn") == [mine]
    assert lookup.find("1/QD-UBND", issuer="bộ tài chính") == [ministry]
    assert lookup.find("01/QĐ-UBND", issuer="Bộ Y tế") == []
    assert len(lookup.find("01/QĐ-UBND")) == 3
    # an older notation the document was known by, its issuer never resolved: found by the document's name
    DocumentNumber.objects.create(key="7/QD-BTC", scheme=DocumentNumber.Scheme.NOTATION, document=ministry,
                                  as_written="7/QĐ-BTC")
    assert lookup.find("07/QĐ-BTC", issuer="Bộ Tài chính") == [ministry]
    assert lookup.find("07/QĐ-BTC", issuer="Bộ Y tế") == []
    assert Document.objects.count() == 3
