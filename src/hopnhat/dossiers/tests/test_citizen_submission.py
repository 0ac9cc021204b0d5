"""Online submission as one unit of work (issue 17): the same submission token posted twice is one dossier; a paper
uploaded resumably (tus 1.0.0) and cut off half-way resumes into one dossier; a request killed in the middle of
registration leaves nothing half-written; the procedure's own e-form is rendered, validated, kept with the dossier
and shown to staff; the unit administrator decides the catalogue's differences on a web page."""

import base64
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.models import AuditEntry
from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import catalogue_samples, online, uploads
from hopnhat.dossiers.models import (
    CatalogueConflict,
    DailyCounter,
    Dossier,
    OnlineSubmission,
    Procedure,
    SubmittedFile,
    UploadSession,
)
from hopnhat.org.models import Role, RoleAssignment

from .conftest import close_old_agencies

pytestmark = pytest.mark.django_db
ID = "001085012345"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"% padding line of a scanned paper\n" * 40000 + b"trailer<<>>\n%%EOF\n"
FORM = {"f-ho_chu_dem_ten_cua_tre": "Nguyễn Minh An", "f-ngay_thang_nam_sinh_cua_tre": "2025-11-03",
        "f-gioi_tinh": "Nam", "f-noi_sinh": "Bệnh viện Phụ sản Hà Nội", "f-quan_he_voi_tre": "Mẹ"}


@pytest.fixture
def ready(hanoi, settings, tmp_path):
    close_old_agencies(hanoi)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for m in catalogue_samples.mappings(tmp_path / "catalogue"):
        run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
    user = get_user_model().objects.create(username="vneid-" + keyed_hash(ID), first_name="Nguyễn Thị Lan")
    return hanoi, user


def _post(client, key, *, files=True, **extra):
    data = {"key": key, "applicant_name": "Nguyễn Thị Lan", "phone": "0912000111",
            "place": "Phường Trúc Bạch, Quận Ba Đình", **FORM, **extra}
    if files:
        data["paper-0"] = io.BytesIO(PDF)
        data["paper-0"].name = "to-khai.pdf"
    return client.post("/ho-so/thu-tuc/1.001193/nop/", data)


def test_the_catalogues_eform_cell_becomes_fields():
    from hopnhat.dossiers import eform

    fields = eform.parse_fields("Họ tên*; Ngày sinh*: ngày; Giới tính: Nam | Nữ; Ghi chú: văn bản dài; Số bản: số")
    assert [(f["key"], f["type"], f["required"]) for f in fields] == [
        ("ho_ten", "text", True), ("ngay_sinh", "date", True), ("gioi_tinh", "choice", False),
        ("ghi_chu", "textarea", False), ("so_ban", "number", False)]
    with pytest.raises(eform.EformError, match="“Tuổi”: kiểu “màu”"):
        eform.parse_fields("Tuổi: màu")


def test_a_submission_posted_twice_with_one_token_is_one_dossier(ready, client):
    hanoi, user = ready
    client.force_login(user)
    page = client.get("/ho-so/thu-tuc/1.001193/nop/")
    key = page.context["key"]
    assert 'name="f-ngay_thang_nam_sinh_cua_tre"' in page.content.decode()
    first = _post(client, key)
    again = _post(client, key)            # the browser sent it again (a double click, a retry after a timeout)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    dossier = Dossier.objects.get()
    assert dossier.agency == hanoi.ba_dinh
    assert SubmittedFile.objects.count() == 1 and OnlineSubmission.objects.count() == 1
    answers = {a["key"]: a["value"] for a in dossier.online_submission.form_data}
    assert answers["ngay_thang_nam_sinh_cua_tre"] == "03/11/2025" and answers["gioi_tinh"] == "Nam"


