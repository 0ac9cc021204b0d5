"""Issue 19, one language at a time: every page of every app's URLs, visited as the demo's roles (a citizen, the
one-door desk, the province's unit administrator, the platform administrator), shows Vietnamese only in Vietnamese
mode and no Vietnamese interface text in English mode; numbers, money and dates are written the Vietnamese way.

What is checked is the page's own text — headings, labels, buttons, table heads, messages, aria-labels and
placeholders. Records stay as they were written (a ward's name, an applicant's name, an article title), so the
English check looks for the interface's Vietnamese words, not for any letter with a diacritic; the Vietnamese check
looks for English words the interface uses and for "(english)" / "/ English" halves after a label.
"""

import datetime
import io
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from hopnhat.core import lang
from hopnhat.org.demo import DEMO_PASSWORD
from hopnhat.org.demo import load_demo as load_org_demo

pytestmark = pytest.mark.django_db

# English the interface uses, as whole words (case-sensitive where a Vietnamese word could look the same).
ENGLISH = re.compile(r"\b(Sign in|Sign out|Look up|Search|Status|Dossiers?|Procedure|Agency|Applicant|Received|"
                     r"Due|overdue|Overdue|Home|Staff area|Filter|Show|Previous|Next|Result|Contact|Address|"
                     r"Hotline|pending|processing|submitted|received|returned|Skip to main content|the|and|of|"
                     r"with|your|You|Save|Cancel|Page not found|Back|Steps|History|Note|Official|Assigned to|"
                     r"Statistics|Total|Old codes|none|None|True|False|Phone|Code|Services|Latest news|"
                     r"Former units|Sections|Breadcrumbs|Main navigation|Staff tools)\b")
# Vietnamese interface words: none of them is part of the demo's records.
VIETNAMESE = re.compile(r"(Đăng nhập|Đăng xuất|Tra cứu|Tìm kiếm|Trạng thái|Trang chủ|Khu vực cán bộ|Thao tác|"
                        r"Quá trình xử lý|Ngày hẹn trả|Ngày tiếp nhận|Người nộp|Người thụ lý|Cơ quan đang|Lọc|"
                        r"Không có|Không tìm thấy|Chưa có|Liên hệ|Địa chỉ|Đường dây nóng|Thư điện tử|Bỏ qua|"
                        r"Xin chào|Vai trò|Công cụ|Chức năng|Tin mới|Đơn vị hành chính cũ|Mã hồ sơ|Hạn trả|"
                        r"Tiếp nhận hồ sơ|Thống kê|Đồng bộ|Quản trị|Cơ quan chủ quản|Giấy phép|Tất cả|"
                        r"Chịu trách nhiệm|Kết quả|Quay lại|Về trang chủ|quá hạn|Tổng|Xem|Ghi chú)")
SKIP_TAGS = {"script", "style", "code", "pre", "textarea", "option"}
ATTRS = ("aria-label", "placeholder", "title", "alt")


class _Text(HTMLParser):
    """The page's interface text: data in lang="vi" (records) and lang="en" (the other language's switch button)
    is left out, as is what sits in code, scripts and form values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipping(self):
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        void = tag in {"input", "img", "br", "meta", "link", "hr", "source"}
        skip = tag in SKIP_TAGS or attrs.get("lang") in {"vi", "en"} and tag != "html" or \
            "data-record" in attrs
        if not self._skipping() and not skip:
            self.parts += [attrs[a] for a in ATTRS if attrs.get(a)]
        if not void:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data.strip())


def interface_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def _pages(dossier_pk: int) -> list[str]:
    """Every URL pattern of the project's own apps that takes no argument, and the dossier page."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<" not in route and "(" not in route and "^" not in route:
                module = getattr(p.callback, "__module__", "")
                if module.startswith("hopnhat.") and not route.endswith((".json", ".pdf", ".csv", ".xlsx")):
                    found.append("/" + route)
    walk(get_resolver().url_patterns)
    skip = {"/dang-xuat/", "/healthz", "/ho-so/api/tra-cuu/", "/i18n/setlang/"}
    pages = sorted({p for p in found if p not in skip and "api/" not in p and "vneid" not in p})
    return [*pages, f"/ho-so/can-bo/{dossier_pk}/", "/khong-co-trang-nay/"]


