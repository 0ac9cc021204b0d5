"""A second, independent judged set (issue 19): a generated portal of a merged province (~250 posts) written the
way commune portals write, with what the first harness (`evaluation.py`) lacks:

- near-duplicate announcements of one procedure for several communes (the same text, another place and date);
- articles whose words fold onto the words of a query (“Hơn 9.000 thí sinh đăng ký, kỳ thi kết thúc” against
  “đăng ký kết hôn”), which only the diacritics people type can tell apart;
- guides that answer a citizen's natural question without holding all of its words (“làm sổ đỏ mất bao lâu”).

Queries come from templates per kind, one per topic in turn, never written for a particular result: natural
questions, one typo, accented queries whose words fold onto other words, unaccented, acronyms, old place names.
An article is relevant (2) when it is about the query's topic (and, with a place, in that place's territory),
partly relevant (1) when it shares the topic's area. Grades come from what each article is about.

Needs the national unit graph (`hopnhat units load`, or the `national_units` test fixture).
"""

import datetime
import random
from dataclasses import dataclass

from hopnhat.core.text import fold
from hopnhat.org.models import AdminUnit, Level, Vintage

from .evaluation import REFORM, Gazetteer, Judged, in_sentence
from .models import DocType

SEED = 20251207
DISTRICTS = [("Huyện Vị Xuyên", "Hà Giang"), ("Huyện Bắc Mê", "Hà Giang"), ("Huyện Yên Sơn", "Tuyên Quang"),
             ("Thành phố Tuyên Quang", "Tuyên Quang"), ("Huyện Hàm Yên", "Tuyên Quang")]


@dataclass(frozen=True)
class Topic:
    key: str
    area: str
    phrase: str  # how titles name it
    acronym: str  # how people abbreviate it ("" when they do not)
    guide: tuple[str, ...]  # what a guide says: the answer to the questions
    questions: tuple[str, ...]  # natural questions a citizen asks about it


