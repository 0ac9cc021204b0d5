"""Search quality on the CI harness corpus: nDCG@10 of our search against plain full-text, one JSON document.

    .venv/bin/python bench/search_quality.py [--database sqlite|postgresql] [--docs 600]

The same generated corpus and judged queries as the CI floor test (hopnhat.portal.search.evaluation), in a
scratch database: SQLite under var/bench-search-quality/ (the embedded setup, where "plain" is FTS5's stock
tokenizer) or PostgreSQL database hopnhat_bench_search_quality (where "plain" is the 'simple' configuration).
BENCH_VAR_DIR and BENCH_DATABASE_URL name other places, so two runs need not share them.
"""

import argparse
import json
import os
import sys
from pathlib import Path

VAR = Path(os.environ.get("BENCH_VAR_DIR") or Path(__file__).resolve().parent.parent / "var" / "bench-search-quality")
PG = os.environ.get("BENCH_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/hopnhat_bench_search_quality"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--docs", type=int, default=600)
    args = parser.parse_args()
    VAR.mkdir(parents=True, exist_ok=True)
    os.environ["HOPNHAT_VAR_DIR"] = str(VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    if args.database == "postgresql":
        import psycopg

        with psycopg.connect(PG.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG.rsplit("/", 1)[1]]).fetchone():
                conn.execute(f'CREATE DATABASE "{PG.rsplit("/", 1)[1]}"')
        os.environ["DATABASE_URL"] = PG
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{VAR / 'quality.sqlite3'}"
    import django

    django.setup()
    from django.core.management import call_command

    from hopnhat.org.units_load import load_national_units
    from hopnhat.portal.search import evaluation
    from hopnhat.portal.search.indexing import clear_index

    call_command("migrate", verbosity=0)
    load_national_units()
    gaz = evaluation.Gazetteer.harness()
    articles = list(evaluation.generate(args.docs, gaz))
    clear_index()
    evaluation.load(articles)
    report = evaluation.evaluate(evaluation.judged_queries(articles, gaz))
    report = {"figure": "search nDCG@10 on the harness corpus", "database": args.database, "docs": args.docs,
              **{k: v for k, v in report.items() if k != "rows"},
              "worst": sorted(report["rows"], key=lambda r: r["ours"])[:5]}
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
