"""What the citizen look-up may ask the engine (consolidation.selectors.quarantine_for_code): a dossier the
import left in quarantine is found by its old code, with the reason, until staff resolve it."""

import pytest

from hopnhat.consolidation import selectors
from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.dossiers import samples

from .test_importers import motcua_url  # noqa: F401 — the old district database, as a fixture

pytestmark = pytest.mark.django_db


def test_a_quarantined_dossier_is_found_by_its_old_code(hanoi, procedures, motcua_url, tmp_path):  # noqa: F811
    samples.write_dvc(tmp_path)
    for mapping in samples.mappings(motcua_url, tmp_path):
        run_mapping(Mapping.from_dict(mapping), actor="system:test-import")

    [found] = selectors.quarantine_for_code("000.22.01.H26-250620-0005")
    assert (found["system"], found["stream"], found["field"]) == (samples.MOTCUA, "hoso", "status")
    assert "Treo" in found["reason"] and found["raw"]["ma_hoso"] == "000.22.01.H26-250620-0005"
    assert selectors.quarantine_for_code(" 000.22.01.H26-250620-0005 ") == [found]
    assert selectors.quarantine_for_code("000.22.01.H26-250610-0001") == []   # loaded: not in quarantine
    assert {k["key"] for k in selectors.quarantined_keys(samples.MOTCUA)} == {"000.22.01.H26-250620-0005", "11"}
