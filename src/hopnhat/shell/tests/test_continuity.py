"""Continuity, the short run (issue 18): the production set-up of bench/continuity.py — nginx in front of two
gunicorn instances and the bouncer, a task worker, an old one-door system in MariaDB with its writer — on the
test database, a paced mix of requests through a whole cutover (with a route-back and a second switch), a
release rolled one instance at a time (with a real schema change: bench/continuity_release) and killed workers —
staff steps included, each with its one-time form token, so that nginx may pass on a step a killed worker cut — and
not one request may fail. The figures and the full-length run are the benchmark's (`bench/continuity.py`); here
only the zero-failure and correctness targets."""

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[4]


def _seed(var_dir: Path) -> None:
    """The slice of the demo the mix asks for: Ba Đình's one-door team and its fresh dossiers, and an old
    commune portal with exact redirects (the nginx map) next to paths only the bouncer answers."""
    from hopnhat.dossiers import demo as dossiers_demo
    from hopnhat.dossiers.tests.conftest import build_hanoi
    from hopnhat.portal.crosswalk.api import ensure_site
    from hopnhat.portal.crosswalk.canonical import canonical
    from hopnhat.portal.crosswalk.models import Mapping, MappingType

    build_hanoi()
    with override_settings(VAR_DIR=var_dir):
        dossiers_demo.load_demo(io.StringIO())
    site = ensure_site("xadaoduc.hagiang.gov.vn", actor="system:test")
    for i in range(4):
        Mapping.objects.create(site=site, path=canonical(site, f"/Tin-Tuc/hop-nhat-xa-{i}.html"),
                               type=MappingType.REDIRECT, target_url=f"https://tuyenquang.gov.vn/tin-tuc/hop-nhat-{i}",
                               version=1, updated_by="system:test")


@pytest.mark.skipif(not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists(),
                    reason="needs nginx (scripts/services.sh ensure_nginx)")
def test_no_request_fails_through_cutover_release_and_killed_workers(tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the production set-up runs on PostgreSQL only: gunicorn's workers, the task worker and the "
                    "harness share the database, which SQLite's test database in memory cannot be")
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import continuity

    monkeypatch.setattr(continuity, "OUT", tmp_path / "out")
    monkeypatch.setitem(continuity.IN_PROCESS, "on", True)
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    _seed(var_dir)
    db = connection.settings_dict
    env = continuity.base_env(f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                              f"{db['PORT'] or 5432}/{db['NAME']}", var_dir)
    env.update(HOPNHAT_SECRET_KEY=settings.SECRET_KEY, HOPNHAT_PII_HASH_KEY=settings.PII_HASH_KEY,
               PYTHONPATH=str(ROOT / "src"))
    args = continuity.parser().parse_args(["--steady-s", "3", "--capacity-s", "2", "--clients", "3", "--workers", "1",
                                           "--pre-syncs", "1", "--step-pause", "0.3", "--old-rows", "5",
                                           "--writer-interval", "0.2", "--probe-rows", "300",
                                           # Batch at the web's weight: this run asserts no failure, not latency,
                                           # and must not wait on a starved cutover step on a busy CI machine.
                                           "--batch-group-nice", "0"])
    figures = continuity.run(args, env)

    phases = figures["phases"]
    assert set(phases) == {"steady", "cutover", "release", "kill"}
    for name, phase in phases.items():
        assert phase["requests"] > 0, name
        assert phase["failed"] == 0, (name, phase["failures"])
    cutover = phases["cutover"]["detail"]
    assert [s["step"] for s in cutover["steps"]] == [
        "pre-sync", "freeze", "final-sync", "verify", "switch", "monitor", "route-back",
        "pre-sync", "freeze", "final-sync", "verify", "switch", "monitor"]
    for round_no in (1, 2):
        freeze = cutover["checks"][f"freeze_{round_no}"]
        assert freeze["old_system_refuses_all"] and "denied" in freeze["old_system_message"], freeze
        assert freeze["platform_refuses_with_message"] and "tthc-continuity" in \
            freeze["platform_step_on_held_dossier"]["message"]
        assert freeze["reads_answering"]
        reconciliation = cutover["checks"][f"reconciliation_{round_no}"]
        assert reconciliation["ok"] and reconciliation["created_before_freeze"] >= 5
    release = phases["release"]["detail"]
    assert [r["instance"] for r in release["reloads"]] == ["gunicorn-a", "gunicorn-b"]
    # a real schema change: release 2 of the probe adds a column and backfills it ...
    assert any("0002_notice_note" in m for m in release["migrations_applied"])
    assert any("0003_backfill_note" in m for m in release["migrations_applied"])
    # ... while release 1 serves on the new schema, then both side by side, then release 2 alone
    side = {step["after"]: {name: (i["release"], i["reads"], i["writes"]) for name, i in step.items()
                            if name != "after"} for step in release["probe_on_each_instance"]}
    assert side["migrate"] == {"gunicorn-a": (1, True, True), "gunicorn-b": (1, True, True)}
    assert side["roll gunicorn-a"] == {"gunicorn-a": (2, True, True), "gunicorn-b": (1, True, True)}
    assert side["roll gunicorn-b"] == {"gunicorn-a": (2, True, True), "gunicorn-b": (2, True, True)}
    kill = phases["kill"]["detail"]
    assert [k["process"] for k in kill["killed"]] == ["gunicorn-a", "db_worker", "gunicorn-b"]
    assert all("back_after_s" in k for k in kill["killed"]) and kill["task_worker_restarts"] >= 1
