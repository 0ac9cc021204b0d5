"""A staff form is applied once however often it is sent (issue 18, core.idempotency): the hidden one-time token
of every staff POST form of dossiers and documents, checked by one decorator; a repeat — nginx passing a step on
after a killed worker, a double click, the browser's resend — gets the first answer and changes nothing."""

import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hopnhat.core.idempotency import FIELD
from hopnhat.core.models import FormSubmission
from hopnhat.documents import actions as doc_actions
from hopnhat.documents.models import Event as DocumentEvent
from hopnhat.dossiers.models import Action, AgencyPolicy, Dossier, DossierEvent

from .staffing import ALL_STEPS, PASSWORD, client_for, official

APPS = Path(__file__).resolve().parents[2]


def _tokens(html: str) -> list[str]:
    return re.findall(rf'name="{FIELD}" value="([^"]+)"', html)


def _form_token(html: str, action: str) -> str:
    """The token inside the form that posts to `action`."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert form, f"no form posting to {action}"
    return _tokens(form.group(0))[0]


@pytest.fixture
def ward(hanoi, procedures):
    AgencyPolicy.objects.create(agency=hanoi.ngoc_ha, four_eyes=False)
    user = official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=ALL_STEPS)
    return user, hanoi, procedures


def _reception(hanoi, procedures, token: str | None) -> dict:
    data = {"agency": hanoi.ngoc_ha.pk, "procedure": procedures.birth.code, "applicant_name": "Trần Thị Thu Hường",
            "phone": "0912 345 678", "id_number": "001190012345", "address": "Số 3 Liễu Giai, Phường Ngọc Hà",
            "channel": "1", "papers": "Tờ khai đăng ký khai sinh; 1\nGiấy chứng sinh; 1"}
    return {**data, FIELD: token} if token else data


@pytest.mark.django_db
def test_a_reception_sent_twice_makes_one_dossier_and_answers_the_first_result(ward):
    user, hanoi, procedures = ward
    c = client_for(user)
    token = _tokens(c.get("/ho-so/can-bo/tiep-nhan/").content.decode())[0]
    first = c.post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, token))
    again = c.post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, token))
    dossier = Dossier.objects.get(applicant_name="Trần Thị Thu Hường")
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"] == f"/ho-so/can-bo/{dossier.pk}/?moi=1"
    assert again["X-Form-Once"] == "replayed"
    # a page rendered by the previous release has no token: served as before (two receptions are two dossiers)
    c.post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, None))
    assert Dossier.objects.filter(applicant_name="Trần Thị Thu Hường").count() == 2


@pytest.mark.django_db
def test_a_step_retried_gets_the_first_answer_not_a_refusal(ward):
    user, hanoi, procedures = ward
    from hopnhat.dossiers import actions

    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Lý Văn Tú",
                        phone="0987654321")
    actions.transition(user, d, Action.ASSIGN, assignee=user)
    c = client_for(user)
    url = f"/ho-so/can-bo/{d.pk}/process/"
    token = _form_token(c.get(f"/ho-so/can-bo/{d.pk}/").content.decode(), url)
    first = c.post(url, {"note": "Đã nhận đủ giấy tờ", FIELD: token})
    retry = c.post(url, {"note": "Đã nhận đủ giấy tờ", FIELD: token})
    assert first.status_code == retry.status_code == 302 and retry["Location"] == first["Location"]
    assert DossierEvent.objects.filter(dossier=d, action=Action.PROCESS).count() == 1
    # a new form (a fresh token) is a new request: the platform refuses the step already taken
    fresh = _form_token(c.get(f"/ho-so/can-bo/{d.pk}/?xong=process").content.decode(),
                        f"/ho-so/can-bo/{d.pk}/approve/")
    refused = c.post(url, {"note": "lần nữa", FIELD: fresh})
    assert refused.status_code in (403, 409)


@pytest.mark.django_db
def test_the_first_answer_is_replayed_even_when_it_was_a_refusal(ward):
    """A 400 page stays the answer of that form: the form on it carries new tokens to send again with."""
    user, hanoi, procedures = ward
    from hopnhat.dossiers import actions

    d = actions.receive("system:test", agency=hanoi.ngoc_ha, procedure=procedures.birth, applicant_name="Lý Văn Tú",
                        phone="0987654321")
    c = client_for(user)
    first = c.post(f"/ho-so/can-bo/{d.pk}/request_supplement/", {"note": "", FIELD: "a" * 32})
    again = c.post(f"/ho-so/can-bo/{d.pk}/request_supplement/", {"note": "", FIELD: "a" * 32})
    assert first.status_code == again.status_code == 400 and again.content == first.content
    assert "Nội dung là bắt buộc" in again.content.decode()
    assert set(_tokens(again.content.decode())).isdisjoint({"a" * 32})


@pytest.mark.django_db
def test_tokens_are_per_person_per_address_and_well_formed(ward, hanoi):
    user, hanoi, procedures = ward
    other = official("le.van.tam", "Lê Văn Tâm", hanoi.ngoc_ha, roles=ALL_STEPS)
    token = "form-once-0001-shared-value"
    a = client_for(user).post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, token))
    b = client_for(other).post("/ho-so/can-bo/tiep-nhan/", {**_reception(hanoi, procedures, token),
                                                             "applicant_name": "Hoàng Văn Nam"})
    assert a.status_code == b.status_code == 302 and a["Location"] != b["Location"]
    assert "X-Form-Once" not in b     # another person's form is theirs, never someone else's answer
    assert Dossier.objects.filter(applicant_name__in=["Trần Thị Thu Hường", "Hoàng Văn Nam"]).count() == 2
    d = Dossier.objects.get(applicant_name="Hoàng Văn Nam")
    elsewhere = client_for(user).post(f"/ho-so/can-bo/{d.pk}/process/", {"note": "x", FIELD: token})
    assert elsewhere.status_code == 409 and "/ho-so/can-bo/tiep-nhan/" in elsewhere.content.decode()
    bad = client_for(user).post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, "x' OR 1=1 --"))
    assert bad.status_code == 400 and "không hợp lệ" in bad.content.decode()
    assert FormSubmission.objects.count() == 2


@pytest.mark.django_db
def test_a_document_direction_sent_twice_is_one_direction(tq_documents):
    from django.urls import reverse

    tq, staff, entry = tq_documents
    c = client_for(staff.leader)
    url = reverse("documents:act", args=[entry.pk, "direction"])
    token = _form_token(c.get(reverse("documents:entry", args=[entry.pk])).content.decode(), url)
    for _ in range(2):
        answer = c.post(url, {"note": "Đề nghị Văn phòng tham mưu trước ngày 15/3", FIELD: token})
        assert answer.status_code == 302
    assert DocumentEvent.objects.filter(entry=entry, action="direction").count() == 1


@pytest.fixture
def tq_documents(db):
    from hopnhat.documents.tests.conftest import build_tq, incoming_meta
    from hopnhat.org.models import Role

    tq = build_tq()
    clerk = official("vanthu.tq", "Hoàng Thị Lan", tq.tq, roles=(Role.DOC_CLERK,), title="Văn thư")
    leader = official("lanhdao.tq", "Nguyễn Văn Hải", tq.tq, roles=(Role.DOC_LEADER,), title="Phó Chủ tịch")
    officer = official("chuyenvien.vp", "Trần Minh Đức", tq.vp, title="Chuyên viên")
    entry = doc_actions.register_incoming(clerk, tq.tq, incoming_meta())
    doc_actions.assign(leader, entry, [(tq.vp, officer, "lead")])

    class Staff:
        pass

    staff = Staff()
    staff.clerk, staff.leader, staff.officer = clerk, leader, officer
    return tq, staff, entry


def _views(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _views(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_staff_post_form_of_dossiers_and_documents_carries_the_token_and_is_checked():
    # every form posting in the staff templates carries {% form_once %} ...
    templates = [*(APPS / "dossiers" / "templates" / "dossiers" / "staff").glob("*.html"),
                 *(APPS / "documents" / "templates" / "documents").glob("*.html")]
    forms = [(t.name, f) for t in templates for f in re.findall(r'<form method="post".*?</form>', t.read_text(),
                                                                 re.S | re.I)]
    assert len(forms) >= 8
    missing = [name for name, f in forms if "{% form_once %}" not in f]
    assert not missing, f"staff forms without {{% form_once %}}: {missing}"
    # ... and every view they post to is wrapped in once_per_form
    posting = {"ho-so/can-bo/<int:pk>/<slug:action>/", "ho-so/can-bo/tiep-nhan/", "ho-so/can-bo/dvcqg/",
               "van-ban/moi/<str:kind>/", "van-ban/<int:pk>/<slug:action>/", "van-ban/quy-tac/",
               "ho-so/can-bo/danh-muc/khac-biet/"}
    views = dict(_views(get_resolver()))
    assert posting <= set(views)
    unchecked = [route for route in posting if not getattr(views[route], "once_per_form", False)]
    assert not unchecked, f"staff POST views without once_per_form: {unchecked}"


@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_at_once_by_two_workers_is_applied_once(hanoi, procedures):
    """Two requests with one token in flight together (nginx's retry while the first still runs): the unique
    token makes the second wait for the first and answer with its result."""
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers: PostgreSQL (SQLite serialises the whole transaction anyway)")
    user = official("ngo.thi.mai", "Ngô Thị Mai", hanoi.ngoc_ha, title="Công chức một cửa", roles=ALL_STEPS)
    token = "concurrent-0123456789abcdef"
    answers, barrier = [], threading.Barrier(2)

    def send():
        client = Client()
        client.login(username=user.username, password=PASSWORD)
        barrier.wait()
        answers.append(client.post("/ho-so/can-bo/tiep-nhan/", _reception(hanoi, procedures, token)))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Dossier.objects.filter(applicant_name="Trần Thị Thu Hường").count() == 1
