"""The search evaluation harness: a deterministic corpus of Vietnamese portal articles about real units, judged
queries derived from what each article is about, and nDCG@10 for our search against plain full-text search on
the same corpus (the GOV.UK practice of rated queries, `docs/search-quality-metrics.md`).

The corpus is written the way old and new portals write: before 1 July 2025 an article about Xã Bát Tràng says
"xã Bát Tràng, huyện Gia Lâm"; after, it names the new commune and its province only. Some write “CCCD”, others
“căn cước công dân”; some “sổ đỏ”, others “giấy chứng nhận quyền sử dụng đất”. A judged query asks for a
procedure, optionally at a place (old or new name); an article is relevant (2) when it is about that procedure
and lies in that place's territory, partly relevant (1) when only the procedure (or only the topic) matches.
The territory of a place comes from the lineage data: an old district's wards and the new communes they went to.

Needs the national unit graph (`hopnhat units load`, or the `national_units` test fixture).
"""

import datetime
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from hopnhat.core.text import fold
from hopnhat.org.models import AdminUnit, Level, UnitSuccession, Vintage

from .backends import get_backend
from .engine import search
from .indexing import rebuild_vocabulary
from .models import DocType, SearchDocument

SEED = 20250701
REFORM = datetime.date(2025, 7, 1)

# Old districts the harness corpus is about (name, province), chosen for what they test: Gia Lâm was split over
# several new communes, Ba Đình's Trúc Bạch gave its code 00004 to the new Phường Ba Đình, Hà Giang's province
# went into Tuyên Quang, Bình Dương's into Hồ Chí Minh City, Côn Đảo became a đặc khu.
HARNESS_DISTRICTS = [
    ("Huyện Gia Lâm", "Hà Nội"), ("Quận Ba Đình", "Hà Nội"), ("Quận Hoàn Kiếm", "Hà Nội"),
    ("Quận Cầu Giấy", "Hà Nội"), ("Thành phố Hà Giang", "Hà Giang"), ("Huyện Đồng Văn", "Hà Giang"),
    ("Thành phố Thủ Dầu Một", "Bình Dương"), ("Thành phố Hội An", "Quảng Nam"),
    ("Thành phố Hải Dương", "Hải Dương"), ("Thị xã Sa Pa", "Lào Cai"), ("Quận 1", "Hồ Chí Minh"),
]

# Ways the same thing is written; {KEY} in a template takes one of them per article.
VARIANTS = {
    "CCCD": ["căn cước công dân", "thẻ căn cước", "CCCD"],
    "UBND": ["Ủy ban nhân dân", "UBND"],
    "GCN": ["giấy chứng nhận quyền sử dụng đất", "sổ đỏ"],
    "THPT": ["trung học phổ thông", "THPT"],
    "BHYT": ["bảo hiểm y tế", "BHYT"],
    "BHXH": ["bảo hiểm xã hội", "BHXH"],
    "GPLX": ["giấy phép lái xe", "bằng lái xe", "GPLX"],
    "DKKD": ["đăng ký kinh doanh", "ĐKKD"],
    "TTHC": ["thủ tục hành chính", "TTHC"],
}


@dataclass(frozen=True)
class Subtopic:
    key: str
    topic: str
    phrase: str  # how titles and queries name it, with {KEY} variants
    sentences: tuple[str, ...]


