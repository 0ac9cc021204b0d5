"""Demo: the one portal of the new Tuyên Quang province, assembled from four old portals in four formats
(fixtures/generate.py writes them): a WordPress export of the old Hà Giang provincial portal, the RSS feed of the
Tuyên Quang Department of Education, a WARC archive of the old Vị Xuyên district portal and the Atom feed of the
old Vị Xuyên township. Loading twice changes nothing (the engine skips unchanged records)."""

from pathlib import Path

from django.conf import settings

from hopnhat.org.models import AdminUnit, Level, Vintage

from . import tree
from .importing import run_import
from .models import ArticleOrigin, ArticlePage, ContactPage, HistoricUnitPage, StandardPage

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ACTOR = "system:demo"
TITLE = "Cổng thông tin điện tử tỉnh Tuyên Quang"
INTRO = ("<p>Cổng thông tin hợp nhất của tỉnh Tuyên Quang sau sắp xếp đơn vị hành chính ngày 01/7/2025: tin bài "
         "của các cổng thông tin cũ (tỉnh Hà Giang, Sở Giáo dục và Đào tạo Tuyên Quang, huyện Vị Xuyên, thị trấn Vị "
         "Xuyên) ở một nơi, mỗi địa chỉ cũ vẫn dẫn tới đúng bài.</p>")
# English mode shows these instead (issue 19: one language at a time)
TITLE_EN = "Electronic information portal of Tuyên Quang province"
INTRO_EN = ("<p>The merged portal of Tuyên Quang province after the reorganisation of 1 July 2025: the articles of "
            "the old portals (Hà Giang province, Tuyên Quang's Department of Education and Training, Vị Xuyên "
            "district and town) in one place, every old address still leading to the right article.</p>")
CONTACT_BODY = ("<p>Văn phòng Ủy ban nhân dân tỉnh Tuyên Quang tiếp nhận góp ý về cổng thông tin và các địa chỉ cũ "
                "chưa dẫn tới đúng trang.</p>")
CONTACT_BODY_EN = ("<p>The provincial office takes feedback on the portal and on old addresses that do not lead to "
                   "the right page yet.</p>")
ABOUT_EN = ("<p>The new Tuyên Quang province was formed by merging Hà Giang and Tuyên Quang provinces under "
            "Resolution 202/2025/QH15 of the National Assembly (12 June 2025), with two-level local government from "
            "1 July 2025.</p>")

# (kind, source config, old host, old unit code)
PORTALS = [
    ("wxr", {"path": str(FIXTURES / "hagiang-wxr.xml"), "media_dir": str(FIXTURES / "hagiang-uploads")},
     "hagiang.gov.vn", "02"),
    ("feed", {"path": str(FIXTURES / "sgddt-tuyenquang-rss.xml")}, "sgddt.tuyenquang.gov.vn", "08"),
    ("warc", {"path": str(FIXTURES / "vixuyen-warc.warc.gz"), "article_pattern": "/tin-tuc/"},
     "vixuyen.hagiang.gov.vn", "030"),
    ("feed", {"path": str(FIXTURES / "ttvixuyen-atom.xml")}, "ttvixuyen.hagiang.gov.vn", "00913"),
]


def _ensure_units(stdout) -> None:
    """The old and new units the demo's portals belong to come from the national graph (org's loader)."""
    if not AdminUnit.objects.filter(vintage=Vintage.OLD, level=Level.PROVINCE, code="02").exists():
        from hopnhat.org.units_load import load_national_units

        stdout.write("Nạp danh mục đơn vị hành chính / loading the national unit graph…\n")
        load_national_units(stdout)


def _publish_if_changed(page, **fields) -> None:
    if any(getattr(page, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(page, name, value)
        page.save_revision(log_action=False).publish(log_action=False)


def _skeleton() -> None:
    home = tree.home()
    _publish_if_changed(home, title=TITLE, intro=INTRO, title_en=TITLE_EN, intro_en=INTRO_EN)
    # a demo made before the sections had an English intro of their own kept "Tiếng Việt / English" in one
    for page, (_, _, intro, title_en, intro_en) in ((tree.news(), tree.NEWS), (tree.old_units(), tree.OLD_UNITS)):
        _publish_if_changed(page, title_en=title_en, intro=f"<p>{intro}</p>", intro_en=f"<p>{intro_en}</p>")
    if not StandardPage.objects.child_of(home).filter(slug="gioi-thieu").exists():
        page = home.add_child(instance=StandardPage(
            title="Giới thiệu", slug="gioi-thieu", show_in_menus=True,
            body="<p>Tỉnh Tuyên Quang (mới) được thành lập trên cơ sở hợp nhất tỉnh Hà Giang và tỉnh Tuyên Quang "
                 "theo Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội, chính quyền địa phương hai cấp từ "
                 "ngày 01/7/2025.</p>"))
        page.save_revision(log_action=False).publish(log_action=False)
    _publish_if_changed(StandardPage.objects.child_of(home).get(slug="gioi-thieu"), title_en="About",
                        body_en=ABOUT_EN)
    if not ContactPage.objects.child_of(home).filter(slug="lien-he").exists():
        unit = AdminUnit.objects.filter(vintage=Vintage.NEW, level=Level.PROVINCE, code="08").first()
        page = home.add_child(instance=ContactPage(
            title="Liên hệ", slug="lien-he", show_in_menus=True, unit=unit,
            address="Phường Minh Xuân, tỉnh Tuyên Quang", body=CONTACT_BODY))
        page.save_revision(log_action=False).publish(log_action=False)
    # the contact page carries the same contact fields as the footer (settings.HOPNHAT_PORTAL)
    portal = settings.HOPNHAT_PORTAL
    _publish_if_changed(ContactPage.objects.child_of(home).get(slug="lien-he"), title_en="Contact",
                        body=CONTACT_BODY, body_en=CONTACT_BODY_EN, address=portal["address"],
                        phone=portal["hotline"], email=portal["email"])


def load_demo(stdout) -> dict:
    _ensure_units(stdout)
    _skeleton()
    imports = []
    for kind, source, site, unit in PORTALS:
        result = run_import(kind, source, site=site, unit=unit, actor=ACTOR)
        outcomes = result["totals"].get("outcomes", {})
        stdout.write(f"    {site} ({kind}): " + ", ".join(f"{n} {name}" for name, n in outcomes.items()) + "\n")
        imports.append({"site": site, "kind": kind, "outcomes": outcomes, "balanced": result["balanced"],
                        "quarantined": result["quarantined"]})
    multi = [p for p in ArticlePage.objects.live() if p.origins.count() > 1]
    summary = {
        "imports": imports,
        "articles": ArticlePage.objects.live().count(),
        "old_urls": ArticleOrigin.objects.count(),
        "articles_with_several_origins": {p.title: p.origins.count() for p in multi},
        "historic_units": list(HistoricUnitPage.objects.live().order_by("title").values_list("title", flat=True)),
    }
    stdout.write(f"    Cổng thông tin / portal: {summary['articles']} tin bài / articles từ / from "
                 f"{summary['old_urls']} địa chỉ cũ / old addresses; "
                 f"{len(multi)} tin đăng trên nhiều cổng / on several portals; "
                 f"{len(summary['historic_units'])} đơn vị cũ / old units\n")
    return summary
