"""Số đến and số đi are never given twice, even when văn thư at several desks register at the same moment (both
databases: the register row is locked for the increment), and a number an imported entry holds is skipped."""

import threading

import pytest
from django.db import connection

from hopnhat.documents import actions, registers
from hopnhat.documents.models import Document, Entry, Kind, Register

from .conftest import at, build_tq, incoming_meta

THREADS, EACH = 6, 5


def _parallel(work) -> list:
    errors = []

    def run(i):
        try:
            work(i)
        except Exception as exc:  # noqa: BLE001 — reported below with the thread's failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_never_share_a_number():
    tq = build_tq(close=False)
    numbers = []

    def work(i):
        for j in range(EACH):
            entry = actions.register_incoming("system:test", tq.tq, incoming_meta(number=f"{i * 100 + j}/TB-SNV"),
                                              at=at(2025, 8, 1))
            numbers.append(entry.number)

    assert _parallel(work) == []
    assert sorted(numbers) == list(range(1, THREADS * EACH + 1))
    assert Register.objects.get(agency=tq.tq, kind=Kind.INCOMING, year=2025).last_number == THREADS * EACH
    assert Register.objects.filter(agency=tq.tq).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_issue_numbers_never_repeat():
    tq = build_tq(close=False)
    entries = [actions.draft("system:test", tq.tq, {"code_notation": "QĐ-UBND", "subject": f"Quyết định {i}"})
               for i in range(THREADS * 2)]

    def work(i):
        for entry in entries[i * 2:(i + 1) * 2]:
            for name in ("review", "approve", "sign", "number"):
                actions.step("system:test", entry, name)

    assert _parallel(work) == []
    got = sorted(int(d.code_number) for d in Document.objects.all())
    assert got == list(range(1, THREADS * 2 + 1))
    assert len({d.number for d in Document.objects.all()}) == THREADS * 2


@pytest.mark.django_db
def test_imported_number_is_skipped():
    tq = build_tq(close=False)
    register = registers.register_for(tq.tq, Kind.INCOMING, 2025)
    doc = Document.objects.create(subject="Đã nhập từ hệ thống cũ")
    Entry.objects.create(document=doc, register=register, agency=tq.tq, kind=Kind.INCOMING, number=2)
    assert registers.next_number(tq.tq, Kind.INCOMING, 2025)[1] == 1
    assert registers.next_number(tq.tq, Kind.INCOMING, 2025)[1] == 3
    registers.take_number(register, 40)
    assert registers.next_number(tq.tq, Kind.INCOMING, 2025)[1] == 41