@pytest.fixture
def demo(tmp_path, settings):
    from hopnhat.dossiers import demo as dossiers_demo

    settings.VAR_DIR = tmp_path
    load_org_demo(io.StringIO())
    # only the Tuyên Quang part of the dossiers demo (the one-door team and its dossiers), not the Hà Nội imports
    ward = dossiers_demo.Agency.objects.get(code=dossiers_demo.WARD)
    procedures = {p["code"]: dossiers_demo.Procedure.objects.get_or_create(code=p["code"], defaults=p)[0]
                  for p in dossiers_demo.PROVINCE_PROCEDURES}
    team = dossiers_demo._team(ward)
    fresh = dossiers_demo._fresh_dossiers(ward, team, procedures)
    return dossiers_demo.Dossier.objects.get(code=next(f["code"] for f in fresh if f["stage"] == "supplement"))


ROLES = [None, "motcua.minhxuan", "quantri.tuyenquang", "quantri"]


def _client(username, language):
    client = Client()
    if username:
        assert client.login(username=username, password=DEMO_PASSWORD)
    client.cookies["django_language"] = language
    return client


def test_every_page_in_both_languages_shows_one_language(demo):
    pages = _pages(demo.pk)
    assert "/ho-so/tra-cuu/" in pages and "/can-bo/" in pages and "/lien-he/" in pages
    problems = []
    visited = 0
    for username in ROLES:
        for language, pattern in (("vi", ENGLISH), ("en", VIETNAMESE)):
            client = _client(username, language)
            for path in pages:
                answer = client.get(path)
                if answer.status_code in (301, 302) or "text/html" not in answer.get("Content-Type", ""):
                    continue
                visited += 1
                text = interface_text(answer.content.decode())
                hits = sorted({m.group(0) for m in pattern.finditer(text)})
                if language == "vi":
                    # a "(english)" or "/ English" half left after a Vietnamese label
                    hits += [m.group(0) for m in re.finditer(r"\((?:[a-z]+ ?){1,4}\)|/ [A-Z][a-z]+ [a-z]+", text)
                             if not lang.has_vietnamese(m.group(0)) and m.group(0) != f"({username})"]
                if hits:
                    problems.append(f"{language} {username or 'anonymous'} {path} [{answer.status_code}]: {hits}")
    assert visited > 40
    assert not problems, "\n".join(problems)


def test_vietnamese_formats_through_one_set_of_filters():
    assert lang.number(2400000) == "2.400.000"
    assert lang.money(600000000) == "600.000.000 ₫"
    assert lang.number(0.5, 1) == "0,5"
    assert lang.percent(0.9567) == "95,7 %"
    assert lang.date(datetime.date(2025, 6, 12)) == "12/06/2025"
    assert lang.date_time("2025-06-12T14:00+07:00") == "12/06/2025 14:00"
    # a two-language label shows one half: model choices carry their English, older labels are split
    label = lang.vi_en("Chờ gửi", "Pending")
    with translation.override("vi"):
        assert str(label) == "Chờ gửi" and lang.pick(label) == "Chờ gửi"
    with translation.override("en"):
        assert str(label) == "Chờ gửi" and lang.pick(label) == "Pending"
    assert lang.split("Không tìm thấy hồ sơ. / No dossier matches.") == ("Không tìm thấy hồ sơ.",
                                                                        "No dossier matches.")
    assert lang.split("Đã xử lý xong (decided)") == ("Đã xử lý xong", "Decided")
    assert lang.split("UBND phường Minh Xuân") == ("UBND phường Minh Xuân", "UBND phường Minh Xuân")


def test_dates_and_numbers_on_the_pages_are_vietnamese(demo):
    html = _client("quantri.tuyenquang", "vi").get(f"/ho-so/can-bo/{demo.pk}/").content.decode()
    assert re.search(r"\d\d/\d\d/20\d\d \d\d:\d\d", html)
    assert not re.search(r">\s*20\d\d-\d\d-\d\d", html)   # no ISO dates shown as text
    dashboard = _client("quantri.tuyenquang", "vi").get("/ho-so/can-bo/thong-ke/").content.decode()
    assert not re.search(r"\d+%<", dashboard) and re.search(r"\d+(,\d)? %", dashboard)