def test_the_eform_is_validated_and_shown_to_staff(ready, client):
    hanoi, user = ready
    client.force_login(user)
    refused = _post(client, "k-eform", **{"f-ngay_thang_nam_sinh_cua_tre": "31/02/2025", "f-gioi_tinh": "Khác"})
    body = refused.content.decode()
    assert refused.status_code == 400 and not Dossier.objects.exists()
    assert "“Ngày, tháng, năm sinh của trẻ”: ngày dạng 12/06/2025" in body
    assert "“Giới tính”: hãy chọn trong danh sách" in body
    assert _post(client, "k-eform").status_code == 302
    dossier = Dossier.objects.get()
    desk = get_user_model().objects.create(username="motcua.badinh.test")
    RoleAssignment.objects.create(user=desk, role=Role.DOSSIER_RECEIVER, agency=hanoi.ba_dinh)
    client.force_login(desk)
    staff = client.get(f"/ho-so/can-bo/{dossier.pk}/").content.decode()
    assert "Họ, chữ đệm, tên của trẻ" in staff and "Nguyễn Minh An" in staff and "03/11/2025" in staff
    assert "to-khai.pdf" in staff


def _tus(client, method, url, body=b"", **headers):
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.generic(method, url, body, content_type="application/offset+octet-stream",
                          HTTP_TUS_RESUMABLE="1.0.0", **meta)


def _metadata(**values):
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class _CutStream:
    """A request body whose connection drops after `cut` bytes."""

    def __init__(self, data, cut):
        self.data, self.cut, self.pos = data, cut, 0

    def read(self, n):
        if self.pos >= self.cut:
            raise OSError("connection reset by peer")
        piece = self.data[self.pos:min(self.pos + n, self.cut)]
        self.pos += len(piece)
        return piece


def test_an_interrupted_upload_resumes_into_one_dossier(ready, client):
    hanoi, user = ready
    client.force_login(user)
    key = client.get("/ho-so/thu-tuc/1.001193/nop/").context["key"]
    created = _tus(client, "POST", "/ho-so/tai-len/", upload_length=str(len(PDF)),
                   upload_metadata=_metadata(filename="to-khai.pdf", paper="Tờ khai đăng ký khai sinh", key=key))
    assert created.status_code == 201 and created["Tus-Resumable"] == "1.0.0"
    url = created["Location"].split("testserver")[-1]
    upload_id = url.rstrip("/").rsplit("/", 1)[1]
    # the first megabyte arrives, then the phone loses its connection half-way through the next piece
    assert _tus(client, "PATCH", url, PDF[:1 << 20], upload_offset="0")["Upload-Offset"] == str(1 << 20)
    with pytest.raises(uploads.UploadError, match="kết nối bị ngắt"):
        uploads.append(user, upload_id, 1 << 20, _CutStream(PDF[1 << 20:], 300_000))
    head = _tus(client, "HEAD", url)
    assert head.status_code == 200 and head["Upload-Offset"] == str((1 << 20) + 300_000)
    # a submission naming an unfinished upload is refused with the paper's name, and makes nothing
    early = _post(client, key, files=False, **{"upload-0": upload_id})
    assert early.status_code == 400 and "to-khai.pdf" in early.content.decode() and not Dossier.objects.exists()
    # a stale offset is refused (tus: 409), the right one resumes and completes
    offset = int(head["Upload-Offset"])
    assert _tus(client, "PATCH", url, PDF[:10], upload_offset="0").status_code == 409
    done = _tus(client, "PATCH", url, PDF[offset:], upload_offset=str(offset))
    assert done.status_code == 204 and done["Upload-Offset"] == str(len(PDF))
    first = _post(client, key, files=False, **{"upload-0": upload_id})
    again = _post(client, key, files=False, **{"upload-0": upload_id})   # the form posted again after a cut
    assert first.status_code == again.status_code == 302
    dossier = Dossier.objects.get()
    stored = dossier.files.get()
    assert stored.size == len(PDF) and stored.file.read() == PDF and stored.name == "to-khai.pdf"
    assert not UploadSession.objects.exists()    # the part file became the dossier's file


def test_uploads_are_the_uploaders_own_and_bounded(ready, client):
    hanoi, user = ready
    client.force_login(user)
    assert _tus(client, "POST", "/ho-so/tai-len/", upload_length=str(online.MAX_BYTES + 1),
                upload_metadata=_metadata(filename="a.pdf", key="k")).status_code == 413
    assert _tus(client, "POST", "/ho-so/tai-len/", upload_length="10",
                upload_metadata=_metadata(filename="a.exe", key="k")).status_code == 415
    made = _tus(client, "POST", "/ho-so/tai-len/", upload_length="10", upload_metadata=_metadata(filename="a.pdf",
                                                                                                key="k"))
    url = made["Location"].split("testserver")[-1]
    other = get_user_model().objects.create(username="vneid-" + keyed_hash("001090099999"))
    client.force_login(other)
    assert _tus(client, "HEAD", url).status_code == 404
    client.logout()
    assert _tus(client, "HEAD", url).status_code == 401