SUBTOPICS = [
    Subtopic("cap_doi_cccd", "cccd", "cấp đổi {CCCD}", (
        "Công dân đủ 14 tuổi, 25 tuổi, 40 tuổi và 60 tuổi phải làm thủ tục cấp đổi {CCCD}.",
        "Công an cấp xã tiếp nhận hồ sơ cấp đổi {CCCD} và thu nhận vân tay, ảnh chân dung.")),
    Subtopic("cap_lai_cccd", "cccd", "cấp lại {CCCD} bị mất", (
        "Trường hợp bị mất {CCCD}, công dân khai báo và đề nghị cấp lại tại cơ quan công an.",
        "Lệ phí cấp lại {CCCD} được miễn khi thực hiện trên ứng dụng VNeID.")),
    Subtopic("cap_gcn", "dat_dai", "cấp {GCN} lần đầu", (
        "Hộ gia đình, cá nhân đang sử dụng đất ổn định được xem xét cấp {GCN} lần đầu.",
        "Hồ sơ gồm đơn đăng ký đất đai, giấy tờ về quyền sử dụng đất và sơ đồ thửa đất.")),
    Subtopic("chuyen_muc_dich", "dat_dai", "chuyển mục đích sử dụng đất", (
        "Việc chuyển mục đích sử dụng đất nông nghiệp sang đất ở phải phù hợp quy hoạch sử dụng đất.",
        "Người sử dụng đất nộp tiền sử dụng đất theo bảng giá đất do {UBND} tỉnh ban hành.")),
    Subtopic("boi_thuong", "dat_dai", "bồi thường giải phóng mặt bằng", (
        "Hội đồng bồi thường công khai phương án bồi thường, hỗ trợ, tái định cư.",
        "Các hộ dân có đất bị thu hồi được bồi thường giải phóng mặt bằng theo giá đất cụ thể.")),
    Subtopic("khai_sinh", "ho_tich", "đăng ký khai sinh", (
        "Cha, mẹ có trách nhiệm đăng ký khai sinh cho con trong thời hạn 60 ngày kể từ ngày sinh.",
        "Liên thông đăng ký khai sinh, đăng ký thường trú và cấp thẻ {BHYT} cho trẻ dưới 6 tuổi.")),
    Subtopic("ket_hon", "ho_tich", "đăng ký kết hôn", (
        "Hai bên nam, nữ trực tiếp có mặt tại cơ quan đăng ký hộ tịch khi đăng ký kết hôn.",
        "Giấy chứng nhận kết hôn được cấp ngay sau khi công chức tư pháp - hộ tịch kiểm tra hồ sơ.")),
    Subtopic("tuyen_sinh_10", "giao_duc", "tuyển sinh lớp 10 {THPT}", (
        "Kỳ thi tuyển sinh lớp 10 {THPT} công lập gồm ba bài thi: Ngữ văn, Toán và Ngoại ngữ.",
        "Học sinh đăng ký nguyện vọng tuyển sinh lớp 10 trực tuyến trên hệ thống của Sở Giáo dục và Đào tạo.")),
    Subtopic("hoc_phi", "giao_duc", "miễn giảm học phí", (
        "Học sinh thuộc hộ nghèo, hộ cận nghèo được miễn giảm học phí theo quy định.",
        "Nhà trường lập danh sách học sinh được miễn giảm học phí gửi phòng văn hóa - xã hội.")),
    Subtopic("tiem_chung", "y_te", "tiêm chủng mở rộng", (
        "Trạm y tế tổ chức tiêm chủng mở rộng cho trẻ em dưới 1 tuổi vào ngày 25 hằng tháng.",
        "Phụ huynh mang theo sổ tiêm chủng khi đưa trẻ đi tiêm vắc xin.")),
    Subtopic("kham_bhyt", "y_te", "khám chữa bệnh {BHYT}", (
        "Người có thẻ {BHYT} được khám chữa bệnh đúng tuyến tại trạm y tế và trung tâm y tế.",
        "Người bệnh xuất trình {CCCD} gắn chip thay cho thẻ {BHYT} giấy khi khám chữa bệnh.")),
    Subtopic("sot_xuat_huyet", "y_te", "phòng chống sốt xuất huyết", (
        "Ngành y tế phát động chiến dịch diệt lăng quăng, bọ gậy phòng chống sốt xuất huyết.",
        "Số ca mắc sốt xuất huyết tăng trong mùa mưa, người dân cần ngủ màn và vệ sinh môi trường.")),
    Subtopic("bhxh_tu_nguyen", "bhxh", "tham gia {BHXH} tự nguyện", (
        "Người lao động tự do được Nhà nước hỗ trợ một phần tiền đóng {BHXH} tự nguyện.",
        "Đại lý thu {BHXH} tự nguyện hướng dẫn người dân lựa chọn mức đóng phù hợp.")),
    Subtopic("ho_kinh_doanh", "kinh_doanh", "{DKKD} hộ kinh doanh", (
        "Hộ kinh doanh nộp hồ sơ {DKKD} tại bộ phận tiếp nhận và trả kết quả.",
        "Giấy chứng nhận {DKKD} hộ kinh doanh được cấp trong 3 ngày làm việc.")),
    Subtopic("doi_gplx", "giao_thong", "cấp đổi {GPLX}", (
        "Người dân có thể cấp đổi {GPLX} trực tuyến trên Cổng Dịch vụ công quốc gia.",
        "{GPLX} bằng giấy bìa được cấp đổi sang thẻ vật liệu PET.")),
    Subtopic("giay_phep_xay_dung", "xay_dung", "cấp giấy phép xây dựng nhà ở", (
        "Chủ đầu tư nộp hồ sơ đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ kèm bản vẽ thiết kế.",
        "Thời hạn cấp giấy phép xây dựng nhà ở riêng lẻ là 15 ngày kể từ ngày nhận đủ hồ sơ.")),
    Subtopic("sap_xep", "sap_nhap", "sắp xếp đơn vị hành chính cấp xã", (
        "Việc sắp xếp đơn vị hành chính cấp xã thực hiện theo Nghị quyết của Ủy ban Thường vụ Quốc hội.",
        "Người dân không phải làm thủ tục đổi giấy tờ chỉ vì thay đổi địa giới đơn vị hành chính.")),
    Subtopic("rac_thai", "moi_truong", "thu gom rác thải sinh hoạt", (
        "Đơn vị vệ sinh môi trường thu gom rác thải sinh hoạt theo giờ cố định mỗi ngày.",
        "Người dân phân loại rác thải sinh hoạt tại nguồn trước khi chuyển cho đơn vị thu gom.")),
]
SUBTOPIC = {s.key: s for s in SUBTOPICS}