TOPICS = [
    Topic("ket_hon", "ho_tich", "đăng ký kết hôn", "", (
        "Hai bên nam, nữ có mặt tại Ủy ban nhân dân cấp xã khi đăng ký kết hôn, xuất trình giấy tờ tùy thân.",
        "Giấy chứng nhận kết hôn được trao ngay trong ngày nếu hồ sơ đầy đủ; việc đăng ký kết hôn không mất lệ phí."),
        ("muốn cưới vợ thì đăng ký kết hôn ở đâu", "đăng ký kết hôn cần mang theo những gì")),
    Topic("khai_sinh", "ho_tich", "đăng ký khai sinh", "", (
        "Cha, mẹ có trách nhiệm đăng ký khai sinh cho con trong thời hạn 60 ngày kể từ ngày sinh.",
        "Giấy khai sinh được cấp ngay trong ngày; hồ sơ gồm tờ khai và giấy chứng sinh của cơ sở y tế."),
        ("làm giấy khai sinh cho con mất bao lâu", "sinh con xong bao nhiêu ngày thì phải làm giấy khai sinh")),
    Topic("khai_tu", "ho_tich", "đăng ký khai tử", "", (
        "Người thân của người chết có trách nhiệm đăng ký khai tử trong 15 ngày kể từ ngày có người chết.",
        "Hồ sơ đăng ký khai tử gồm tờ khai và giấy báo tử hoặc giấy tờ thay giấy báo tử."),
        ("người nhà mất thì làm giấy khai tử ở đâu",)),
    Topic("so_do", "dat_dai", "cấp giấy chứng nhận quyền sử dụng đất", "sổ đỏ", (
        "Thời gian cấp giấy chứng nhận quyền sử dụng đất (sổ đỏ) lần đầu không quá 20 ngày làm việc.",
        "Hồ sơ làm sổ đỏ gồm đơn đăng ký đất đai, giấy tờ về quyền sử dụng đất và sơ đồ thửa đất."),
        ("làm sổ đỏ mất bao lâu", "làm sổ đỏ lần đầu cần giấy tờ gì")),
    Topic("chuyen_muc_dich", "dat_dai", "chuyển mục đích sử dụng đất", "", (
        "Chuyển mục đích sử dụng đất vườn sang đất ở phải phù hợp quy hoạch và nộp tiền sử dụng đất.",
        "Tiền sử dụng đất khi chuyển mục đích tính theo bảng giá đất do Ủy ban nhân dân tỉnh ban hành."),
        ("chuyển đất vườn sang đất ở mất bao nhiêu tiền",)),
    Topic("ho_kinh_doanh", "kinh_doanh", "đăng ký hộ kinh doanh", "ĐKKD hộ kinh doanh", (
        "Cá nhân mở cửa hàng tạp hóa, quán ăn phải đăng ký hộ kinh doanh, trừ người buôn bán rong, thu nhập thấp.",
        "Giấy chứng nhận đăng ký hộ kinh doanh được cấp trong 3 ngày làm việc tại bộ phận một cửa."),
        ("mở cửa hàng tạp hóa có phải đăng ký kinh doanh không", "mở quán ăn nhỏ cần giấy phép gì")),
    Topic("cccd", "cu_tru", "cấp đổi căn cước công dân", "CCCD", (
        "Công dân đủ 25 tuổi, 40 tuổi và 60 tuổi phải đổi thẻ căn cước công dân tại công an cấp xã.",
        "Thẻ căn cước hết hạn được cấp đổi trong 7 ngày làm việc, miễn lệ phí khi đổi đúng độ tuổi."),
        ("thẻ căn cước hết hạn thì đổi ở đâu", "đủ 25 tuổi có phải đổi căn cước không")),
    Topic("thuong_tru", "cu_tru", "đăng ký thường trú", "", (
        "Sổ hộ khẩu giấy không còn giá trị; người chuyển đến chỗ ở mới đăng ký thường trú trên ứng dụng VNeID.",
        "Hồ sơ đăng ký thường trú gồm tờ khai thay đổi thông tin cư trú và giấy tờ chứng minh chỗ ở hợp pháp."),
        ("chuyển hộ khẩu về nhà mới thì làm thế nào",)),
    Topic("gplx", "giao_thong", "cấp đổi giấy phép lái xe", "GPLX", (
        "Giấy phép lái xe hết hạn được cấp đổi trực tuyến trên Cổng Dịch vụ công, nhận bằng qua bưu điện.",
        "Bằng lái xe bằng giấy bìa được đổi sang thẻ PET; lệ phí đổi là 135.000 đồng."),
        ("bằng lái xe hết hạn đổi như thế nào",)),
    Topic("bhyt_hoc_sinh", "y_te", "bảo hiểm y tế học sinh", "BHYT học sinh", (
        "Học sinh bắt buộc tham gia bảo hiểm y tế tại trường; ngân sách hỗ trợ 30% mức đóng.",
        "Phụ huynh nộp tiền bảo hiểm y tế học sinh cho nhà trường hoặc qua ứng dụng VssID."),
        ("mua bảo hiểm y tế cho con đi học ở đâu",)),
    Topic("tiem_chung", "y_te", "tiêm chủng mở rộng", "", (
        "Trạm y tế tiêm vắc xin miễn phí cho trẻ dưới 1 tuổi trong chương trình tiêm chủng mở rộng.",
        "Phụ huynh mang sổ tiêm chủng khi đưa trẻ đi tiêm vào ngày 25 hằng tháng."),
        ("cho trẻ đi tiêm vắc xin miễn phí ở đâu",)),
    Topic("xay_dung", "xay_dung", "cấp giấy phép xây dựng nhà ở", "GPXD nhà ở", (
        "Nhà ở riêng lẻ ở nông thôn không thuộc khu bảo tồn được miễn giấy phép xây dựng.",
        "Thời hạn cấp giấy phép xây dựng nhà ở riêng lẻ là 15 ngày kể từ ngày nhận đủ hồ sơ."),
        ("xây nhà ở quê có cần xin giấy phép không",)),
    Topic("ho_ngheo", "xa_hoi", "rà soát hộ nghèo", "", (
        "Hộ gia đình có thu nhập bình quân dưới chuẩn nghèo được xét công nhận hộ nghèo hằng năm.",
        "Hộ nghèo được cấp thẻ bảo hiểm y tế, vay vốn ưu đãi và miễn giảm học phí cho con."),
        ("muốn được xét hộ nghèo cần điều kiện gì",)),
    Topic("nghia_vu_quan_su", "quoc_phong", "đăng ký nghĩa vụ quân sự", "NVQS", (
        "Công dân nam đủ 17 tuổi đăng ký nghĩa vụ quân sự lần đầu vào tháng tư hằng năm tại Ban Chỉ huy quân sự xã.",
        "Không đăng ký nghĩa vụ quân sự đúng hạn có thể bị phạt tiền."),
        ("con trai 17 tuổi có phải đi đăng ký nghĩa vụ quân sự không",)),
    Topic("chung_thuc", "tu_phap", "chứng thực bản sao từ bản chính", "", (
        "Người dân chứng thực bản sao từ bản chính tại Ủy ban nhân dân cấp xã hoặc văn phòng công chứng.",
        "Lệ phí chứng thực bản sao là 2.000 đồng một trang; kết quả trả ngay trong buổi."),
        ("sao y giấy tờ ở đâu",)),
    Topic("tuyen_sinh_10", "giao_duc", "tuyển sinh lớp 10 trung học phổ thông", "THPT", (
        "Kỳ thi tuyển sinh lớp 10 trung học phổ thông công lập gồm ba môn: Ngữ văn, Toán và Tiếng Anh.",
        "Học sinh đăng ký nguyện vọng thi vào lớp 10 trực tuyến trên hệ thống của Sở Giáo dục và Đào tạo."),
        ("thi vào lớp 10 năm nay thi mấy môn",)),
]
TOPIC = {t.key: t for t in TOPICS}

