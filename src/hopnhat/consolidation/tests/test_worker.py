"""Where a run executes: in the operator's process by default (with a progress bar on stderr), or as a task that a
worker picks up (`consolidate run --worker`; production: django_tasks_db's queue in PostgreSQL and
`hopnhat db_worker` on each worker machine)."""

import json
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from hopnhat.consolidation.models import MigrationRun, StagedRecord
from hopnhat.org.models import Person

from .legacy_hr import HAGIANG_BAD, HAGIANG_STAFF

pytestmark = pytest.mark.django_db

WORKER_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _yaml(path, mapping: dict) -> str:
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.django_db(transaction=True)  # the worker commits and closes its connections, as on another machine
@override_settings(TASKS=WORKER_QUEUE)
def test_worker_run_waits_in_the_queue_until_a_db_worker_takes_it(legacy_hr, org, tmp_path):
    path = _yaml(tmp_path / "hr-hagiang.yaml", legacy_hr.mapping())
    out = StringIO()

    call_command("consolidate", "run", path, "--worker", "--json", stdout=out)

    answer = json.loads(out.getvalue())
    assert answer["ok"] is True and answer["status"] == "READY"
    queued = DBTaskResult.objects.get(id=answer["task"])
    assert queued.status == "READY" and queued.task_path.endswith("run_mapping_task")
    assert not MigrationRun.objects.exists() and not Person.objects.exists()  # nothing ran in this process

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    done = DBTaskResult.objects.get(id=answer["task"])
    assert done.status == "SUCCESSFUL"
    run = MigrationRun.objects.get(pk=done.return_value["run"])
    assert (run.system, run.status, run.balanced) == ("hr-hagiang", "finished", True)
    assert done.return_value["totals"]["outcomes"]["quarantined"] == len(HAGIANG_BAD)
    assert StagedRecord.objects.filter(system="hr-hagiang").count() == len(HAGIANG_STAFF)


def test_in_process_run_shows_rate_and_time_left_on_stderr(legacy_hr, org, tmp_path, capsys):
    path = _yaml(tmp_path / "hr-hagiang.yaml", legacy_hr.mapping())

    call_command("consolidate", "run", path)

    captured = capsys.readouterr()
    # the bar (description, count, rate) goes to stderr; stdout keeps the answer for scripts
    bar = captured.err
    assert "hr-hagiang/people" in bar and f"{len(HAGIANG_STAFF)}/{len(HAGIANG_STAFF)}" in bar
    assert "bản ghi/s" in bar and "100%" in bar
    assert "bản ghi/s" not in captured.out and "hr-hagiang" in captured.out
