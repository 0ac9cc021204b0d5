"""Codes old systems issued are reserved with the allocator's own lock (issue 12, item 7): a reception that asks
for a number while an import is reserving that day's issued numbers waits for it, then numbers above them."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from hopnhat.dossiers.codes import next_code, parts, reserve_issued
from hopnhat.dossiers.models import DailyCounter
from hopnhat.org.models import Agency

DAY = datetime.date(2025, 6, 16)


def test_parts_of_a_national_code():
    assert parts(" 000.22.01.h26-250616-0042 ") == ("000.22.01.H26", DAY, 42)
    assert parts("BD/2025/00001") is None and parts("000.22.01.H26-251332-0001") is None


@pytest.mark.django_db
def test_reserving_raises_each_counter_to_the_highest_number_issued_and_never_lowers_it():
    agency = Agency.objects.create(code="000.22.01.H26", name="UBND phường Đội Cấn")
    reserve_issued(["000.22.01.H26-250616-0007", "000.22.01.H26-250616-0003", "HNDVC-2025-1",
                    "000.04.01.H26-250616-0002"])
    assert next_code(agency, DAY) == "000.22.01.H26-250616-0008"
    assert reserve_issued(["000.22.01.H26-250616-0005"]) == 0     # below the counter: nothing moves
    assert DailyCounter.objects.get(unit_code="000.04.01.H26", day=DAY).last == 2


@pytest.mark.django_db(transaction=True)
def test_a_reception_during_an_import_waits_for_the_reservation_and_numbers_above_it():
    agency = Agency.objects.create(code="000.22.01.H26", name="UBND phường Đội Cấn")
    reserved, release, got, errors = threading.Event(), threading.Event(), [], []

    def importing():
        try:
            with transaction.atomic():
                reserve_issued([f"000.22.01.H26-250616-{n:04d}" for n in range(1, 31)])
                reserved.set()
                release.wait(10)   # the batch goes on writing its dossiers and aliases
        except Exception as exc:  # noqa: BLE001 — reported to the test's thread
            errors.append(exc)
        finally:
            connection.close()

    def receiving():
        try:
            reserved.wait(10)
            got.append(next_code(agency, DAY))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=importing), threading.Thread(target=receiving)]
    for t in threads:
        t.start()
    assert reserved.wait(10)
    time.sleep(0.5)
    assert got == []          # the reception waits on the counter's lock
    release.set()
    for t in threads:
        t.join(20)
    assert errors == [] and got == ["000.22.01.H26-250616-0031"]
