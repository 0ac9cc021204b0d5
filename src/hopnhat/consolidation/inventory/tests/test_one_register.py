"""Issue 12 item 6: one register of old systems. A mapping's `system:` is the code of its inventory entry; a run of
a system the register does not hold is refused with the closest codes, so the dashboard counts every run."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.inventory import status
from hopnhat.consolidation.inventory.models import new_unit_by_code
from hopnhat.consolidation.inventory.register import UnregisteredSystem
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import MigrationRun

ACCOUNTS = "ten_dang_nhap,ho_ten,email,ma_co_quan\nan.nv,Nguyễn Văn An,an.nv@tuyenquang.gov.vn,000.00.09.H60\n"


def _mapping(tmp_path, system):
    (tmp_path / "zimbra.csv").write_text(ACCOUNTS, encoding="utf-8")
    return Mapping.from_dict({
        "system": system, "stream": "accounts", "importer": "org.people",
        "source": {"kind": "csv", "path": "zimbra.csv"}, "key": "ten_dang_nhap",
        "fields": {"full_name": "ho_ten", "email": "email", "agency_code": "ma_co_quan"}}, base_dir=tmp_path)


def _mail_line():
    email = next(t for t in status.unit_dashboard(new_unit_by_code("08")).types if t.system_type == "email")
    return next(line for line in email.lines if line.system.code == "tuyenquang-mail")


def test_a_run_under_another_name_is_refused_naming_the_register_entry(register, tmp_path):
    with pytest.raises(UnregisteredSystem) as error:
        run_mapping(_mapping(tmp_path, "mail-tuyenquang"), actor="nguyen.van.an")
    assert "tuyenquang-mail" in str(error.value) and "chưa có trong danh mục" in str(error.value)
    assert not MigrationRun.objects.exists()
    assert _mail_line().totals is None

    # the CLI says the same, as a CommandError
    path = tmp_path / "mail.yaml"
    path.write_text("system: mail-tuyenquang\nstream: accounts\nimporter: org.people\n"
                    "source: {kind: csv, path: zimbra.csv, key: ten_dang_nhap}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="tuyenquang-mail"):
        call_command("consolidate", "run", str(path), stdout=StringIO())


def test_the_register_code_counts_on_the_dashboard_and_in_the_cli(register, tmp_path):
    run = run_mapping(_mapping(tmp_path, "tuyenquang-mail"), actor="nguyen.van.an")
    assert run.balanced is True
    assert _mail_line().totals["runs"] == 1
    out = StringIO()
    call_command("consolidate", "status", "--json", stdout=out)
    systems = {s["system"]: s for s in json.loads(out.getvalue())["systems"]}
    assert systems["tuyenquang-mail"]["runs"] == 1 and systems["tuyenquang-mail"]["registered"] is True


@pytest.mark.django_db
def test_an_empty_register_holds_nobody_to_it(tmp_path, agencies):
    assert run_mapping(_mapping(tmp_path, "mail-thu-nghiem"), actor="nguyen.van.an").status == "finished"
