"""The engine reads the source ahead of itself — in a thread, or in a forked process for sources of rows
(`separate_process`) — and either way a failure on either side still ends the run as before (FAILED, with what
the reader or the engine raised), the batches before it stay committed, and the reader and the source it was
reading are closed."""

import multiprocessing
import os
import threading

import pytest

from hopnhat.consolidation import api
from hopnhat.consolidation.engine import Progress, run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MigrationRun, RunStatus, StagedRecord
from hopnhat.org.models import Agency

pytestmark = pytest.mark.django_db


class _Agencies(api.Source):
    """Agency rows 1…n; with fail_at, the source breaks (a dropped connection) when asked for that row."""

    kind = "test-agencies"
    closed: list[str] = []

    def records(self, since=None):
        try:
            for i in range(1, self.config["rows"] + 1):
                if i == self.config.get("fail_at"):
                    raise ConnectionError(f"mất kết nối ở dòng {i} / connection lost at row {i}")
                yield api.SourceRecord(key=str(i), data={"ma": f"000.{i:02d}.07.H22", "ten": f"Phòng số {i}"})
        finally:
            _Agencies.closed.append(threading.current_thread().name)


api.register_source_kind("test-agencies", _Agencies)


def _mapping(**source) -> Mapping:
    return Mapping.from_dict({
        "system": "hr-reader-test", "stream": "agencies", "importer": "org.agencies",
        "source": {"kind": "test-agencies", **source}, "fields": {"code": "ma", "name": "ten"},
        "options": {"batch_size": 5},
    })


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "hopnhat-source-reader"]


def test_a_source_failing_in_the_reader_fails_the_run_after_the_batches_before_it():
    _Agencies.closed.clear()
    with pytest.raises(ConnectionError, match="dòng 13"):
        run_mapping(_mapping(rows=30, fail_at=13), actor="system:test")
    run = MigrationRun.objects.get(system="hr-reader-test")
    assert run.status == RunStatus.FAILED
    assert run.error == "ConnectionError: mất kết nối ở dòng 13 / connection lost at row 13"
    # Two whole batches (rows 1–10) went in; rows 11 and 12 were read but their batch never completed.
    assert sorted(StagedRecord.objects.filter(system="hr-reader-test").values_list("key", flat=True),
                  key=int) == [str(i) for i in range(1, 11)]
    assert Agency.objects.filter(code__endswith=".07.H22").count() == 10
    assert _Agencies.closed == ["hopnhat-source-reader"] and not _readers()


class _Stop(Progress):
    def advance(self, n):
        raise KeyboardInterrupt  # the operator's Ctrl-C, between two batches


def test_a_failure_in_the_engine_stops_the_reader_and_closes_the_source():
    _Agencies.closed.clear()
    with pytest.raises(KeyboardInterrupt):
        run_mapping(_mapping(rows=500), actor="system:test", progress=_Stop())
    assert StagedRecord.objects.filter(system="hr-reader-test").count() == 5  # the first batch, committed
    assert _Agencies.closed == ["hopnhat-source-reader"] and not _readers()


def test_a_whole_run_through_the_reader_stages_every_record_once_in_order():
    run = run_mapping(_mapping(rows=23), actor="system:test")
    assert run.status == RunStatus.FINISHED and run.balanced
    assert run.totals["read"] == run.totals["new"] == 23
    assert StagedRecord.objects.filter(system="hr-reader-test").count() == 23
    assert not _readers()


class _AgencyRows(_Agencies):
    """The same rows from a source that may be read in a process of its own (like SQL, CSV or Excel). The reader
    says which process read it, and that it closed the source, in a file: the engine's process cannot see the
    reader's memory. A row whose code cannot be mapped shows that mapping errors cross the pipe too."""

    kind = "test-agency-rows"
    separate_process = True

    def records(self, since=None):
        log = open(self.config["log"], "a")  # noqa: SIM115 — closed in finally, after the last record
        try:
            log.write(f"reading {os.getpid()}\n")
            log.flush()
            for record in super().records(since):
                if record.key == "4":
                    record.data["ngay"] = "2023-02-30"
                yield record
        finally:
            log.write(f"closed {os.getpid()}\n")
            log.close()


api.register_source_kind("test-agency-rows", _AgencyRows)


def _rows_mapping(tmp_path, **source) -> Mapping:
    mapping = _mapping(**source).as_dict()
    mapping["source"] = {"kind": "test-agency-rows", "log": str(tmp_path / "reader.log"), **source}
    mapping["fields"]["founded"] = {"from": "ngay", "type": "date"}
    return Mapping.from_dict(mapping)


def _reader_log(tmp_path) -> list[tuple[str, int]]:
    return [(word, int(pid)) for word, pid in
            (line.split() for line in (tmp_path / "reader.log").read_text().splitlines())]


def test_rows_are_read_in_another_process_and_every_one_is_staged_once(tmp_path):
    run = run_mapping(_rows_mapping(tmp_path, rows=23), actor="system:test")
    assert run.status == RunStatus.FINISHED
    # "founded" is mapped (to make record 4 fail) but org.agencies stores it nowhere and names no reason:
    # reconciliation says so instead of calling the run balanced.
    assert run.field_checks["founded"]["unaccounted"] and run.balanced is False
    assert run.totals["read"] == run.totals["new"] == 23
    assert run.totals["outcomes"] == {"loaded": 22, "merged": 0, "quarantined": 1, "filtered": 0}
    bad = StagedRecord.objects.get(system="hr-reader-test", key="4")
    assert "“founded”" in bad.reason and "2023-02-30" in bad.reason  # the MappingError, field and all
    (reading, reader_pid), (closing, closer_pid) = _reader_log(tmp_path)
    assert (reading, closing) == ("reading", "closed") and reader_pid == closer_pid != os.getpid()
    assert not multiprocessing.active_children() and not _readers()


def test_a_source_failing_in_the_reader_process_fails_the_run_after_the_batches_before_it(tmp_path):
    with pytest.raises(ConnectionError, match="dòng 13"):
        run_mapping(_rows_mapping(tmp_path, rows=30, fail_at=13), actor="system:test")
    run = MigrationRun.objects.get(system="hr-reader-test")
    assert run.status == RunStatus.FAILED
    assert run.error == "ConnectionError: mất kết nối ở dòng 13 / connection lost at row 13"
    assert sorted(StagedRecord.objects.filter(system="hr-reader-test").values_list("key", flat=True),
                  key=int) == [str(i) for i in range(1, 11)]
    assert [word for word, _ in _reader_log(tmp_path)] == ["reading", "closed"]
    assert not multiprocessing.active_children()


def test_a_failure_in_the_engine_ends_the_reader_process_and_closes_the_source(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run_mapping(_rows_mapping(tmp_path, rows=5000), actor="system:test", progress=_Stop())
    assert StagedRecord.objects.filter(system="hr-reader-test").count() == 5  # the first batch, committed
    # The reader found at its next hand-over that nobody reads any more and exited there, without finishing
    # the source (whose connection the kernel closes): it is gone, and it read in a process of its own.
    assert not multiprocessing.active_children()
    [(word, pid)] = _reader_log(tmp_path)
    assert word == "reading" and pid != os.getpid()
