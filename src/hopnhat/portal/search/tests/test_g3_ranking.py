"""Issue 19 (G3): ranking natural questions and compound words — word pairs typed together count as units, a
question's wider matches are ranked by IDF-weighted coverage with title and pair bonuses, and its top-up reads
every match of its rarer words."""

import pytest

from hopnhat.portal.search import engine
from hopnhat.portal.search.backends import BODY_BELOW, Candidate, get_backend
from hopnhat.portal.search.indexing import index_document
from hopnhat.portal.search.query import Group, ParsedQuery

pytestmark = pytest.mark.django_db


def _word(text, doc_count=10, correction=None):
    phrases = [(text,)] + ([(correction,)] if correction else [])
    return Group(text=text, kind="word", phrases=phrases, doc_count=doc_count, correction=correction)


def test_pairs_are_the_word_groups_typed_next_to_each_other():
    groups = [_word("dang"), _word("ky"), _word("ket"), _word("hon")]
    parsed = ParsedQuery(raw="đăng ký kết hôn", key="dang ky ket hon", groups=groups)
    assert engine._pairs(parsed) == [[("dang", "ky")], [("ky", "ket")], [("ket", "hon")]]
    # A dropped question word between two groups breaks the pair; a synonym group is already a phrase.
    parsed = ParsedQuery(raw="cưới thì đăng ký", key="cuoi thi dang ky",
                         groups=[_word("cuoi"), _word("dang"), _word("ky")])
    assert engine._pairs(parsed) == [[("dang", "ky")]]
    syn = Group(text="so do", kind="synonym", phrases=[("so", "do")])
    parsed = ParsedQuery(raw="làm sổ đỏ", key="lam so do", groups=[_word("lam"), syn])
    assert engine._pairs(parsed) == []
    # A typo's correction is an alternative of the pair.
    parsed = ParsedQuery(raw="ket hno", key="ket hno", groups=[_word("ket"), _word("hno", correction="hon")])
    assert engine._pairs(parsed) == [[("ket", "hno"), ("ket", "hon")]]


def test_titles_holding_the_pairs_as_written_come_first():
    apart = Candidate(1, None, "news", 2025, 9.0, "hon 9000 thi sinh dang ky ky thi ket thuc")
    together = Candidate(2, None, "procedure", 2025, 7.0, "huong dan dang ky ket hon")
    groups = [_word("dang"), _word("ky"), _word("ket"), _word("hon")]
    parsed = ParsedQuery(raw="dang ky ket hon", key="dang ky ket hon", groups=groups)
    assert [c.id for c in engine._title_order([apart, together], groups)] == [1, 2]   # the index's score
    assert [c.id for c in engine._title_order([apart, together], groups, engine._pairs(parsed))] == [2, 1]


class _Holds:
    """A backend whose `holds` sets the flags given per document id."""

    def __init__(self, flags):
        self.flags = flags

    def holds(self, found, probes):
        return [Candidate(c.id, None, "news", None, c.score, c.title_key, self.flags[c.id]) for c in found]


def test_coverage_weighs_rare_words_titles_and_pairs_and_halves_corrections():
    groups = [_word("cuoi", 3, correction="tuoi"), _word("ket", 80), _word("hon", 20)]
    pairs = [[("ket", "hon")]]
    common = Candidate(1, None, "news", None, 5.0, "thong bao")
    rare_typo = Candidate(2, None, "news", None, 4.0, "thong bao")
    both = Candidate(3, None, "news", None, 3.0, "thong bao")
    in_title = Candidate(4, None, "news", None, 2.0, "dang ky ket hon")
    # bits: 0 cuoi/tuoi, 1 ket, 2 hon, 3 the pair "ket hon"
    backend = _Holds({1: 0b0010, 2: 0b0001, 3: 0b1110, 4: 0b1110})
    ranked = engine._by_coverage(backend, groups, [common, rare_typo, both, in_title], {1, 2, 3, 4}, pairs)
    assert [c.id for c in ranked] == [4, 3, 2, 1]
    # Without the pair bonus and the halving, the corrected rare word alone outranks the words typed.
    ranked = engine._by_coverage(_Holds({1: 0b0010, 2: 0b0001, 3: 0b0110, 4: 0b0110}),
                                 [_word("cuoi", 3), _word("ket", 80), _word("hon", 20)],
                                 [common, rare_typo, both, in_title], {1, 2, 3, 4})
    order = [c.id for c in ranked]
    assert order.index(2) < order.index(3)


def test_a_whole_read_includes_documents_holding_the_words_in_their_body_only():
    for n in range(BODY_BELOW + 2):
        index_document(source_key=f"h{n}", url=f"/h{n}/", title=f"Khẩu hiệu số {n}", body="Tin tức.")
    body_only = index_document(source_key="b", url="/b/", title="Đăng ký thường trú",
                               body="Sổ hộ khẩu giấy không còn giá trị.")
    backend = get_backend()
    [whole] = backend.match_many([([[("khau",)]], False)], limit=100, whole=True)
    assert body_only.pk in {c.id for c in whole}
    assert len(whole) == BODY_BELOW + 3


def test_highlighting_marks_only_the_forms_typed_with_diacritics():
    from hopnhat.portal.search.snippets import exact_forms, highlight

    exact = exact_forms("đăng ký kết hôn", {"dang", "ky", "ket", "hon"})
    html = highlight("Hơn 9.000 thí sinh đăng ký, kỳ thi kết thúc; đăng ký kết hôn", {"dang", "ky", "ket", "hon"},
                     window=None, exact=exact)
    assert "Hơn" in html and "<mark>Hơn</mark>" not in html and "<mark>kỳ</mark>" not in html
    assert html.count("<mark>ký</mark>") == 2 and "<mark>hôn</mark>" in html and "<mark>kết</mark>" in html
    # Unaccented, or typed both ways: every reading is meant and marked.
    assert exact_forms("dang ky ket hon", {"dang", "ky", "ket", "hon"}) == {}
    assert "hon" not in exact_forms("hôn hon", {"hon"})
    assert "<mark>Hơn</mark>" in highlight("Hơn 9.000", {"hon"}, window=None, exact={})
    # Old and new tone placement are one word.
    assert "<mark>Hoà</mark>" in highlight("Hoà bình", {"hoa"}, window=None, exact=exact_forms("hòa", {"hoa"}))


def test_search_hits_do_not_mark_look_alikes(db):
    index_document(source_key="x1", url="/x1/", doc_type="news", title="Hơn 900 thí sinh đăng ký kết hôn sớm",
                   body="Đăng ký kết hôn.")
    [hit] = engine.search("đăng ký kết hôn").hits
    assert "<mark>hôn</mark>" in hit.title_html and "<mark>Hơn</mark>" not in hit.title_html
    [hit] = engine.search("dang ky ket hon").hits
    assert "<mark>Hơn</mark>" in hit.title_html
