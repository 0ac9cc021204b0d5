"""Merging two old one-door systems through the consolidation engine: a MariaDB database of the district and
the city portal's CSV export, with their own status names and agency codes, an overlap, a code collision and
records that cannot be loaded — every old dossier and history row accounted for."""

import os
import uuid

import pymysql
import pytest

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import lookup, samples
from hopnhat.dossiers.models import Dossier, DossierAlias, DossierEvent, Status

from .conftest import close_old_agencies

pytestmark = pytest.mark.django_db


@pytest.fixture
def motcua_url():
    name = f"hn_dossiers_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", charset="utf8mb4", autocommit=True)
    conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"
    samples.write_motcua(url)
    yield url
    conn.cursor().execute(f"DROP DATABASE `{name}`")
    conn.close()


@pytest.fixture
def merged(hanoi, procedures, motcua_url, tmp_path):
    samples.write_dvc(tmp_path)
    runs = [run_mapping(Mapping.from_dict(m), actor="system:test-import")
            for m in samples.mappings(motcua_url, tmp_path)]
    return runs


def test_every_old_record_is_accounted_for(merged):
    dossiers_a, dossiers_b, history_a, history_b = merged
    assert all(run.balanced for run in merged)
    assert dossiers_a.totals["outcomes"] == {"loaded": 4, "merged": 0, "quarantined": 1, "filtered": 0}
    assert dossiers_b.totals["outcomes"] == {"loaded": 2, "merged": 1, "quarantined": 0, "filtered": 0}
    assert history_a.totals["outcomes"] == {"loaded": 10, "merged": 0, "quarantined": 1, "filtered": 0}
    assert history_b.totals["outcomes"] == {"loaded": 4, "merged": 1, "quarantined": 0, "filtered": 0}
    bad = StagedRecord.objects.get(system=samples.MOTCUA, stream="hoso", outcome="quarantined")
    assert bad.key == "000.22.01.H26-250620-0005" and "Treo" in bad.reason and "status" in bad.reason
    orphan = StagedRecord.objects.get(system=samples.MOTCUA, stream="hoso_xuly", outcome="quarantined")
    assert orphan.key == "11" and "000.22.01.H26-250620-0005" in orphan.reason
    assert Dossier.objects.count() == 6
    assert DossierEvent.objects.count() == 14
    # the personal ID number never reaches the dossier in clear
    hung = Dossier.objects.get(code="000.22.01.H26-250610-0001")
    assert hung.applicant_id_hash == keyed_hash("001085012345")


def test_the_same_dossier_in_both_systems_is_merged_with_both_histories(merged):
    hung = Dossier.objects.get(code="000.22.01.H26-250610-0001")
    assert set(hung.aliases.values_list("source_system", flat=True)) == {samples.MOTCUA, samples.DVC}
    steps = list(hung.events.order_by("at", "id").values_list("source_system", "action", "status_to"))
    assert steps == [(samples.DVC, "submit", Status.SUBMITTED), (samples.MOTCUA, "receive", Status.RECEIVED),
                     (samples.MOTCUA, "process", Status.PROCESSING)]
    assert hung.status == Status.PROCESSING and hung.agency.code == "000.22.01.H26"


def test_code_collision_keeps_both_dossiers_under_the_old_code(merged):
    code = "000.04.01.H26-250611-0003"
    both = lookup.find(code)
    assert sorted(d.applicant_name for d in both) == ["Phạm Thị Hồng", "Vũ Đức Thắng"]
    thang = next(d for d in both if d.applicant_name == "Vũ Đức Thắng")
    # a fresh number of that unit and day, above every number the old systems issued that day (0001–0003 may
    # name dossiers of a system not imported yet)
    assert thang.code == "000.04.01.H26-250611-0004"
    assert DossierAlias.objects.get(code=code, dossier=thang).source_system == samples.DVC
    # the second factor tells them apart on the public look-up
    assert lookup.public_lookup(code, "5666")["code"] == thang.code
    assert lookup.public_lookup(code, "3444")["code"] == code
    # the events of each system went to its own dossier
    assert list(thang.events.values_list("source_system", flat=True)) == [samples.DVC, samples.DVC]


def test_local_code_gets_a_national_code_and_stays_an_alias(merged):
    [xuan] = lookup.find("hndvc-2025-000123")
    assert xuan.code == "000.22.01.H26-250627-0001" and xuan.channel == 2
    assert xuan.status == Status.RECEIVED and xuan.procedure.code == "2.000884.000.00.00.H26"


def test_rerun_changes_nothing(merged, motcua_url, tmp_path):
    again = [run_mapping(Mapping.from_dict(m), actor="system:test-import")
             for m in samples.mappings(motcua_url, tmp_path)]
    assert all(run.balanced for run in again)
    assert [run.totals["unchanged"] for run in again] == [5, 3, 11, 5]
    assert Dossier.objects.count() == 6 and DossierEvent.objects.count() == 14


def test_imported_dossiers_of_closed_agencies_are_handed_over(hanoi, merged):
    from hopnhat.dossiers import handover

    close_old_agencies(hanoi)
    report = handover.run()
    moved = {d["code"]: d["to"] for d in report["decisions"]}
    # Trần Thị Thu's land dossier at the abolished district: her Trúc Bạch address → Phường Ba Đình
    assert moved["000.00.01.H26-250612-0007"] == "000.00.04.H26"
    [thu] = lookup.find("000.00.01.H26-250612-0007")
    timeline = lookup.describe(thu)["timeline"]
    assert [s["action"] for s in timeline] == ["receive", "process", "request_supplement", "handover"]
    assert timeline[-1]["agency"] == "UBND phường Ba Đình" and thu.status == Status.SUPPLEMENT