# Articles whose words fold onto a topic's words but are about something else, and the accented query they
# should not win (the corpus's look-alikes, written as news; the queries take the topic's phrase as typed).
LOOKALIKES = [
    ("ket_hon", "Hơn {n}.000 thí sinh đăng ký dự thi, kỳ thi kết thúc an toàn tại {place}",
     "Kỳ thi kết thúc với hơn {n}.000 thí sinh đăng ký; kết quả được công bố trên cổng thông tin."),
    ("ket_hon", "Kết quả đăng ký kỳ thi học sinh giỏi: hơn {n}00 em tham dự tại {place}",
     "Kết quả kỳ thi đăng ký tại {place} cho thấy hơn {n}00 học sinh dự thi."),
    ("khai_sinh", "Khai mạc kỳ thi thứ {n}, tiếp tục thí sinh nhập học tại {place}",
     "Lễ khai mạc diễn ra sáng thứ Hai; thí sinh tiếp tục làm thủ tục nhập học, sinh hoạt tập thể."),
    ("khai_tu", "Khai trương chợ mới, tư thương đăng ký kinh doanh tại {place}",
     "Ngày khai trương, hơn {n}0 tư thương đăng ký gian hàng; khai thác chợ theo hình thức tự quản."),
    ("ho_kinh_doanh", "Hỗ trợ kinh doanh cho {n}0 hộ sau bão tại {place}",
     "Các hộ được hỗ trợ kinh doanh, đăng ký vay vốn và khôi phục sản xuất."),
    ("cccd", "Cấp đội, cấp đổi mới trang phục dân quân tại {place}",
     "Ban Chỉ huy quân sự cấp đội trưởng, cấp phát trang phục mới; căn cứ kế hoạch công tác dân quân."),
    ("thuong_tru", "Thương trường nông sản: đăng ký trưng bày tại chợ phiên {place}",
     "Thương lái đăng ký trưng bày nông sản; chợ phiên tổ chức trú mưa tại nhà văn hóa."),
    ("so_do", "Số đo mưa lớn, đất đá sạt lở tại {place}",
     "Số đo lượng mưa 200 mm; cấp độ rủi ro thiên tai; người dân không sử dụng đường đất qua vùng sạt lở."),
    ("chung_thuc", "Chúng tôi thực hiện bản sao kê tài chính công khai tại {place}",
     "Chúng tôi thực hiện công khai bản sao kê, bản chính lưu tại văn phòng."),
    ("tiem_chung", "Tiềm năng chung của du lịch mở rộng tại {place}",
     "Tiềm năng du lịch chung được mở rộng; các điểm đến tiếp tục đầu tư."),
]