TITLES = {
    DocType.PROCEDURE: ["Thủ tục {sub} tại {place}", "Hướng dẫn {sub} ở {place}",
                        "{Sub}: hồ sơ, thời hạn và lệ phí tại {place}"],
    DocType.NEWS: ["{UBND} {place} triển khai {sub}", "{Place} đẩy mạnh {sub}", "Kết quả {sub} tại {place}"],
    DocType.NOTICE: ["Thông báo về việc {sub} trên địa bàn {place}", "Thông báo lịch {sub} tại {place}"],
}
GENERIC = [
    "Người dân có thể nộp hồ sơ trực tuyến qua Cổng Dịch vụ công quốc gia hoặc tại Bộ phận Một cửa.",
    "Thời hạn giải quyết là {n} ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Mọi thắc mắc xin liên hệ đường dây nóng của {UBND} {place} để được hướng dẫn.",
    "Cán bộ, công chức tiếp nhận hồ sơ có trách nhiệm hướng dẫn đầy đủ, không yêu cầu thêm giấy tờ.",
    "Kết quả giải quyết {TTHC} được trả qua dịch vụ bưu chính công ích nếu người dân có yêu cầu.",
    "{UBND} {place} đề nghị các tổ dân phố, thôn phổ biến thông tin này tới từng hộ gia đình.",
    "Trong năm {year}, địa phương đã tiếp nhận và giải quyết hàng nghìn hồ sơ đúng hạn.",
    "Việc thực hiện bảo đảm công khai, minh bạch và thuận lợi cho người dân, doanh nghiệp.",
    # Sentences that name other procedures, so a word match alone does not make an article relevant.
    "Khi nộp hồ sơ, người dân xuất trình {CCCD} hoặc tài khoản định danh điện tử VNeID.",
    "Cùng thời gian, bộ phận một cửa vẫn tiếp nhận hồ sơ cấp đổi {GPLX} và đăng ký khai sinh.",
    "Hồ sơ liên quan đến đất đai, xây dựng được chuyển cho công chức địa chính xem xét.",
]


