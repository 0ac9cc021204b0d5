"""`hopnhat consolidate` as an operator uses it: run (real, dry, unbalanced), cutover step by step, review decide."""

import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from hopnhat.consolidation import cutover, reconciliation, selectors
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.consolidation.models import Cutover, MigrationRun, ReviewItem, StagedRecord
from hopnhat.core.models import AuditEntry, Provenance
from hopnhat.org.models import Membership, Person, Position

from .legacy_hr import HAGIANG_BAD, HAGIANG_STAFF, tuyenquang_mapping, tuyenquang_workbook

pytestmark = pytest.mark.django_db

STEPS_TO_SWITCH = ("pre-sync", "freeze", "final-sync", "verify", "switch")


def _yaml(path, mapping: dict):
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return str(path)


def _call(*args) -> dict:
    out = StringIO()
    call_command("consolidate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _exits(code: int, *args) -> dict:
    """Run the command with --json expecting exit status `code`; its JSON answer."""
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("consolidate", *args, "--json", stdout=out)
    assert exit_.value.code == code
    return json.loads(out.getvalue())


# -- review decide ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, named", [("4242", "#4242"), ("#4242", "#4242"), ("abc", "#abc")])
def test_review_decide_with_an_unknown_id_names_it(given, named):
    with pytest.raises(CommandError) as error:
        call_command("consolidate", "review", "decide", given, "merge")
    assert str(error.value) == f"không có cặp nghi trùng {named} / no review item {named}"
    answer = _exits(2, "review", "decide", given, "separate")
    assert answer == {"ok": False, "error": f"không có cặp nghi trùng {named} / no review item {named}"}
    assert not AuditEntry.objects.filter(action__startswith="consolidation.review.").exists()


# -- cutover ------------------------------------------------------------------------------------------------------


def test_cutover_cli_walks_to_switch_with_json_answers_and_audit(legacy_hr, org, tmp_path, monkeypatch):
    path = _yaml(tmp_path / "hr-hagiang.yaml", legacy_hr.mapping())
    first = _call("run", path)
    monkeypatch.setattr(cutover, "_hooks", {})  # only this test's hook, whatever other tests registered
    switched = []
    cutover.register_cutover_hook("hr-hagiang", on_switch=switched.append, on_route_back=lambda s: None)

    answers = {}
    answers["pre-sync"] = _call("cutover", "hr-hagiang", "pre-sync", "--actor", "lanh.dao")
    # Between pre-sync and freeze the old system is still live: a newly recruited official is entered there.
    with legacy_hr.connect() as conn, conn.cursor() as cur:
        legacy_hr.insert(cur, (12, "Sầm Thị Nhung", "1993-03-03", "002193004444", None, None, "STC-HG",
                               "Chuyên viên", "2025-06-20 07:00:00"))
    for name in STEPS_TO_SWITCH[1:]:
        answers[name] = _call("cutover", "hr-hagiang", name, "--actor", "lanh.dao")

    previous = "not-started"
    for name in STEPS_TO_SWITCH:
        answer = answers[name]
        assert (answer["ok"], answer["system"], answer["step"], answer["state"], answer["from"]) == (
            True, "hr-hagiang", name, name, previous), answer
        previous = name
    pre_sync = answers["pre-sync"]["runs"]
    assert [(r["stream"], r["balanced"], r["totals"]["new"]) for r in pre_sync] == [("people", True, 0)]
    assert pre_sync[0]["run"] > first["run"]
    assert "runs" not in answers["freeze"] and "runs" not in answers["verify"]
    final = answers["final-sync"]["runs"]
    assert [(r["stream"], r["balanced"], r["totals"]["new"]) for r in final] == [("people", True, 1)]
    assert Person.objects.filter(full_name="Sầm Thị Nhung").exists()
    verify = answers["verify"]["verify"]
    assert verify["balanced"] is True and list(verify["streams"]) == ["people"]
    assert verify["streams"]["people"]["staged"] == len(HAGIANG_STAFF) + 1
    assert answers["switch"]["hooks"] == 1 and switched == ["hr-hagiang"]
    assert selectors.cutover_state("hr-hagiang") == "switch"
    assert _call("status", "hr-hagiang")["systems"][0]["cutover"] == "switch"
    # the people's text is Vietnamese through and through: no "cân đối True", the step by its Vietnamese name
    human = StringIO()
    call_command("consolidate", "status", "hr-hagiang", stdout=human)
    assert "cân đối;" in human.getvalue() and "True" not in human.getvalue()
    assert "chuyển đổi: Chuyển sang nền tảng;" in human.getvalue()

    entries = list(AuditEntry.objects.filter(action__startswith="consolidation.cutover."))
    state = Cutover.objects.get(system="hr-hagiang")
    assert [e.action for e in entries] == [f"consolidation.cutover.{s}" for s in STEPS_TO_SWITCH]
    assert {(e.actor, e.object_type, e.object_pk) for e in entries} == {
        ("lanh.dao", "consolidation.cutover", str(state.pk))}
    assert [e.data["from"] for e in entries] == ["not-started", *STEPS_TO_SWITCH[:-1]]
    assert entries[2].data["runs"][0]["run"] == final[0]["run"]
    assert entries[3].data["verify"]["balanced"] is True


def test_cutover_cli_refuses_a_step_out_of_order_naming_the_allowed_ones():
    with pytest.raises(CommandError) as error:
        call_command("consolidate", "cutover", "hr-hagiang", "switch", "--actor", "lanh.dao")
    message = str(error.value)
    assert message.startswith("hr-hagiang: không thể “switch” khi đang ở trạng thái “not-started”")
    assert "bước được phép: pre-sync" in message and "allowed: pre-sync" in message

    answer = _exits(1, "cutover", "hr-hagiang", "freeze")
    assert answer["ok"] is False and "allowed: pre-sync" in answer["error"]

    with pytest.raises(CommandError) as error:  # not a step at all: the parser lists every step
        call_command("consolidate", "cutover", "hr-hagiang", "jump")
    assert "jump" in str(error.value) and all(step in str(error.value) for step in cutover.STEPS)

    assert selectors.cutover_state("hr-hagiang") == "not-started"
    assert not AuditEntry.objects.filter(action__startswith="consolidation.cutover.").exists()


# -- run ----------------------------------------------------------------------------------------------------------


def test_run_dry_run_writes_nothing_and_reports_what_it_would_do(legacy_hr, org, tmp_path):
    run_mapping(Mapping.from_dict(legacy_hr.mapping()), actor="system:test")  # Hà Giang is on the platform
    before = {model: model.objects.count() for model in (Person, Membership, Position, Provenance)}
    audit_before = AuditEntry.objects.count()
    book = tuyenquang_workbook(tmp_path / "can_bo_tuyen_quang.xlsx")
    path = _yaml(tmp_path / "hr-tuyenquang.yaml", tuyenquang_mapping(book))

    dry = _call("run", path, "--dry-run")

    assert (dry["ok"], dry["dry_run"], dry["balanced"], dry["system"]) == (True, True, True, "hr-tuyenquang")
    t = dry["totals"]
    assert (t["read"], t["new"], t["staged_touched"]) == (4, 4, 0)
    # What it would have done: one merge on the CCCD, three new people, one look-alike for review.
    assert t["outcomes"] == {"loaded": 3, "merged": 1, "quarantined": 0, "filtered": 0}
    assert t["reviews"] == 1
    run = MigrationRun.objects.get(pk=dry["run"])
    assert run.dry_run is True and run.status == "finished" and run.balanced is True
    assert not StagedRecord.objects.filter(system="hr-tuyenquang").exists()
    assert not Provenance.objects.filter(source_system="hr-tuyenquang").exists()
    assert not ReviewItem.objects.exists()
    assert {model: model.objects.count() for model in before} == before
    assert AuditEntry.objects.count() == audit_before  # not even the run is audited

    real = _call("run", path)  # and the real run does exactly what the dry run said
    assert real["dry_run"] is False and real["balanced"] is True
    assert real["totals"]["outcomes"] == t["outcomes"] and real["totals"]["reviews"] == t["reviews"]
    assert StagedRecord.objects.filter(system="hr-tuyenquang").count() == 4


def test_run_exits_3_when_the_stream_does_not_balance(legacy_hr, org, tmp_path):
    path = _yaml(tmp_path / "hr-hagiang.yaml", legacy_hr.mapping())
    first = _call("run", path)
    assert first["ok"] is True and first["totals"]["outcomes"]["quarantined"] == len(HAGIANG_BAD)

    # Someone removes an imported official by hand (admin page, SQL) between two scheduled syncs…
    Person.objects.filter(full_name="Lò Thị Dung").delete()
    # …while the old system keeps working.
    with legacy_hr.connect() as conn, conn.cursor() as cur:
        legacy_hr.insert(cur, (11, "Giàng Seo Páo", "1991-08-08", "002091009999", None, None, "STC-HG",
                               "Chuyên viên", "2025-06-01 07:00:00"))

    answer = _exits(3, "run", path)

    assert (answer["ok"], answer["balanced"], answer["dry_run"]) == (False, False, False)
    assert answer["totals"]["new"] == 1 and answer["totals"]["outcomes"]["loaded"] == 1
    run = MigrationRun.objects.get(pk=answer["run"])
    assert run.balanced is False and run.status == "finished"
    report = json.loads((reconciliation.report_dir() / f"run-{run.pk}.json").read_text(encoding="utf-8"))
    # This run's own counts add up; what fails is the stream as a whole: key 10's person is gone.
    assert all(check["ok"] for check in report["checks"])
    assert [m["key"] for m in report["cumulative"]["missing_targets"]] == ["10"]
    audit = AuditEntry.objects.filter(action="consolidation.run").latest("seq")
    assert audit.object_pk == str(run.pk) and audit.data["balanced"] is False

    out = StringIO()  # the same in human text, for a cron job's mail
    with pytest.raises(SystemExit) as exit_:
        call_command("consolidate", "run", path, stdout=out, stderr=StringIO())
    assert exit_.value.code == 3 and "KHÔNG cân đối / NOT balanced" in out.getvalue()
