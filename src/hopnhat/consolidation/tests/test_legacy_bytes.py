"""Issue 12 item 1: TCVN3 text in a VARBINARY column (bytes from the driver) is decoded, never stored as base64,
and a field that arrives garbled can never be reported balanced: every mapped field is reconciled or excused."""

import pytest

from hopnhat.consolidation import encodings, reconciliation
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.sources import CsvSource
from hopnhat.org.models import Membership, Person

from .legacy_hr import to_tcvn3

pytestmark = pytest.mark.django_db


def _binary_titles(legacy_hr):
    """The old HR system kept job titles in a VARBINARY column: the driver hands them over as bytes."""
    legacy_hr.execute("ALTER TABLE nhan_su MODIFY chuc_vu VARBINARY(100) NULL")
    legacy_hr.execute("UPDATE nhan_su SET chuc_vu = %s WHERE id = 1", (to_tcvn3("Giám đốc").encode("latin-1"),))


def test_tcvn3_bytes_from_a_varbinary_column_are_decoded(legacy_hr, org):
    _binary_titles(legacy_hr)
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")

    hung = Person.objects.get(full_name="Nguyễn Văn Hùng")
    assert Membership.objects.get(person=hung).position.name == "Giám đốc"
    assert not Membership.objects.filter(position__name__contains="base64").exists()
    assert run.balanced is True
    assert run.field_checks["position"]["garbled"] == 0


def test_a_binary_column_without_its_legacy_encoding_is_never_balanced(legacy_hr, org):
    _binary_titles(legacy_hr)
    mapping = legacy_hr.mapping()
    mapping["source"]["legacy_encoding"] = {"tcvn3": ["ho_ten"]}  # the operator forgot chuc_vu
    run = run_mapping(Mapping.from_dict(mapping), actor="system:test")

    check = run.field_checks["position"]
    assert check["garbled"] >= 1 and run.balanced is False
    sample = next(s for s in check["garbled_samples"] if s["key"] == "1")
    assert sample["why"] == "base64"
    assert all(s["why"] == "base64" for s in check["garbled_samples"])  # every row's title: all bytes now
    # the HTML report says which field and why
    html = (reconciliation.report_dir() / f"run-{run.pk}.html").read_text(encoding="utf-8")
    assert "KHÔNG cân đối" in html and "position" in html


def test_every_mapped_field_is_compared_or_excused_with_a_reason(legacy_hr, org):
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    checks = run.field_checks
    mapped = set(legacy_hr.mapping()["fields"])
    assert mapped <= set(checks)
    for name in mapped:
        assert checks[name]["compared"] or checks[name]["excluded"], name
    assert checks["phone"]["compared"] > 0  # a Person column no importer declaration named: compared anyway
    assert "crosswalk" in checks["agency_code"]["excluded"]
    # the job title lives on the membership the record made: compared there, loaded and merged records alike
    assert checks["position"]["compared"] == 4 and checks["position"]["mismatched"] == 0
    assert run.balanced is True


def test_a_title_stored_nowhere_is_a_mismatch(legacy_hr, org):
    legacy_hr.execute("UPDATE nhan_su SET ma_don_vi = NULL WHERE id = 10")   # no unit: no membership for the title
    run = run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")
    check = run.field_checks["position"]
    assert check["mismatched"] == 1 and check["samples"][0]["key"] == "10"
    assert check["samples"][0]["source"] == "Chuyên viên" and run.balanced is False


def test_a_mapped_field_the_importer_neither_stores_nor_excuses_unbalances_the_run(legacy_hr, org):
    mapping = legacy_hr.mapping()
    mapping["fields"]["ghi_chu"] = "email"   # mapped, but org.people stores no such field
    run = run_mapping(Mapping.from_dict(mapping), actor="system:test")
    assert run.field_checks["ghi_chu"]["unaccounted"] is True
    assert run.balanced is False


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_legacy_columns_are_decoded_whatever_type_the_driver_returns(kind):
    source = CsvSource({"kind": "csv", "path": "x.csv", "key": "id", "legacy_encoding": {"tcvn3": ["chuc_vu"]}})
    raw = to_tcvn3("Phó Giám đốc").encode("latin-1")
    record = source._record({"id": 7, "chuc_vu": kind(raw), "anh": kind(b"\x89PNG")}, "row 1")
    assert record.data["chuc_vu"] == "Phó Giám đốc"
    assert record.data["anh"] == {"base64": "iVBORw=="}  # other binary columns stay lossless base64


def test_garbled_recognises_base64_and_undecoded_tcvn3_but_not_vietnamese():
    assert encodings.garbled("{'base64': 'R2m4bSCu6GM='}") == "base64"
    assert encodings.garbled(to_tcvn3("Giám đốc")) == "legacy"
    assert encodings.garbled(to_tcvn3("Nguyễn Văn Hùng")) == "legacy"
    for fine in ("Giám đốc", "Nhiệt độ 25°C", "Nguyễn Văn Hùng", "{abc}", "ĐẶNG QUỐC BẢO", 12, None):
        assert encodings.garbled(fine) == "", fine