ANNOUNCE_TITLE = "Thông báo lịch tiếp nhận hồ sơ {phrase} tại {place}"
ANNOUNCE_BODY = ("Ủy ban nhân dân {place} thông báo lịch tiếp nhận hồ sơ {phrase} trong tháng {month}/{year}. "
                 "Bộ phận một cửa tiếp nhận hồ sơ vào sáng thứ Hai và thứ Năm hằng tuần, từ 7 giờ 30 đến 11 giờ. "
                 "Người dân mang theo giấy tờ tùy thân và các giấy tờ liên quan; mọi thắc mắc liên hệ số điện thoại "
                 "0219.38{n:02d}.{m:03d} để được hướng dẫn.")
GUIDE_TITLES = ["Hướng dẫn thủ tục {phrase}", "Những điều cần biết về {phrase}", "{Phrase}: hồ sơ, thời hạn, lệ phí"]
NEWS_TITLES = ["{place} đẩy mạnh {phrase} trực tuyến", "Kết quả {phrase} năm {year} tại {place}"]
FILLER = [
    "Người dân có thể nộp hồ sơ trực tuyến qua Cổng Dịch vụ công quốc gia hoặc tại Bộ phận Một cửa.",
    "Cán bộ tiếp nhận hồ sơ có trách nhiệm hướng dẫn đầy đủ, không yêu cầu thêm giấy tờ ngoài quy định.",
    "Kết quả giải quyết thủ tục hành chính được trả qua dịch vụ bưu chính công ích nếu người dân có yêu cầu.",
    "Việc thực hiện bảo đảm công khai, minh bạch và thuận lợi cho người dân, doanh nghiệp.",
]


@dataclass
class Post:
    key: str
    title: str
    body: str
    unit: AdminUnit
    topic: str  # "" for a look-alike
    kind: str  # guide | announcement | news | lookalike
    doc_type: str
    date: datetime.date


def gazetteer() -> Gazetteer:
    found = []
    for district, province in DISTRICTS:
        unit = (AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.DISTRICT, name_key=fold(district),
                                         parent__short_key=fold(province)).first())
        if unit is None:
            raise LookupError(f"Không thấy {district}, {province} (hãy chạy `hopnhat units load`) / unit not found")
        found.append(unit)
    return Gazetteer(found)


def generate(gaz: Gazetteer | None = None, seed: int = SEED, announcements: int = 8) -> list[Post]:
    """About 250 posts: per topic 3 guides, `announcements` near-identical commune announcements and 3 news
    items; two look-alikes per look-alike pattern."""
    gaz = gaz or gazetteer()
    rng = random.Random(seed)  # noqa: S311 — reproducible data, not secrets
    new_wards = [w for d in gaz.districts for w in gaz.new_wards[d.pk]]
    old_wards = [w for d in gaz.districts for w in gaz.old_wards[d.pk]]
    posts: list[Post] = []

    def add(title, body, unit, topic, kind, doc_type, date):
        posts.append(Post(f"p2-{len(posts):04d}", title, body, unit, topic, kind, doc_type, date))

    def new_date():
        return REFORM + datetime.timedelta(days=rng.randrange(450))

    for topic in TOPICS:
        phrase = topic.phrase
        for k, template in enumerate(GUIDE_TITLES):
            unit = rng.choice(new_wards)
            use = topic.acronym if topic.acronym and k == 1 else phrase
            title = template.format(phrase=use, Phrase=use[:1].upper() + use[1:])
            body = " ".join([*topic.guide, *rng.sample(FILLER, 2)])
            add(title, body, unit, topic.key, "guide", DocType.PROCEDURE, new_date())
        for _ in range(announcements):
            # Before the reform a commune announced under its old name; after, under the new one.
            old = rng.random() < 0.4
            unit = rng.choice(old_wards if old else new_wards)
            date = (datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(540))) if old else new_date()
            place = in_sentence(unit)
            add(ANNOUNCE_TITLE.format(phrase=phrase, place=place),
                ANNOUNCE_BODY.format(phrase=phrase, place=place, month=date.month, year=date.year,
                                     n=rng.randrange(100), m=rng.randrange(1000)),
                unit, topic.key, "announcement", DocType.NOTICE, date)
        for template in NEWS_TITLES[:1] * 2 + NEWS_TITLES[1:]:
            unit = rng.choice(new_wards)
            date = new_date()
            title = template.format(phrase=phrase, place=in_sentence(unit), year=date.year)
            add(title[:1].upper() + title[1:], " ".join([topic.guide[0], *rng.sample(FILLER, 3)]), unit, topic.key,
                "news", DocType.NEWS, date)
    for _topic, title, body in LOOKALIKES:
        for _ in range(2):
            unit = rng.choice(new_wards)
            values = {"n": rng.randrange(2, 9), "place": in_sentence(unit)}
            add(title.format(**values), body.format(**values) + " " + rng.choice(FILLER), unit, "", "lookalike",
                DocType.NEWS, new_date())
    return posts


