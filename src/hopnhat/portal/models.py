"""The one portal's page types, and what each imported article remembers of the old portals it came from.

Origins, fingerprints and imported files hang off ArticlePage by plain foreign keys, not ParentalKeys: they are
import facts, not editor content, so publishing an older revision can never drop an old URL we promised to answer.
"""

from django.core.paginator import Paginator
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from hopnhat.core.lang import vi_en
from hopnhat.org.models import AdminUnit

PAGE_SIZE = 20


def english_title_field():
    return models.CharField(max_length=255, blank=True, help_text="tiêu đề tiếng Anh (chế độ tiếng Anh) / the "
                                                                  "title shown in English mode")


def english_intro_field():
    return RichTextField(blank=True, features=["bold", "italic", "link"],
                         help_text="giới thiệu tiếng Anh / the introduction shown in English mode")


class HomePage(Page):
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])
    title_en = english_title_field()
    intro_en = english_intro_field()

    content_panels = [*Page.content_panels, FieldPanel("title_en"), FieldPanel("intro"), FieldPanel("intro_en")]
    subpage_types = ["portal.SectionPage", "portal.StandardPage", "portal.ContactPage"]
    max_count = 1

    class Meta:
        verbose_name = vi_en("trang chủ", "home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = self.get_children().live().in_menu().specific()
        context["latest"] = (ArticlePage.objects.live().descendant_of(self)
                             .order_by("-date", "-pk").select_related("origin_unit")[:8])
        context["historic_units"] = HistoricUnitPage.objects.live().descendant_of(self).order_by("title")
        return context


class SectionPage(Page):
    """Tin tức, Thông báo, Đơn vị cũ…: lists its children, newest articles first."""

    intro = RichTextField(blank=True, features=["bold", "italic", "link"])
    title_en = english_title_field()
    intro_en = english_intro_field()

    content_panels = [*Page.content_panels, FieldPanel("title_en"), FieldPanel("intro"), FieldPanel("intro_en")]
    parent_page_types = ["portal.HomePage", "portal.SectionPage"]
    subpage_types = ["portal.SectionPage", "portal.ArticlePage", "portal.StandardPage", "portal.HistoricUnitPage"]

    class Meta:
        verbose_name = vi_en("chuyên mục", "section")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = ArticlePage.objects.child_of(self).live().order_by("-date", "-pk").select_related("origin_unit")
        context["articles"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("trang"))
        context["subsections"] = self.get_children().live().not_type(ArticlePage).specific()
        return context


class ArticlePage(Page):
    """A news item. When several old portals published the same item it is one page with several origins."""

    date = models.DateTimeField(null=True, blank=True, db_index=True, help_text="ngày đăng gốc (original date)")
    author = models.CharField(max_length=255, blank=True)
    summary = models.TextField(blank=True)
    body = RichTextField(blank=True)
    categories = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    origin_unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text="đơn vị (cũ) đã đăng bản đầu tiên")

    # origin_unit is an import fact (and a 14,000-unit select box): set by the importer, not in the editor.
    content_panels = [*Page.content_panels, FieldPanel("date"), FieldPanel("author"), FieldPanel("summary"),
                      FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body"),
                     index.SearchField("author"), index.FilterField("date")]
    parent_page_types = ["portal.SectionPage"]
    subpage_types = []
    search_doc_type = "news"      # read by portal.search's index_page

    def documents(self):
        return [f for f in self.files.select_related("file__document") if f.file.document_id]

    class Meta:
        verbose_name = vi_en("tin bài", "article")


