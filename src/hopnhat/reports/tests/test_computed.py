"""Dossier figures come from the dossiers' own dashboard query, stored against each agency's unit."""

from decimal import Decimal

from hopnhat.dossiers.models import Status
from hopnhat.dossiers.tests.conftest import at, hanoi, procedures  # noqa: F401 — fixtures
from hopnhat.dossiers.tests.test_dashboard import _dossier
from hopnhat.reports import computed
from hopnhat.reports.models import DataValue, Indicator


def test_dossier_indicators_by_agency_and_period(hanoi, procedures):  # noqa: F811
    p = procedures
    agency = hanoi.ba_dinh
    assert agency.unit_id
    _dossier(agency, p.certify, at(2025, 9, 4, 9), Status.DONE, at(2025, 9, 5, 10))      # on time
    _dossier(agency, p.certify, at(2025, 9, 4, 9), Status.DONE, at(2025, 9, 12, 10))     # late
    _dossier(agency, p.certify, at(2025, 9, 10, 9), Status.PROCESSING, None)  # open, overdue by mid-October
    _dossier(agency, p.certify, at(2025, 12, 10, 9), Status.DONE, at(2025, 12, 11, 9))   # another quarter
    for code, source in (("HS01", "dossiers.received"), ("HS02", "dossiers.finished_on_time"),
                         ("HS03", "dossiers.overdue")):
        Indicator.objects.create(code=code, name=source, computed_from=source)
    out = computed.compute("2025Q3", today=at(2025, 10, 15).date())
    assert out["indicators"] == ["HS01", "HS02", "HS03"]

    def value(code, dis=""):
        return DataValue.objects.get(indicator__code=code, unit=agency.unit, period="2025Q3",
                                     disaggregation=dis, is_current=True).value

    assert (value("HS01"), value("HS02"), value("HS03")) == (Decimal(3), Decimal(1), Decimal(2))
    assert value("HS01", f"agency:{agency.code}") == Decimal(3)
    assert DataValue.objects.get(indicator__code="HS01", disaggregation="").source == "computed"
    # Run again: nothing changed, nothing stored twice.
    assert computed.compute("2025Q3", today=at(2025, 10, 15).date())["stored"] == 0


def test_documents_processed_on_time_by_agency_and_period(db):
    """Incoming documents with a due date, counted by the agency whose register holds them and by the period
    they were registered in (Vietnam time): done by the due date, done after it, still open past it. Outgoing
    ones, ones without a due date, another period and an agency without a unit do not count."""
    import datetime
    import zoneinfo

    from hopnhat.documents import actions
    from hopnhat.documents.models import Document, Entry, IncomingState, Kind
    from hopnhat.documents.tests.conftest import build_tq, incoming_meta
    from hopnhat.dossiers.tests.staffing import official
    from hopnhat.org.models import Level, Role, Vintage
    from hopnhat.org.testing import unit

    vn = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")

    def at(y, m, d, hh=9, mm=0):
        return datetime.datetime(y, m, d, hh, mm, tzinfo=vn)

    ag = build_tq()
    province = unit(Vintage.NEW, Level.PROVINCE, "08", "Tỉnh Tuyên Quang")
    for agency in (ag.tq, ag.noivu):
        agency.unit = province
        agency.save(update_fields=["unit"])
    clerk = official("vanthu.tq", "Hoàng Thị Lan", ag.tq, roles=(Role.DOC_CLERK,))
    leader = official("lanhdao.tq", "Nguyễn Văn Hải", ag.tq, roles=(Role.DOC_LEADER,))
    # One through the document system's own steps: registered in August, due 10/9, done today (late).
    entry = actions.register_incoming(clerk, ag.tq, incoming_meta(), at=at(2025, 8, 20))
    actions.assign(leader, entry, [(ag.vp, None, "lead")], due_date=datetime.date(2025, 9, 10))
    entry.refresh_from_db()
    actions.complete(leader, entry)

    seq = iter(range(101, 200))

    def imported(agency, registered, due, state=IncomingState.DONE, done=None, kind=Kind.INCOMING):
        n = next(seq)
        doc = Document.objects.create(code_notation="UBND-VP", code_number=str(n), subject=f"Về việc số {n}",
                                      issuer_name="UBND tỉnh Hà Giang")
        return Entry.objects.create(document=doc, agency=agency, kind=kind, registered_at=registered,
                                    state=state, due_date=due, done_at=done, source_system="qlvb-hagiang")

    imported(ag.tq, at(2025, 7, 2), datetime.date(2025, 7, 15), done=at(2025, 7, 15, 16))       # on time (last day)
    imported(ag.tq, at(2025, 7, 3), datetime.date(2025, 7, 15), done=at(2025, 7, 16, 8))        # late
    imported(ag.tq, at(2025, 9, 1), datetime.date(2025, 9, 20), state=IncomingState.PROCESSING)  # open, overdue
    imported(ag.tq, at(2025, 9, 29), datetime.date(2025, 10, 20), state=IncomingState.ASSIGNED)  # open, not yet due
    imported(ag.tq, at(2025, 9, 30, 23, 30), datetime.date(2025, 10, 1), done=None)             # done, time unknown
    imported(ag.tq, at(2025, 10, 1, 0, 30), datetime.date(2025, 10, 3), done=at(2025, 10, 2))  # next quarter (VN day)
    imported(ag.tq, at(2025, 8, 5), None, state=IncomingState.REGISTERED)                       # no due date
    imported(ag.tq, at(2025, 8, 5), datetime.date(2025, 8, 6), kind=Kind.OUTGOING, state="issued")
    imported(ag.noivu, at(2025, 8, 7), datetime.date(2025, 8, 20), done=at(2025, 8, 19))        # Sở Nội vụ, on time
    imported(ag.hg, at(2025, 8, 8), datetime.date(2025, 8, 20), done=at(2025, 8, 30))           # no unit: skipped
    for code, source in (("VB01", "documents.received"), ("VB02", "documents.done_on_time"),
                         ("VB03", "documents.overdue"), ("VB04", "documents.open_overdue")):
        Indicator.objects.create(code=code, name=source, computed_from=source)

    out = computed.compute("2025Q3", today=datetime.date(2025, 10, 15))
    assert out["indicators"] == ["VB01", "VB02", "VB03", "VB04"]
    assert out["skipped_agencies"] == [ag.hg.code]

    def value(code, dis=""):
        return DataValue.objects.get(indicator__code=code, unit=province, period="2025Q3", disaggregation=dis,
                                     is_current=True).value

    # UBND tỉnh: 6 received (flow + 5 imported in Q3 with a due date); on time 1; late 2 (flow, 16/7) + open
    # past its due date on 30/9 (the quarter's end, not the day of computing) 1 = overdue 3.
    assert [value(c, f"agency:{ag.tq.code}") for c in ("VB01", "VB02", "VB03", "VB04")] == [6, 1, 3, 1]
    assert [value(c, f"agency:{ag.noivu.code}") for c in ("VB01", "VB02", "VB03")] == [1, 1, 0]
    assert [value(c) for c in ("VB01", "VB02", "VB03", "VB04")] == [7, 2, 3, 1]
    assert computed.compute("2025Q3", today=datetime.date(2025, 10, 15))["stored"] == 0
    # The next quarter holds the document registered at 00:30 on 1 October, Vietnam time.
    computed.compute("2025Q4", today=datetime.date(2025, 12, 31))
    assert DataValue.objects.get(indicator__code="VB02", unit=province, period="2025Q4", disaggregation="").value == 1
