"""Issue 19: the second, independent judged set as a CI floor (bench/search_quality.py --set portal prints it).
Measured on the code before issue 19: 0.795 overall, natural questions 0.55, accented look-alikes 0.86; after G1:
0.871 (SQLite) / 0.875 (PostgreSQL); after G3: 0.939 / 0.934, no kind below 0.80."""

import json

import pytest

from hopnhat.portal.search import evaluation, evaluation_portal

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_portal_set_is_realistic_and_search_beats_its_floor(national_graph):
    gaz = evaluation_portal.gazetteer()
    posts = evaluation_portal.generate(gaz)
    assert 230 <= len(posts) <= 260
    announcements = [p for p in posts if p.kind == "announcement"]
    assert len({p.unit.pk for p in announcements}) > 40      # one procedure, many communes
    assert evaluation_portal.load(posts) == len(posts)
    queries = evaluation_portal.judged_queries(posts, gaz)
    kinds = {q.kind for q in queries}
    assert len(queries) >= 52 and kinds == {"natural_question", "one_typo", "accented_lookalike", "unaccented",
                                            "acronym", "old_place"}
    report = evaluation.evaluate(queries)
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}, ensure_ascii=False, indent=1))
    # Issue 19's goal, reached by G3's ranking (word pairs, IDF/title/pair coverage, questions' top-up): 0.939
    # on SQLite, 0.934 on PostgreSQL; natural questions 0.84 and 0.82 (G1's code: 0.871/0.875, 0.70/0.61).
    assert report["ours"] >= 0.92
    assert all(kind["ours"] >= 0.80 for kind in report["by_kind"].values()), report["by_kind"]
    assert report["by_kind"]["accented_lookalike"]["ours"] >= 0.95
    assert report["by_kind"]["unaccented"]["ours"] >= 0.95
