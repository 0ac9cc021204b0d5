"""Issue 13, finding 5: how fast and in how little memory the register import refuses a zip bomb.

    python bench/zip_bomb.py [--expand-mb 330]

Makes a small .xlsx whose sheet expands to --expand-mb megabytes, then times `inventory.spreadsheet.import_register`
refusing it (the check reads only the archive's central directory; no database is touched). Prints JSON: file
size, declared expansion, seconds and the process's peak resident memory."""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--expand-mb", type=int, default=330)
    args = parser.parse_args()
    import django

    django.setup()
    from hopnhat.consolidation.inventory import spreadsheet
    from hopnhat.core.testing_archives import xlsx_bomb

    with tempfile.TemporaryDirectory() as tmp:
        bomb = xlsx_bomb(Path(tmp) / "bomb.xlsx", expand_to=args.expand_mb * 1024 * 1024)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            spreadsheet.import_register(bomb, actor="system:bench")
            refused = ""
        except spreadsheet.ImportFileError as exc:
            refused = str(exc)
        seconds = time.perf_counter() - start
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"benchmark": "zip_bomb", "file_mb": round(bomb.stat().st_size / 2**20, 2),
                          "expands_to_mb": args.expand_mb, "refused": bool(refused), "seconds": round(seconds, 4),
                          "peak_rss_mb": round(peak_kb / 1024, 1),
                          "rss_growth_mb": round((peak_kb - before) / 1024, 1), "message": refused},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
