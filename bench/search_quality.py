"""Search quality on the CI harness corpus: nDCG@10 of our search against plain full-text, one JSON document.

    .venv/bin/python bench/search_quality.py [--database sqlite|postgresql] [--docs 600] [--set harness|portal]

--set portal: the second, independent judged set (hopnhat.portal.search.evaluation_portal, issue 19): a generated
portal of ~250 posts with near-duplicate commune announcements and look-alike words, 50+ queries of six kinds
(natural questions, one typo, accented look-alikes, unaccented, acronyms, old place names); --docs is ignored.

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
    parser.add_argument("--set", choices=["harness", "portal"], default="harness")
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
    if args.set == "portal":
        from hopnhat.portal.search import evaluation_portal

        gaz = evaluation_portal.gazetteer()
        posts = evaluation_portal.generate(gaz)
        clear_index()
        args.docs = evaluation_portal.load(posts)
        queries = evaluation_portal.judged_queries(posts, gaz)
    else:
        gaz = evaluation.Gazetteer.harness()
        articles = list(evaluation.generate(args.docs, gaz))
        clear_index()
        evaluation.load(articles)
        queries = evaluation.judged_queries(articles, gaz)
    report = evaluation.evaluate(queries)
    report_rows = report["rows"]
    report = {"figure": f"search nDCG@10 on the {args.set} corpus", "database": args.database, "docs": args.docs,
              **{k: v for k, v in report.items() if k != "rows"},
              "worst": sorted(report["rows"], key=lambda r: r["ours"])[:5]}
    if os.environ.get("BENCH_ROWS"):  # every query's score, for a closer look
        report["rows"] = sorted(report_rows, key=lambda r: (r["kind"], r["ours"]))
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