@dataclass
class Article:
    key: str
    title: str
    body: str
    unit: AdminUnit
    district: AdminUnit  # the old district whose territory the unit lies in
    subtopic: str
    doc_type: str
    date: datetime.date


@dataclass
class Judged:
    text: str
    kind: str  # diacritics | no_diacritics | typo | acronym | old_place | old_ward_natural | no_place
    grades: dict[str, int] = field(default_factory=dict)  # article key → 1 or 2


class Gazetteer:
    """The units of the chosen old districts: their old wards and the new communes those went to."""

    def __init__(self, districts: list[AdminUnit]):
        self.districts = districts
        wards = list(AdminUnit.objects.filter(parent__in=districts, level=Level.WARD)
                     .select_related("parent__parent").order_by("code"))
        self.old_wards: dict[int, list[AdminUnit]] = defaultdict(list)
        for ward in wards:
            self.old_wards[ward.parent_id].append(ward)
        edges = (UnitSuccession.objects.filter(predecessor__in=wards, successor__level=Level.WARD)
                 .select_related("successor__parent").order_by("successor__code"))
        self.successors: dict[int, list[AdminUnit]] = defaultdict(list)
        self.predecessors: dict[int, list[AdminUnit]] = defaultdict(list)  # new ward → the old wards it took
        by_id = {w.pk: w for w in wards}
        for edge in edges:
            self.successors[edge.predecessor_id].append(edge.successor)
            self.predecessors[edge.successor_id].append(by_id[edge.predecessor_id])
        self.new_wards: dict[int, list[AdminUnit]] = {
            d.pk: sorted({s for w in self.old_wards[d.pk] for s in self.successors[w.pk]}, key=lambda u: u.code)
            for d in districts}
        self.districts = [d for d in districts if self.old_wards[d.pk] and self.new_wards[d.pk]]

    @classmethod
    def harness(cls) -> "Gazetteer":
        found = []
        for district, province in HARNESS_DISTRICTS:
            unit = (AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.DISTRICT, name_key=fold(district),
                                             parent__short_key=fold(province)).select_related("parent").first())
            if unit is None:
                raise LookupError(f"Không thấy {district}, {province} trong dữ liệu đơn vị (hãy chạy `hopnhat units "
                                  f"load`) / unit not found; load the national units first")
            found.append(unit)
        return cls(found)

    @classmethod
    def national(cls) -> "Gazetteer":
        return cls(list(AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.DISTRICT)
                        .select_related("parent").order_by("code")))

    def territory(self, unit: AdminUnit) -> set[int]:
        """Where a place name reaches: an old district's wards and their new communes; an old ward and its new
        commune(s); a new commune and the old wards it was made of."""
        if unit.level == Level.DISTRICT:
            wards = self.old_wards[unit.pk]
            return {unit.pk} | {w.pk for w in wards} | {s.pk for w in wards for s in self.successors[w.pk]}
        if unit.vintage == Vintage.OLD:
            return {unit.pk} | {s.pk for s in self.successors[unit.pk]}
        return {unit.pk} | {w.pk for w in self.predecessors[unit.pk]}


def in_sentence(unit: AdminUnit) -> str:
    """“Xã Bát Tràng” as written mid-sentence: “xã Bát Tràng”."""
    return unit.name[:1].lower() + unit.name[1:]


def _fill(template: str, rng: random.Random, forms: dict[str, str], **values) -> str:
    for key, options in VARIANTS.items():
        if "{" + key + "}" in template:
            template = template.replace("{" + key + "}", forms.setdefault(key, rng.choice(options)))
    return template.format(**values)


