"""Portal search at scale on PostgreSQL: latency of search() and nDCG@10 against plain full-text, one JSON document.

    .venv/bin/python bench/search_latency.py [--docs 200000] [--repeat 5]

Uses its own database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/hopnhat_bench_search),
created and migrated on first run, with the national unit graph and `--docs` generated Vietnamese articles
(hopnhat.portal.search.evaluation, the same generator as the CI harness, over every old district of the country).
A second run with the same --docs reuses the corpus. The query mix is the harness's judged queries over this
corpus (with and without diacritics, typos, acronyms, old place names, natural questions).

Baselines on the same corpus, each with its own GIN index:
  plain     to_tsvector('simple', title || ' ' || body) @@ plainto_tsquery('simple', q)
  unaccent  the same over hopnhat_unaccent(…) on both sides (PostgreSQL's accent folding)
Target: p95 of search() ≤ 30 ms.

Cost of a first run at 200,000 documents on the 2-core box (under other load): ~30–150 s to generate, ~7 min to
index, ~1.5 min for the baseline indexes; a later run reuses the corpus and spends its time on the baselines'
queries (plain full-text has seconds-long outliers). Compare timings side by side in one run, not across runs.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/hopnhat_bench_search"


def _setup(db_url: str) -> None:
    import psycopg

    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("HOPNHAT_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench-search"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


BASELINES = {
    "plain": "to_tsvector('simple', title || ' ' || body)",
    "unaccent": "to_tsvector('simple', hopnhat_unaccent(title || ' ' || body))",
}


def _baseline_indexes(cursor) -> None:
    for name, expr in BASELINES.items():
        cursor.execute(f"CREATE INDEX IF NOT EXISTS bench_{name}_fts ON portal_search_searchdocument "
                       f"USING gin ({expr})")


def _baseline(cursor, name: str, text: str, k: int = 10) -> list[int]:
    expr = BASELINES[name]
    query = "plainto_tsquery('simple', %s)" if name == "plain" else "plainto_tsquery('simple', hopnhat_unaccent(%s))"
    cursor.execute(f"SELECT id FROM portal_search_searchdocument WHERE {expr} @@ {query} "
                   f"ORDER BY ts_rank({expr}, {query}, 1) DESC, id LIMIT %s", [text, text, k])
    return [r[0] for r in cursor.fetchall()]


def _percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)

    def pct(p):
        return round(samples[min(len(samples) - 1, int(round(p / 100 * (len(samples) - 1))))], 2)

    return {"n": len(samples), "mean": round(statistics.fmean(samples), 2), "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "max": round(samples[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query")
    parser.add_argument("--queries", type=int, default=24, help="sampled articles per query kind")
    args = parser.parse_args()
    _setup(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))

    from django.db import connection

    from hopnhat.org.units_load import load_national_units
    from hopnhat.portal.search import evaluation
    from hopnhat.portal.search.engine import search
    from hopnhat.portal.search.indexing import clear_index
    from hopnhat.portal.search.models import SearchDocument

    report: dict = {"figure": "portal search latency and quality on PostgreSQL", "docs": args.docs}
    started = time.perf_counter()
    load_national_units()
    gaz = evaluation.Gazetteer.national()
    articles = list(evaluation.generate(args.docs, gaz))
    report["generate_seconds"] = round(time.perf_counter() - started, 1)

    if SearchDocument.objects.filter(source_key__startswith="eval-").count() != args.docs:
        clear_index()
        started = time.perf_counter()
        evaluation.load(articles, batch=5000)
        report["index_seconds"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE portal_search_searchdocument")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        _baseline_indexes(cursor)
        report["baseline_index_seconds"] = round(time.perf_counter() - started, 1)
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('portal_search_searchdocument')), "
                       "pg_size_pretty(pg_relation_size('portal_search_searchdocument')), "
                       "pg_size_pretty(pg_relation_size('portal_search_vector_gin')), "
                       "pg_size_pretty(pg_relation_size('portal_search_head_gin'))")
        (report["table_size"], report["heap_size"], report["search_index_size"],
         report["head_index_size"]) = cursor.fetchone()

    queries = evaluation.judged_queries(articles, gaz, per_kind=args.queries)
    key_of = dict(SearchDocument.objects.values_list("pk", "source_key"))
    for q in queries:  # warm the caches once
        search(q.text)

    ours_ms: list[float] = []
    by_kind_ms: dict[str, list[float]] = {}
    rows = []
    with connection.cursor() as cursor:
        baseline_ms = {name: [] for name in BASELINES}
        for q in queries:
            for _ in range(args.repeat):
                t = time.perf_counter()
                results = search(q.text)
                elapsed = (time.perf_counter() - t) * 1000
                ours_ms.append(elapsed)
                by_kind_ms.setdefault(q.kind, []).append(elapsed)
            row = {"query": q.text, "kind": q.kind,
                   "ours": evaluation.ndcg([key_of.get(h.id) for h in results.hits], q.grades)}
            for name in BASELINES:
                t = time.perf_counter()
                ids = _baseline(cursor, name, q.text)
                baseline_ms[name].append((time.perf_counter() - t) * 1000)
                row[name] = evaluation.ndcg([key_of.get(pk) for pk in ids], q.grades)
            rows.append(row)

    def mean(values):
        values = list(values)
        return round(sum(values) / len(values), 4)

    kinds = sorted({r["kind"] for r in rows})
    report["queries"] = len(queries)
    report["latency_ms"] = {"search": _percentiles(ours_ms),
                            **{name: _percentiles(ms) for name, ms in baseline_ms.items()},
                            "search_by_kind": {k: _percentiles(v) for k, v in sorted(by_kind_ms.items())}}
    report["ndcg_at_10"] = {"ours": mean(r["ours"] for r in rows),
                            **{name: mean(r[name] for r in rows) for name in BASELINES},
                            "by_kind": {k: {"ours": mean(r["ours"] for r in rows if r["kind"] == k),
                                            **{name: mean(r[name] for r in rows if r["kind"] == k)
                                               for name in BASELINES}} for k in kinds}}
    report["target_p95_ms"] = 30
    report["meets_target"] = report["latency_ms"]["search"]["p95"] <= 30
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