def load(posts: list[Post]) -> int:
    from .evaluation import Article
    from .evaluation import load as load_articles

    return load_articles(Article(key=p.key, title=p.title, body=p.body, unit=p.unit, district=p.unit, subtopic=p.topic,
                                 doc_type=p.doc_type, date=p.date) for p in posts)


def _typo(text: str, rng: random.Random) -> str:
    """One slip in the longest word of 5+ letters: two letters swapped or one dropped."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: (len(words[k]), -k))
    word = words[i]
    if len(word) < 5:
        return text
    p = rng.randrange(1, len(word) - 2)
    words[i] = word[:p] + word[p + 1] + word[p] + word[p + 2:] if rng.random() < 0.5 else word[:p] + word[p + 1:]
    return " ".join(words)


def judged_queries(posts: list[Post], gaz: Gazetteer, seed: int = SEED) -> list[Judged]:
    rng = random.Random(seed + 1)  # noqa: S311 — reproducible data, not secrets

    def grades(topic: Topic, territory: set[int] | None = None, question: bool = False) -> dict[str, int]:
        out = {}
        for p in posts:
            if p.topic == topic.key:
                if territory is not None:
                    out[p.key] = 2 if p.unit.pk in territory else 1
                elif question:  # a question is answered by a guide; an announcement or news item helps less
                    out[p.key] = 2 if p.kind == "guide" else 1
                else:
                    out[p.key] = 2
            elif p.topic and TOPIC[p.topic].area == topic.area:
                if territory is None and not question:
                    out[p.key] = 1
        return out

    queries: list[Judged] = []
    for topic in TOPICS:
        for question in topic.questions:
            queries.append(Judged(question, "natural_question", grades(topic, question=True)))
        queries.append(Judged(fold(topic.phrase), "unaccented", grades(topic)))
        queries.append(Judged(_typo(fold(topic.phrase), rng), "one_typo", grades(topic)))
        if topic.acronym:
            queries.append(Judged(topic.acronym, "acronym", grades(topic)))
    for topic_key in dict.fromkeys(k for k, _, _ in LOOKALIKES):
        queries.append(Judged(TOPIC[topic_key].phrase, "accented_lookalike", grades(TOPIC[topic_key])))
    # Old place names: a topic announced in an old commune, asked with that commune's old name.
    old_posts = [p for p in posts if p.kind == "announcement" and p.unit.vintage == Vintage.OLD]
    for k, post in enumerate(rng.sample(old_posts, min(10, len(old_posts)))):
        topic = TOPIC[post.topic]
        territory = gaz.territory(post.unit)
        place = post.unit.name if k % 2 else post.unit.short_name
        queries.append(Judged(f"{topic.phrase} {place}", "old_place", grades(topic, territory)))
    return [q for q in queries if any(g == 2 for g in q.grades.values())]