def _article(i: int, rng: random.Random, gaz: Gazetteer) -> Article:
    district = gaz.districts[rng.randrange(len(gaz.districts))]
    sub = SUBTOPICS[rng.randrange(len(SUBTOPICS))]
    old_era = rng.random() < 0.5
    if old_era:
        unit = rng.choice(gaz.old_wards[district.pk])
        date = datetime.date(2023, 1, 1) + datetime.timedelta(days=rng.randrange(911))  # to 30/6/2025
        place = f"{in_sentence(unit)}, {in_sentence(district)}"
        where = f"{in_sentence(unit)}, {in_sentence(district)}, {in_sentence(district.parent)}"
    else:
        unit = rng.choice(gaz.new_wards[district.pk])
        date = REFORM + datetime.timedelta(days=rng.randrange(480))
        place = in_sentence(unit)
        where = f"{in_sentence(unit)}, {in_sentence(unit.parent)}"
    doc_type = rng.choice([DocType.PROCEDURE, DocType.PROCEDURE, DocType.NEWS, DocType.NOTICE])
    forms: dict[str, str] = {}
    sub_text = _fill(sub.phrase, rng, forms)
    title = _fill(rng.choice(TITLES[doc_type]), rng, forms, sub=sub_text, Sub=sub_text[:1].upper() + sub_text[1:],
                  place=place, Place=place[:1].upper() + place[1:])
    values = {"place": where, "n": rng.choice([3, 5, 7, 10, 15]), "year": date.year}
    sentences = [_fill(s, rng, forms, **values) for s in sub.sentences]
    sentences += [_fill(s, rng, forms, **values) for s in rng.sample(GENERIC, rng.randint(2, 4))]
    if not old_era and sub.topic == "sap_nhap":
        names = [in_sentence(w) for w in sorted(gaz.predecessors[unit.pk], key=lambda w: w.code)]
        sentences.insert(0, f"{unit.name} được thành lập trên cơ sở sắp xếp {', '.join(names)} "
                            f"({in_sentence(district)} cũ).")
    rng.shuffle(sentences)
    body = f"Ngày {date:%d/%m/%Y}, tại {where}. " + " ".join(sentences)
    return Article(key=f"eval-{i:06d}", title=title, body=body, unit=unit, district=district, subtopic=sub.key,
                   doc_type=doc_type, date=date)


def generate(n: int = 600, gaz: Gazetteer | None = None, seed: int = SEED):
    """`n` articles, the same ones for the same seed and unit data."""
    gaz = gaz or Gazetteer.harness()
    rng = random.Random(seed)  # noqa: S311 — reproducible data, not secrets
    for i in range(n):
        yield _article(i, rng, gaz)


def load(articles, batch: int = 2000) -> int:
    """Bulk-index generated articles (the triggers index them; the vocabulary is recounted once at the end)."""
    count, chunk = 0, []
    with transaction.atomic():
        for article in articles:
            doc = SearchDocument(title=article.title, body=article.body, url=f"/tin-bai/{article.key}/",
                                 source_key=article.key, origin_unit=article.unit, doc_type=article.doc_type,
                                 date=article.date)
            doc.fill_keys()
            chunk.append(doc)
            if len(chunk) >= batch:
                SearchDocument.objects.bulk_create(chunk)
                count, chunk = count + len(chunk), []
        SearchDocument.objects.bulk_create(chunk)
        count += len(chunk)
    rebuild_vocabulary()
    return count


# ---------------------------------------------------------------------------------------------------------------
# Judged queries