CHILD = r"""
import os, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from hopnhat.dossiers import online
from hopnhat.dossiers.models import Procedure
user = get_user_model().objects.get(username=os.environ["CHILD_USER"])
def hang(dossier):
    open(os.environ["CHILD_MARK"], "w").write(dossier.code)
    time.sleep(120)
online.submit(key="killed-1", citizen_id_hash=online.id_hash_of(user), applicant_name="Nguyễn Thị Lan",
              procedure=Procedure.objects.get(national_code="1.001193"), place="Phường Trúc Bạch, Quận Ba Đình",
              files=[online.Upload("Tờ khai", "to-khai.pdf", open(os.environ["CHILD_FILE"], "rb").read())],
              before_commit=hang)
"""


@pytest.mark.django_db(transaction=True)
def test_a_request_killed_mid_registration_leaves_nothing_half_written(ready, tmp_path, settings):
    _, user = ready
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    (tmp_path / "paper.pdf").write_bytes(PDF)
    mark = tmp_path / "mark"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hopnhat.settings", DATABASE_URL=url,
               HOPNHAT_VAR_DIR=str(tmp_path / "child-var"), CHILD_USER=user.username, CHILD_MARK=str(mark),
               CHILD_FILE=str(tmp_path / "paper.pdf"))
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not mark.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mark.exists(), child.stderr.read().decode()[-2000:]
    os.kill(child.pid, signal.SIGKILL)        # the worker dies with the dossier, its files' rows and key written
    child.wait()
    assert not Dossier.objects.exists() and not OnlineSubmission.objects.exists()
    assert not SubmittedFile.objects.exists()
    assert not DailyCounter.objects.filter(last__gt=0).exists()   # no dossier number was used up either
    # the citizen's retry with the same token makes the one dossier
    dossier = online.submit(key="killed-1", citizen_id_hash=online.id_hash_of(user), applicant_name="Nguyễn Thị Lan",
                            procedure=Procedure.objects.get(national_code="1.001193"),
                            place="Phường Trúc Bạch, Quận Ba Đình", files=[online.Upload("Tờ khai", "to-khai.pdf",
                                                                                         PDF)])
    assert Dossier.objects.get() == dossier and dossier.files.get().file.read() == PDF


# ---- the unit administrator's page for the catalogue's differences --------------------------------------------

def test_the_unit_admin_decides_a_difference_on_the_web_and_it_is_audited(ready, client):
    hanoi, _ = ready
    User = get_user_model()
    admin = User.objects.create(username="quantri.badinh.test")
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=hanoi.ba_dinh)
    client.force_login(admin)
    page = client.get("/ho-so/can-bo/danh-muc/khac-biet/")
    body = page.content.decode()
    assert page.status_code == 200 and "Thủ tục đăng ký khai sinh" in body
    assert "3 ngày làm việc" in body and "5 ngày làm việc" in body       # both old values
    conflict = CatalogueConflict.objects.get()
    answer = client.post("/ho-so/can-bo/danh-muc/khac-biet/", {
        "conflict": conflict.pk, "choice": catalogue_samples.WARD, "note": "Luật Hộ tịch: 5 ngày khi cần xác minh"})
    assert answer.status_code == 302
    conflict.refresh_from_db()
    assert conflict.decided and conflict.decided_by == admin.username and conflict.decided_value == 5
    assert Procedure.objects.get(national_code="1.001193").processing_days == 5
    entry = AuditEntry.objects.get(action="dossiers.catalogue_decide")
    assert entry.actor == admin.username and entry.data["before"] == 3 and entry.data["after"] == 5
    assert "Đã quyết định" in client.get("/ho-so/can-bo/danh-muc/khac-biet/").content.decode()
    # English: one language at a time, the field's label too
    client.cookies["django_language"] = "en"
    english = client.get("/ho-so/can-bo/danh-muc/khac-biet/").content.decode()
    assert "time limit" in english and "Thời hạn giải quyết" not in english