class ArticleOrigin(models.Model):
    """One old URL the article was published at, with the text as that site had it (nothing is lost)."""

    page = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="origins")
    old_url = models.URLField(max_length=2048, unique=True)
    old_site = models.CharField(max_length=255, help_text="host of the old portal: hagiang.gov.vn")
    source_kind = models.CharField(max_length=10, help_text="wxr | feed | crawl | warc")
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=500)
    published = models.DateTimeField(null=True, blank=True)
    author = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True, help_text="sanitised HTML as published there")
    content_hash = models.CharField(max_length=64, db_index=True, help_text="sha256 of the folded text")
    record_checksum = models.CharField(max_length=64, help_text="checksum of the staged source record")
    signature = models.JSONField(default=list, help_text="MinHash of the folded text's shingles")
    similarity = models.FloatField(default=1.0, help_text="estimated Jaccard to the page's first origin")
    media_refused = models.JSONField(default=list, blank=True, help_text="[{url, reason}] files not kept")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["published", "pk"]
        verbose_name = vi_en("nguồn cũ của tin", "article origin")

    def __str__(self) -> str:
        return self.old_url


class ArticleBand(models.Model):
    """Locality-sensitive hash bands of an origin's signature: articles sharing a band are duplicate candidates."""

    origin = models.ForeignKey(ArticleOrigin, on_delete=models.CASCADE, related_name="bands")
    band = models.PositiveSmallIntegerField()
    value = models.CharField(max_length=16)

    class Meta:
        indexes = [models.Index(fields=["band", "value"], name="portal_band_lookup")]


class ImportedFile(models.Model):
    """A downloaded image or attachment, kept once per content (sha256) however many articles use it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    first_url = models.URLField(max_length=2048)
    image = models.ForeignKey("wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    document = models.ForeignKey("wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")


class ArticleFile(models.Model):
    page = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="files")
    file = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="uses")
    old_url = models.URLField(max_length=2048)
    title = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "file"], name="portal_article_file_once")]
        ordering = ["pk"]


class StandardPage(Page):
    body = RichTextField(blank=True)
    title_en = english_title_field()
    body_en = RichTextField(blank=True, help_text="nội dung tiếng Anh / the text shown in English mode")

    content_panels = [*Page.content_panels, FieldPanel("title_en"), FieldPanel("body"), FieldPanel("body_en")]
    search_fields = [*Page.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = vi_en("trang nội dung", "standard page")


class ContactPage(Page):
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.CharField(max_length=500, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    body = RichTextField(blank=True)
    title_en = english_title_field()
    body_en = RichTextField(blank=True, help_text="nội dung tiếng Anh / the text shown in English mode")

    content_panels = [*Page.content_panels, FieldPanel("title_en"), FieldPanel("unit"), FieldPanel("address"),
                      FieldPanel("phone"), FieldPanel("email"), FieldPanel("body"), FieldPanel("body_en")]

    class Meta:
        verbose_name = vi_en("liên hệ", "contact page")


class HistoricUnitPage(Page):
    """An old unit whose portal was imported: what it became (from the lineage) and what it published."""

    unit = models.OneToOneField(AdminUnit, on_delete=models.PROTECT, related_name="historic_page")
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("unit"), FieldPanel("intro")]
    parent_page_types = ["portal.SectionPage"]
    subpage_types = []

    class Meta:
        verbose_name = vi_en("đơn vị cũ", "historic unit page")

    @property
    def title_en(self) -> str:
        """The English title, from the unit (the Vietnamese one is history.historic_title)."""
        return f"People's Committee of {self.unit.name} (former)"

    def get_context(self, request, *args, **kwargs):
        from .history import successor_statement

        context = super().get_context(request, *args, **kwargs)
        context["statement"] = successor_statement(self.unit)
        articles = (ArticlePage.objects.live().filter(origins__unit=self.unit).distinct()
                    .order_by("-date", "-pk"))
        # ?chuyen-muc=…: an old category page (/?cat=7, /category/thong-bao/) lands here on its own articles.
        # Categories are a JSON list; filtered on the unit's few ids in Python (SQLite has no JSON containment).
        category = (request.GET.get("chuyen-muc") or "").strip()
        if category:
            ids = [pk for pk, cats in articles.values_list("pk", "categories") if category in (cats or [])]
            articles = ArticlePage.objects.filter(pk__in=ids).order_by("-date", "-pk")
        context["category"] = category
        context["articles"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("trang"))
        return context