def _typo(text: str, rng: random.Random) -> str:
    """One realistic slip in the longest word of length ≥ 5: two letters swapped or one dropped."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: (len(words[k]), -k))
    word = words[i]
    if len(word) < 5:
        return text
    p = rng.randrange(1, len(word) - 2)
    words[i] = word[:p] + word[p + 1] + word[p] + word[p + 2:] if rng.random() < 0.5 else word[:p] + word[p + 1:]
    return " ".join(words)


def judged_queries(articles: list[Article], gaz: Gazetteer, seed: int = SEED, per_kind: int = 12) -> list[Judged]:
    """Queries over the corpus, each graded from what the articles are about, never from what a search returns."""
    rng = random.Random(seed + 1)  # noqa: S311 — reproducible data, not secrets
    by_sub = defaultdict(list)
    for a in articles:
        by_sub[a.subtopic].append(a)
    territory = {}

    def grades(sub: Subtopic, place: AdminUnit | None) -> dict[str, int]:
        out = {}
        if place is not None and place.pk not in territory:
            territory[place.pk] = gaz.territory(place)
        for a in articles:
            same_sub, same_topic = a.subtopic == sub.key, SUBTOPIC[a.subtopic].topic == sub.topic
            if place is None:
                grade = 2 if same_sub else 1 if same_topic else 0
            else:
                grade = (2 if a.unit.pk in territory[place.pk] else 1) if same_sub else 0
            if grade:
                out[a.key] = grade
        return out

    def full(sub):  # the phrase with every variant in its long form
        return _fill(sub.phrase, rng, {k: v[0] for k, v in VARIANTS.items()})

    def short(sub):  # …and in its shortest form (the acronym)
        return _fill(sub.phrase, rng, {k: min(v, key=len) for k, v in VARIANTS.items()})

    queries: list[Judged] = []
    subs_with_variants = [s for s in SUBTOPICS if "{" in s.phrase]
    recent = [a for a in articles if a.date >= REFORM]
    for k, a in enumerate(rng.sample(recent, min(per_kind, len(recent)))):
        sub, new_unit, district = SUBTOPIC[a.subtopic], a.unit, a.district
        text = f"{full(sub)} {in_sentence(new_unit)}"
        queries.append(Judged(text, "diacritics", grades(sub, new_unit)))
        queries.append(Judged(fold(text), "no_diacritics", grades(sub, new_unit)))
        queries.append(Judged(_typo(fold(full(sub)), rng) + " " + fold(new_unit.short_name), "typo",
                              grades(sub, new_unit)))
        queries.append(Judged(f"{full(sub)} {in_sentence(district)}", "old_place", grades(sub, district)))
        asub = subs_with_variants[k % len(subs_with_variants)]
        place = district.name if district.short_name.isdigit() else district.short_name  # “Quận 1”, not “1”
        queries.append(Judged(f"{short(asub)} {place}", "acronym", grades(asub, district)))
        olds = sorted(gaz.predecessors[new_unit.pk], key=lambda w: w.code)
        old_ward = olds[k % len(olds)]
        queries.append(Judged(f"thủ tục {full(sub)} ở {old_ward.short_name} như thế nào", "old_ward_natural",
                              grades(sub, old_ward)))
        other = SUBTOPICS[(k * 5 + 3) % len(SUBTOPICS)]
        queries.append(Judged(full(other), "no_place", grades(other, None)))
    return [q for q in queries if any(g == 2 for g in q.grades.values())]


# ---------------------------------------------------------------------------------------------------------------
# Scoring


def ndcg(ranked_keys: list[str], grades: dict[str, int], k: int = 10) -> float:
    def dcg(gains):
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(key, 0) for key in ranked_keys]) / ideal if ideal else 0.0


def evaluate(queries: list[Judged], k: int = 10) -> dict:
    """Mean nDCG@k of our search and of plain full-text, overall and per kind of query."""
    backend = get_backend()
    backend.reset_plain()
    key_of = dict(SearchDocument.objects.filter(source_key__isnull=False).values_list("pk", "source_key"))
    rows = []
    for q in queries:
        ours = [key_of.get(h.id) for h in search(q.text, per_page=k).hits]
        plain = [key_of.get(pk) for pk in backend.plain_match(q.text, limit=k)]
        rows.append({"query": q.text, "kind": q.kind, "ours": ndcg(ours, q.grades, k),
                     "plain": ndcg(plain, q.grades, k)})

    def mean(values):
        values = list(values)
        return round(sum(values) / len(values), 4) if values else None

    kinds = sorted({r["kind"] for r in rows})
    return {
        "queries": len(rows),
        "ndcg_at": k,
        "ours": mean(r["ours"] for r in rows),
        "plain": mean(r["plain"] for r in rows),
        "by_kind": {kind: {"queries": sum(r["kind"] == kind for r in rows),
                           "ours": mean(r["ours"] for r in rows if r["kind"] == kind),
                           "plain": mean(r["plain"] for r in rows if r["kind"] == kind)} for kind in kinds},
        "rows": rows,
    }
