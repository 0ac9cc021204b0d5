"""Merging two differently shaped old document systems (samples.py) through the consolidation engine, from two
MariaDB databases and their files on disk: every record accounted for, the document both systems hold is one
exchange with both histories, old actors kept (crosswalked where the staff import knows them), numbers in several
forms, a duplicate registration, missing and broken files named, TCVN3 text read as Unicode."""

import os
import uuid

import pymysql
import pytest
from django.db.models import Count

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import StagedRecord
from hopnhat.core import provenance
from hopnhat.documents import lookup, samples
from hopnhat.documents.models import Attachment, Blob, Document, Entry, Event, Exchange
from hopnhat.org.models import Person

pytestmark = pytest.mark.django_db
SERVER = {"host": "127.0.0.1", "port": 3306, "user": "root", "charset": "utf8mb4", "autocommit": True}


@pytest.fixture
def old_databases():
    names = [f"hn_docs_{tag}_{os.getpid()}_{uuid.uuid4().hex[:6]}" for tag in ("hg", "ys")]
    conn = pymysql.connect(**SERVER)
    conn.cursor().execute(f"CREATE DATABASE `{names[0]}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.cursor().execute(f"CREATE DATABASE `{names[1]}` CHARACTER SET latin1")
    urls = [f"mysql+pymysql://root@127.0.0.1:3306/{n}?charset=utf8mb4" for n in names]
    samples.write_hagiang(urls[0])
    samples.write_yenson(urls[1])
    yield urls
    for name in names:
        conn.cursor().execute(f"DROP DATABASE `{name}`")
    conn.close()


@pytest.fixture
def merged(tq, old_databases, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    hg_dir, ys_dir = tmp_path / "hagiang", tmp_path / "yenson"
    samples.write_files(hg_dir, ys_dir)
    # what the staff import of old Hà Giang left behind: two of its staff ids are known people
    for key, name in (("HG0012", "Trần Thị Hạnh"), ("HG0101", "Vương Thị Mai")):
        provenance.link(Person.objects.create(full_name=name), source_system=samples.HR_HAGIANG, source_key=key,
                        record={"id": key})
    maps = samples.mappings(*old_databases, hg_dir, ys_dir)
    return [run_mapping(Mapping.from_dict(m), actor="system:test-import") for m in maps], maps


def test_every_old_record_is_accounted_for(merged):
    runs, _ = merged
    assert all(run.balanced for run in runs)
    outcomes = [run.totals["outcomes"] for run in runs]
    assert outcomes[0] == {"loaded": 3, "merged": 1, "quarantined": 1, "filtered": 0}   # vanban
    assert outcomes[1] == {"loaded": 2, "merged": 0, "quarantined": 0, "filtered": 0}   # vb_den
    assert outcomes[2] == {"loaded": 2, "merged": 0, "quarantined": 0, "filtered": 0}   # vb_di
    assert outcomes[3] == {"loaded": 2, "merged": 0, "quarantined": 1, "filtered": 0}   # vanban_tep
    assert outcomes[4] == {"loaded": 7, "merged": 0, "quarantined": 1, "filtered": 0}   # vanban_xuly
    assert outcomes[5] == {"loaded": 7, "merged": 0, "quarantined": 0, "filtered": 0}   # lich_su
    empty = StagedRecord.objects.get(system=samples.HAGIANG, stream="vanban", outcome="quarantined")
    assert empty.key == "5" and "trích yếu" in empty.reason
    missing = StagedRecord.objects.get(system=samples.HAGIANG, stream="vanban_tep", outcome="quarantined")
    assert "2025/06/tb07.pdf" in missing.reason and "không tìm thấy" in missing.reason
    orphan = StagedRecord.objects.get(system=samples.HAGIANG, stream="vanban_xuly", outcome="quarantined")
    assert orphan.key == "8" and "99" in orphan.reason
    assert Document.objects.count() == 6 and Entry.objects.count() == 7   # 45/UBND-NC: one document, two sides


def test_document_in_both_systems_is_one_exchange_with_both_histories(merged, tq):
    [doc] = lookup.find("45/UBND-NC", issuer="UBND tỉnh Hà Giang")
    sides = {(e.kind, e.agency.code, e.source_system) for e in doc.entries.select_related("agency")}
    assert sides == {("outgoing", "000.00.00.H22", samples.HAGIANG), ("incoming", "000.00.36.H60", samples.YENSON)}
    exchange = Exchange.objects.get(document=doc)
    assert exchange.sender_entry.agency == tq.hg and exchange.receiver_entry.agency == tq.yenson
    steps = [(s["action"], s["source_system"]) for s in lookup.timeline(doc)]
    assert steps == [("draft", samples.HAGIANG), ("sign", samples.HAGIANG), ("issue", samples.HAGIANG),
                     ("register", samples.YENSON), ("direction", samples.YENSON), ("done", samples.YENSON)]
    # the same PDF in both systems is stored once
    assert doc.attachments.count() == 1 and Blob.objects.filter(attachments__document=doc).count() == 1
    assert "hop nhat tinh ha giang" in doc.content_text


def test_actors_kept_crosswalked_where_known(merged):
    [doc] = lookup.find("45/UBND-NC", issuer="000.00.00.H22")
    events = list(Event.objects.filter(document=doc).order_by("at", "seq", "id"))
    drafted = events[0]
    assert drafted.person is not None and drafted.person.full_name == "Trần Thị Hạnh"
    signed = events[1]
    assert signed.person is None and signed.actor_name == "Nguyễn Văn Sơn"
    # Yên Sơn's TCVN3 names and words read back as Unicode
    direction = next(e for e in events if e.action == "direction")
    assert direction.actor_name == "Hoàng Văn Thắng" and direction.note.startswith("Giao Phòng Nội vụ chủ trì")


def test_duplicate_registration_is_one_entry_answering_both_numbers(merged, tq):
    [doc] = lookup.find("7/TB-BNV")
    [entry] = doc.entries.all()
    assert entry.agency == tq.hg_noivu and entry.old_number == "87"
    assert lookup.find("87", year=2025) == [doc] and lookup.find("88/2025") == [doc]
    notes = [e.note for e in doc.events.all()]
    assert any("Đăng ký trùng" in n for n in notes) and any("lần hai" in n for n in notes)


def test_old_number_of_abolished_district_answers_with_its_whole_history(merged, tq):
    for query, issuer in (("125/UBND-VP", "UBND huyện Yên Sơn"), ("Số 125 /UBND-VP", "000.00.36.H60"),
                          ("125/UBND-VP", "UBND xã Yên Sơn")):   # …or its successor's name
        [doc] = lookup.find(query, issuer=issuer)
        assert doc.subject.startswith("Báo cáo tình hình thực hiện sắp xếp")
    data = lookup.describe(doc)
    assert [s["action"] for s in data["timeline"]][-4:] == ["draft", "sign", "issue", "send"]
    assert data["entries"][0]["agency_code"] == "000.00.36.H60" and data["entries"][0]["number"] == 125
    assert [a["name"] for a in data["attachments"]] == ["bc125.pdf", "bc125-phuluc.pdf"]


def test_missing_and_encrypted_files_are_named_and_the_rest_loads(merged):
    [qd] = lookup.find("15/QĐ-UBND", issuer="UBND tỉnh Tuyên Quang")
    assert qd.attachments.count() == 0
    assert any("den/2025/qd15.pdf" in e.note and "không tìm thấy" in e.note for e in qd.events.all())
    [cv] = lookup.find("126/UBND-VP")
    assert cv.attachments.count() == 0
    assert any("cv126.pdf" in e.note and "mã hóa" in e.note for e in cv.events.all())
    staged = StagedRecord.objects.get(system=samples.YENSON, stream="vb_di", key="2")
    assert staged.outcome == "loaded" and "cv126.pdf" in str(staged.detail["file_problems"])


def test_rerun_changes_nothing(merged):
    runs, maps = merged
    counts = (Document.objects.count(), Entry.objects.count(), Event.objects.count(), Attachment.objects.count())
    again = [run_mapping(Mapping.from_dict(m), actor="system:test-import") for m in maps]
    assert all(run.balanced for run in again)
    assert [run.totals["unchanged"] for run in again] == [5, 2, 2, 3, 8, 7]
    assert (Document.objects.count(), Entry.objects.count(), Event.objects.count(),
            Attachment.objects.count()) == counts


def _first_run(old_databases, tmp_path):
    hg_dir, ys_dir = tmp_path / "hagiang", tmp_path / "yenson"
    samples.write_files(hg_dir, ys_dir)
    return Mapping.from_dict(samples.mappings(*old_databases, hg_dir, ys_dir)[0])   # Hà Giang's vanban


@pytest.mark.parametrize(("target", "change"), [
    ("document__subject", {"subject": "V/v phối hợp chuẩn bị hợp nhất tỉnh Hà Giang"}),   # cut short
    ("document__signer_name", {"signer_name": "Nguyen Van Son"}),                           # diacritics lost
    ("document__signer_position", {"signer_position": ""}),                                 # dropped
])
def test_metadata_changed_on_the_document_unbalances_the_run(tq, old_databases, tmp_path, settings, monkeypatch,
                                                             target, change):
    """The trích yếu, signer and position live on the document every register side shares, not on the entry the
    record's outcome names: they are compared there, so a value the document does not hold as the source said
    leaves the run unbalanced and names the record."""
    from hopnhat.documents.importers import DocumentImporter

    settings.MEDIA_ROOT = tmp_path / "media"
    original = DocumentImporter.import_batch

    def lossy(self, items, ctx):   # after the batch's rows are written (new documents go in together at its end)
        outcomes = original(self, items, ctx)
        for (record, _), outcome in zip(items, outcomes, strict=True):
            if record.key == "1" and outcome.status == "loaded":   # công văn 45/UBND-NC
                Document.objects.filter(entries__pk=outcome.target.pk).update(**change)
        return outcomes

    monkeypatch.setattr(DocumentImporter, "import_batch", lossy)
    run = run_mapping(_first_run(old_databases, tmp_path), actor="system:test-import")
    check = run.field_checks[target]
    assert not run.balanced
    assert check["mismatched"] == 1 and check["samples"][0]["key"] == "1"
    assert check["samples"][0]["source"] != check["samples"][0]["target"]
    others = [name for name, c in run.field_checks.items() if name != target and c["mismatched"]]
    assert others == []


def test_old_register_number_is_compared_with_the_entry(tq, old_databases, tmp_path, settings, monkeypatch):
    from hopnhat.documents.importers import DocumentImporter

    settings.MEDIA_ROOT = tmp_path / "media"
    original = DocumentImporter.import_batch

    def lossy(self, items, ctx):
        outcomes = original(self, items, ctx)
        for (record, _), outcome in zip(items, outcomes, strict=True):
            if record.key == "4" and outcome.status == "loaded":
                Entry.objects.filter(pk=outcome.target.pk).update(old_number="3")   # a digit lost
        return outcomes

    monkeypatch.setattr(DocumentImporter, "import_batch", lossy)
    run = run_mapping(_first_run(old_databases, tmp_path), actor="system:test-import")
    assert not run.balanced
    assert run.field_checks["old_number"]["samples"] == [{"key": "4", "source": "30", "target": "3"}]
    assert "subject" not in run.field_checks and "register_number" not in run.field_checks


def test_read_back_follows_a_path_to_the_related_record(tq):
    """reconciliation.read_back compares a field through the target's foreign key in the one query per batch
    (a join on PostgreSQL), text, number and date columns alike; only differing or missing targets come back."""
    import datetime

    from hopnhat.consolidation.reconciliation import read_back

    doc = Document.objects.create(code_number="15", code_notation="QĐ-UBND", subject="Về việc giao biên chế",
                                  urgency=2, issued_date=datetime.date(2025, 5, 25))
    entry = Entry.objects.create(document=doc, agency=tq.tq, kind="incoming", old_number="211")
    fields = ["document__subject", "document__urgency", "document__issued_date", "old_number"]
    same = ["Về việc giao biên chế", "2", "2025-05-25", "211"]
    assert read_back(Entry, fields, {str(entry.pk): same}) == {}
    for i, wrong in enumerate(["Về việc giao biên chế năm 2025", "0", "2025-05-26", "21"]):
        expected = [*same[:i], wrong, *same[i + 1:]]
        differing = read_back(Entry, fields, {str(entry.pk): expected})
        assert list(differing) == [str(entry.pk)] and differing[str(entry.pk)]["document__subject"] == doc.subject
    assert read_back(Entry, fields, {"987654": same}) == {"987654": None}
    with pytest.raises(ValueError, match="not a forward foreign key"):
        read_back(Entry, ["numbers__key"], {str(entry.pk): ["1"]})


def _outcomes(run):
    return {s.key: (s.outcome, s.reason) for s in StagedRecord.objects.filter(last_run=run)}


def test_a_bad_record_in_a_batch_is_quarantined_alone_without_redoing_the_batch(tq, old_databases, tmp_path,
                                                                              settings, caplog):
    """A record's own problem (here a holding agency the platform does not know) is found before it writes anything:
    it is quarantined with its reason and every other record of the batch loads in the batch's one pass."""
    settings.MEDIA_ROOT = tmp_path / "media"
    hg_dir, ys_dir = tmp_path / "hagiang", tmp_path / "yenson"
    samples.write_files(hg_dir, ys_dir)
    spec = samples.mappings(*old_databases, hg_dir, ys_dir)[0]
    spec["value_maps"] = {**spec["value_maps"], "donvi": {**spec["value_maps"]["donvi"], "HG-SXD": "000.00.99.H22"}}
    conn = pymysql.connect(**SERVER, database=old_databases[0].split("/")[-1].split("?")[0])
    conn.cursor().execute("UPDATE vanban SET don_vi = 'HG-SXD' WHERE id = 2")   # a code the platform lacks
    conn.close()
    with caplog.at_level("WARNING", logger="hopnhat.consolidation.engine"):
        run = run_mapping(Mapping.from_dict(spec), actor="system:test-import")
    assert "bulk import failed" not in caplog.text
    outcomes = _outcomes(run)
    assert outcomes["2"][0] == "quarantined" and "agency not found" in outcomes["2"][1]
    # record 3 repeats record 2 (a duplicate registration): with 2 quarantined it loads on its own
    assert run.totals["outcomes"] == {"loaded": 3, "merged": 0, "quarantined": 2, "filtered": 0}
    assert run.balanced


def test_a_batch_that_fails_is_redone_record_by_record_with_nothing_half_written(tq, old_databases, tmp_path,
                                                                                settings, monkeypatch, caplog):
    """An unexpected error after a record wrote its rows rolls the whole batch back (registers it opened too);
    the engine then imports record by record, so only that record is quarantined and the register counters
    stay past every number the loaded entries hold."""
    from hopnhat.documents.importers import DocumentImporter
    from hopnhat.documents.models import Register

    settings.MEDIA_ROOT = tmp_path / "media"
    original = DocumentImporter.import_record

    def breaks_on_3(self, record, mapped, ctx):
        outcome = original(self, record, mapped, ctx)
        if record.key == "3":
            raise RuntimeError("ổ đĩa đầy / disk full")
        return outcome

    monkeypatch.setattr(DocumentImporter, "import_record", breaks_on_3)
    with caplog.at_level("WARNING", logger="hopnhat.consolidation.engine"):
        run = run_mapping(_first_run(old_databases, tmp_path), actor="system:test-import")
    assert "bulk import failed" in caplog.text
    outcomes = _outcomes(run)
    assert outcomes["3"][0] == "quarantined" and "disk full" in outcomes["3"][1]
    loaded = [key for key, (outcome, _) in outcomes.items() if outcome in ("loaded", "merged")]
    assert len(loaded) == 3
    # nothing of record 3 survives, nothing of the others twice
    assert Entry.objects.count() == run.totals["outcomes"]["loaded"]
    per_record = Entry.objects.values("source_system", "old_number").annotate(n=Count("id"))
    assert not per_record.filter(n__gt=1).exists()
    for register in Register.objects.all():
        held = list(register.entries.exclude(number=None).values_list("number", flat=True))
        assert register.last_number >= max(held, default=0)


# One old system's văn bản đến/đi as a CSV, messy the way a batch can meet itself: the same document by its
# document ID under a mistyped number, one number typed three ways, a duplicate registration, an outgoing
# document and its incoming copy at a sibling agency, issuers by old and new codes of one lineage.
BATCH_CSV = """id,loai,don_vi,so,nam,so_ky_hieu,noi_ban_hanh,ngay_ban_hanh,trich_yeu,ma_dinh_danh
1,incoming,000.00.02.H60,12,2025,15/QĐ-BNV,Bộ Nội vụ,2025-06-01,V/v sắp xếp tổ chức bộ máy,BNV.2025.0015
2,incoming,000.00.03.H60,40,2025,Số 15 / QĐ-BNV,Bộ Nội vụ,2025-06-01,V/v sắp xếp tổ chức bộ máy,
3,incoming,000.00.01.H60,7,2025,51/QĐ-BNV,Bộ Nội vụ,2025-06-01,V/v sắp xếp tổ chức bộ máy,BNV.2025.0015
4,incoming,000.00.02.H60,13,2025,15/QĐ-BNV,Bộ Nội vụ,2025-06-01,V/v sắp xếp tổ chức bộ máy,
5,outgoing,000.00.00.H60,101,2025,88/UBND-NC,,2025-06-05,V/v phối hợp bàn giao hồ sơ,
6,incoming,000.00.02.H60,14,2025,88/UBND-NC,UBND tỉnh Hà Giang,2025-06-05,V/v phối hợp bàn giao hồ sơ,
7,incoming,000.00.02.H60,15,2025,88 /UBND-NC,000.00.00.H60,2025-06-06,V/v phối hợp bàn giao hồ sơ,
8,incoming,000.00.02.H60,16,2025,15/QĐ-BNV,Bộ Nội vụ,2024-06-01,Năm trước: số trùng nhưng khác năm,
9,outgoing,000.00.02.H60,201,2025,09/SNV-TCBM,,2025-06-08,V/v cử cán bộ,
10,incoming,000.00.00.H60,102,2025,9/SNV-TCBM,000.00.02.H22,2025-06-08,V/v cử cán bộ,
"""


def _document_state() -> list:
    """The documents, entries, numbers and exchanges an import left, by their content (no database ids)."""
    from hopnhat.documents.models import DocumentNumber, Register

    docs = {d.pk: (d.number_key, d.doc_id or "", d.subject, str(d.issued_date), d.issuer_name)
            for d in Document.objects.all()}
    entries = {e.pk: (docs[e.document_id], e.agency.code, e.kind, e.number, e.old_number, e.state, e.issuer_as_written)
               for e in Entry.objects.select_related("agency")}
    numbers_ = sorted((docs[n.document_id], n.key, n.scheme, n.year or 0, n.as_written,
                       entries[n.entry_id] if n.entry_id else ()) for n in DocumentNumber.objects.all())
    exchanges = sorted((entries[x.sender_entry_id], entries[x.receiver_entry_id])
                       for x in Exchange.objects.all())
    counters = sorted((r.agency.code, r.kind, r.year, r.last_number) for r in Register.objects.all())
    return [sorted(docs.values()), sorted(entries.values()), numbers_, exchanges, counters]


@pytest.mark.django_db(transaction=False)
def test_the_batch_path_leaves_what_the_record_by_record_path_leaves(tq, tmp_path, settings, monkeypatch, caplog):
    """Differential: the same messy file through import_batch (batch of 100 and of 3) and through the engine's
    savepoint-per-record path must leave the same documents, sides, numbers, exchanges and register counters."""
    from django.db import transaction

    from hopnhat.consolidation.api import DomainImporter
    from hopnhat.documents.importers import DocumentImporter

    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "vanban.csv").write_text(BATCH_CSV, encoding="utf-8")

    def run(batch_size):
        spec = {"system": "qlvb-csv", "stream": "vanban", "importer": "documents.document",
                "source": {"kind": "csv", "path": str(tmp_path / "vanban.csv"), "key": "id"},
                "fields": {"kind": "loai", "agency": "don_vi", "register_number": "so", "register_year": "nam",
                           "number": "so_ky_hieu", "issuer": "noi_ban_hanh",
                           "issued_date": {"from": "ngay_ban_hanh", "type": "date"}, "subject": "trich_yeu",
                           "doc_id": "ma_dinh_danh"},
                "options": {"batch_size": batch_size}}
        with transaction.atomic():
            result = run_mapping(Mapping.from_dict(spec), actor="system:test-import")
            state = _document_state(), result.totals["outcomes"], result.balanced, {
                name: check["samples"] for name, check in result.field_checks.items() if check["mismatched"]}
            transaction.set_rollback(True)
        return state

    with caplog.at_level("WARNING", logger="hopnhat.consolidation.engine"):
        in_batches = [run(100), run(3)]
    assert "bulk import failed" not in caplog.text    # the batch path itself, not the engine's retry, gave them
    monkeypatch.setattr(DocumentImporter, "import_batch", DomainImporter.import_batch)
    one_by_one = run(100)
    assert in_batches[0] == one_by_one and in_batches[1] == one_by_one
    (docs, entries, _, exchanges, _), outcomes, balanced, mismatched = one_by_one
    # the receivers wrote the issuer by its pre-merger name and by an old code: the document they share holds the
    # issuer's own name, each side what its register wrote (compared there), so the run balances
    assert balanced and mismatched == {}
    written = {(entry[1], entry[3]): entry[-1] for entry in entries}    # (agency, number) -> issuer as written
    assert written[("000.00.02.H60", 14)] == "UBND tỉnh Hà Giang" and written[("000.00.00.H60", 102)] == "000.00.02.H22"
    assert outcomes == {"loaded": 8, "merged": 2, "quarantined": 0, "filtered": 0}
    # 15/QĐ-BNV: three agencies' sides (record 3 through its document ID under a mistyped number) and one
    # duplicate registration; last year's 15/QĐ-BNV is another document; 88/UBND-NC and 09/SNV-TCBM each an
    # outgoing side and an incoming one (the issuer by its name in the merged province, by an old code), linked.
    assert len(docs) == 4 and len(entries) == 8 and len(exchanges) == 2


def test_new_documents_are_written_a_batch_at_a_time(tq, tmp_path, settings):
    """Round trips, not seconds (a database on another machine pays its network latency for each): 300 new
    documents in one batch take a handful of statements, where one record at a time took about nine each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.MEDIA_ROOT = tmp_path / "media"
    rows = ["id,loai,don_vi,so,nam,so_ky_hieu,noi_ban_hanh,ngay_ban_hanh,trich_yeu"]
    rows += [f"{i},incoming,000.00.02.H60,{i},2025,{i}/QĐ-BNV,Bộ Nội vụ,2025-06-01,V/v văn bản số {i}"
             for i in range(1, 301)]
    (tmp_path / "vanban.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = {"system": "qlvb-csv", "stream": "vanban", "importer": "documents.document",
            "source": {"kind": "csv", "path": str(tmp_path / "vanban.csv"), "key": "id"},
            "fields": {"kind": "loai", "agency": "don_vi", "register_number": "so", "register_year": "nam",
                       "number": "so_ky_hieu", "issuer": "noi_ban_hanh",
                       "issued_date": {"from": "ngay_ban_hanh", "type": "date"}, "subject": "trich_yeu"},
            "options": {"batch_size": 500}}
    with CaptureQueriesContext(connection) as statements:
        run = run_mapping(Mapping.from_dict(spec), actor="system:test-import")
    assert run.balanced and run.totals["outcomes"]["loaded"] == 300
    assert Entry.objects.filter(source_system="qlvb-csv").count() == 300
    assert len(statements) < 150, len(statements)     # was about 2,700 (nine per record)
