"""Demo dossiers for `hopnhat demo`: Quận Ba Đình's two old one-door systems (samples.py) merged through the
consolidation engine, the old agencies closed as on 1/7/2025, and their in-progress dossiers handed over.

The district's land dossier 000.00.01.H26-250612-0007 (phone ending 4321) then answers on /ho-so/tra-cuu/ under
its old code, with the hand-over to UBND phường Ba Đình in its timeline. Loading twice changes nothing: the
engine skips unchanged records, closed agencies stay closed, and a hand-over only moves what is still open."""

from django.conf import settings

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping

from . import handover, samples
from .models import Dossier

ACTOR = "system:demo"


def load_demo(stdout) -> dict:
    folder = settings.VAR_DIR / "demo" / "dossiers"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "motcua-badinh.sqlite3"
    url = f"sqlite:///{database}"
    if not database.exists():
        samples.write_motcua(url)
    samples.write_dvc(folder / "dvc-hanoi")
    samples.ensure_procedures()
    made = samples.ensure_agencies()
    runs = {}
    for spec in samples.mappings(url, folder / "dvc-hanoi"):
        run = run_mapping(Mapping.from_dict(spec), actor=ACTOR)
        runs[f"{spec['system']}/{spec['stream']}"] = {"outcomes": run.totals["outcomes"], "balanced": run.balanced}
    closed = samples.close_agencies(made)
    report = handover.run(actor=ACTOR)
    result = {
        "runs": runs, "agencies_closed": closed, "handed_over": report["total"], "dossiers": Dossier.objects.count(),
        "try": {"url": "/ho-so/tra-cuu/", "code": "000.00.01.H26-250612-0007", "phone_last4": "4321"},
    }
    stdout.write(f"    Hồ sơ / dossiers: {result['dossiers']} từ 2 hệ thống cũ / from 2 old systems, "
                 f"{report['total']} vừa bàn giao / handed over now\n"
                 f"    Tra cứu thử / try: /ho-so/tra-cuu/ mã 000.00.01.H26-250612-0007, 4 số cuối 4321\n")
    return result
