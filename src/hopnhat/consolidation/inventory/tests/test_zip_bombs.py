"""Issue 13, finding 5: a 1 MB workbook that expands to 300 MB is refused before it is read — by the register
import (command and web upload) and by the engine's excel source — quickly and in little memory."""

import io
import json
import tracemalloc
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.inventory import spreadsheet
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MigrationRun
from hopnhat.core import archives
from hopnhat.core.testing_archives import xlsx_bomb

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = xlsx_bomb(tmp_path_factory.mktemp("bomb") / "ra-soat-bom.xlsx", expand_to=300 * MB)
    assert path.stat().st_size < 2 * MB
    assert sum(i.file_size for i in zipfile.ZipFile(path).infolist()) > 300 * MB
    return path


def _peak_mb(call) -> tuple[float, BaseException | None]:
    tracemalloc.start()
    error = None
    try:
        call()
    except Exception as exc:  # noqa: BLE001 — returned for the test to look at
        error = exc
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return peak, error


def test_register_import_refuses_the_bomb_naming_the_file(agencies, bomb):
    peak, error = _peak_mb(lambda: spreadsheet.import_register(bomb, actor="nguyen.van.an"))
    assert isinstance(error, spreadsheet.ImportFileError)
    assert "ra-soat-bom.xlsx" in str(error) and "zip bomb" in str(error)
    assert peak < 20


def test_inventory_command_refuses_the_bomb(agencies, bomb):
    with pytest.raises(CommandError, match=r"ra-soat-bom.xlsx: .*zip bomb"):
        call_command("inventory", "import", str(bomb), stdout=io.StringIO())
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("inventory", "import", str(bomb), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert not report["ok"] and "ra-soat-bom.xlsx" in report["error"]


def test_web_upload_refuses_the_bomb(agencies, tq_admin, client, bomb):
    client.force_login(tq_admin)
    with bomb.open("rb") as upload:
        page = client.post(reverse("inventory:import"), {"file": upload}).content.decode()
    assert "ra-soat-bom.xlsx" in page and "zip bomb" in page


def test_engine_excel_source_refuses_the_bomb(bomb):
    mapping = Mapping.from_dict({"system": "bom-excel", "importer": "org.people", "key": "Mã hệ thống",
                                 "source": {"kind": "excel", "path": str(bomb)}})
    peak, error = _peak_mb(lambda: run_mapping(mapping, actor="system:test"))
    assert error is not None and "ra-soat-bom.xlsx" in str(error) and "zip bomb" in str(error)
    assert "zip bomb" in MigrationRun.objects.get(system="bom-excel").error
    assert peak < 20


@override_settings(HOPNHAT_IMPORT_MAX_BYTES=512 * 1024)
def test_files_beyond_the_import_limit_are_refused_by_size(agencies, bomb):
    with pytest.raises(spreadsheet.ImportFileError, match="vượt giới hạn nhập"):
        spreadsheet.import_register(bomb, actor="nguyen.van.an")


def test_entry_count_and_declared_total_are_bounded(tmp_path):
    many = tmp_path / "nhieu.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(30):
            archive.writestr(f"{i}.txt", "x")
    with pytest.raises(archives.ImportTooLarge, match="nhieu.zip: tệp nén có 30 mục"):
        archives.check_import_file(many, "nhieu.zip", max_entries=20)
    archives.check_import_file(many, "nhieu.zip")
    with pytest.raises(archives.ImportTooLarge, match="giải nén ra"):
        archives.check_import_file(io.BytesIO(many.read_bytes()), "nhieu.zip", max_uncompressed=10)
    archives.check_import_file(tmp_path / "nhieu.zip", "nhieu.zip")  # not consumed: a path is opened afresh


@override_settings(HOPNHAT_UPLOAD_MAX_BYTES=100 * 1024)
def test_request_bodies_beyond_the_upload_limit_are_refused_before_reading(agencies, tq_admin, client, bomb):
    client.force_login(tq_admin)
    with bomb.open("rb") as upload:
        response = client.post(reverse("inventory:import"), {"file": upload})
    assert response.status_code == 400