def test_only_a_unit_admin_over_the_agency_may_decide(ready, client):
    hanoi, _ = ready
    User = get_user_model()
    conflict = CatalogueConflict.objects.get()
    desk = User.objects.create(username="motcua.badinh.test")
    RoleAssignment.objects.create(user=desk, role=Role.DOSSIER_RECEIVER, agency=hanoi.ba_dinh)
    client.force_login(desk)
    assert client.get("/ho-so/can-bo/danh-muc/khac-biet/").status_code == 403
    assert client.post("/ho-so/can-bo/danh-muc/khac-biet/", {"conflict": conflict.pk,
                                                              "choice": catalogue_samples.WARD}).status_code == 403
    elsewhere = User.objects.create(username="quantri.ngocha.test")
    RoleAssignment.objects.create(user=elsewhere, role=Role.UNIT_ADMIN, agency=hanoi.ngoc_ha)
    client.force_login(elsewhere)
    assert "Thủ tục đăng ký khai sinh" not in client.get("/ho-so/can-bo/danh-muc/khac-biet/").content.decode()
    assert client.post("/ho-so/can-bo/danh-muc/khac-biet/", {"conflict": conflict.pk,
                                                              "choice": catalogue_samples.WARD}).status_code == 404
    conflict.refresh_from_db()
    assert not conflict.decided and not AuditEntry.objects.filter(action="dossiers.catalogue_decide").exists()
    assert reverse("dossiers:staff-catalogue-conflicts") == "/ho-so/can-bo/danh-muc/khac-biet/"


def test_a_split_commune_asks_and_the_papers_sent_are_kept_without_javascript(ready, client):
    import re

    hanoi, user = ready
    client.force_login(user)
    asked = _post(client, "k-split", place="Phường Đội Cấn, Quận Ba Đình")
    body = asked.content.decode()
    assert asked.status_code == 400 and not Dossier.objects.exists()
    assert 'name="ward"' in body and "Phường Ngọc Hà" in body and "Phường Ba Đình" in body
    assert "Đã nhận" in body and "to-khai.pdf" in body          # no need to choose the paper again
    kept = re.search(r'name="upload-0" value="([0-9a-f-]+)"', body).group(1)
    done = _post(client, "k-split", files=False, place="Phường Đội Cấn, Quận Ba Đình",
                 ward=hanoi.units.ngoc_ha.code, **{"upload-0": kept})
    assert done.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.agency == hanoi.ngoc_ha and dossier.files.get().file.read() == PDF
    assert not UploadSession.objects.exists()


def test_the_refusal_speaks_one_language(ready, client):
    _, user = ready
    client.force_login(user)
    client.cookies["django_language"] = "en"
    body = _post(client, "k-en", place="Phường Đội Cấn, Quận Ba Đình").content.decode()
    assert "now lies in several wards" in body and "nay thuộc nhiều phường" not in body
    client.cookies["django_language"] = "vi"
    body = _post(client, "k-vi", place="Phường Đội Cấn, Quận Ba Đình").content.decode()
    assert "nay thuộc nhiều phường" in body and "now lies in several wards" not in body


def test_the_sweep_removes_abandoned_uploads_and_unreferenced_files(ready, client):
    import json

    from django.core.management import call_command

    _, user = ready
    kept = uploads.keep(user, key="k-gone", upload=online.Upload("Tờ khai", "bo-do.pdf", PDF))
    online.write_blobs([online.Upload("Tờ khai", "mo-coi.pdf", PDF + b"orphan")])
    out = io.StringIO()
    call_command("dossiers", "sweep-uploads", "--older-than-hours", "1", "--json", stdout=out)
    assert json.loads(out.getvalue())["uploads_removed"] == 0       # still young
    out = io.StringIO()
    call_command("dossiers", "sweep-uploads", "--older-than-hours", "0", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["uploads_removed"] == 1 and len(answer["files_removed"]) == 1
    assert not UploadSession.objects.exists() and not uploads.part_path(kept.id).exists()
