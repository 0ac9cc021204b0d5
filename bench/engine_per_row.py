"""What the steps every migrated record must take cost per row, in this process (µs): converting legacy text,
hashing the ID number, the record's canonical JSON and its checksum. Set beside `cpu_budget` of
bench/engine_throughput.py (the µs per row a run may spend beyond reading and holding the rows), they say
whether a ratio target is within reach of any engine on this machine.

    .venv/bin/python bench/engine_per_row.py [--n 200000]

Prints one JSON document. The row is the benchmark's old HR row (two TCVN3 fields, a CCCD, a DATETIME cursor).
"""

import argparse
import datetime
import hashlib
import json
import os
import sys
import tempfile
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "src"))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "hopnhat.settings", "HOPNHAT_VAR_DIR": tempfile.mkdtemp()})
    os.environ.setdefault("HOPNHAT_PII_HASH_KEY", "hopnhat-benchmark-only")
    import django

    django.setup()

    import orjson

    from hopnhat.consolidation.encodings import convert_fields, unicode_to_legacy
    from hopnhat.consolidation.sources import jsonable
    from hopnhat.core import pii
    from hopnhat.core.provenance import canonical_json

    row = {"id": 12345, "ho_ten": unicode_to_legacy("Nguyễn Văn Hùng", "tcvn3"), "ngay_sinh": "1980-02-03",
           "so_cccd": "001234567890", "email": None, "dien_thoai": None, "ma_don_vi": "SNV-HG",
           "chuc_vu": unicode_to_legacy("Chuyên viên chính", "tcvn3"),
           "ngay_cap_nhat": datetime.datetime(2025, 5, 3, 4, 0)}  # noqa: DTZ001 — as the old database holds it
    spec = {"tcvn3": ["ho_ten", "chuc_vu"]}
    decoded = {k: jsonable(v) for k, v in convert_fields(dict(row), spec).items()}  # as the SQL source yields it
    raw = canonical_json(decoded)

    def per_row(fn) -> float:
        return round(min(timeit.repeat(fn, number=args.n, repeat=3)) / args.n * 1e6, 2)

    steps = {
        "legacy_text_2_fields": per_row(lambda: convert_fields(dict(row), spec)),
        "keyed_hash_of_id_number": per_row(lambda: pii.keyed_hash("001234567890")),
        "canonical_json": per_row(lambda: canonical_json(decoded)),
        "sha256_checksum": per_row(lambda: hashlib.sha256(raw).hexdigest()),
        # the least any staging of the raw record can cost: orjson of a dict of plain values, and its digest
        "least_json_and_digest": per_row(
            lambda: hashlib.sha256(orjson.dumps(decoded, option=orjson.OPT_SORT_KEYS)).digest()),
    }
    print(json.dumps({"rows_timed": args.n, "us_per_row": steps,
                      "required_us_per_row": round(steps["legacy_text_2_fields"] + steps["keyed_hash_of_id_number"]
                                                   + steps["least_json_and_digest"], 2)}, indent=2))


if __name__ == "__main__":
    main()
