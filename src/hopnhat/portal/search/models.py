"""What the portal search holds: one row per searchable thing, plus what staff curate (synonyms, best bets,
words never to "correct").

A SearchDocument does not need a Wagtail page: imported articles of the old portals, dossier procedures or any
other content can be indexed the same way. The *_key columns hold `core.text.fold` of what is searched; the
full-text index over them (FTS5 on SQLite, a tsvector column on PostgreSQL) lives in `backends.py` and is kept
in step by database triggers, so bulk writes and cascaded deletes cannot leave it stale.
"""

import re

from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.core.text import fold, nfc
from hopnhat.org.models import Vintage


def unit_token(unit) -> str:
    """One index token per unit identity (vintage, level, code): uow00526 is old ward 00526, unp08 new province 08.

    Documents carry the tokens of their origin unit and its ancestors, so a query expanded through the lineage
    finds content *from* a unit even when the text never names it."""
    return f"u{'o' if unit.vintage == Vintage.OLD else 'n'}{unit.level[0]}{unit.code}"


_UNIT_TOKEN = re.compile(r"^u[on][pdw]\d+$")


def is_unit_token(token: str) -> bool:
    return bool(_UNIT_TOKEN.match(token))


class DocType(models.TextChoices):
    NEWS = "news", vi_en("Tin tức", "News")
    PROCEDURE = "procedure", vi_en("Thủ tục hành chính", "Procedure")
    NOTICE = "notice", vi_en("Thông báo", "Notice")
    DOCUMENT = "document", vi_en("Văn bản", "Legal document")
    PAGE = "page", vi_en("Trang", "Page")


class SearchDocument(models.Model):
    title = models.CharField(max_length=500)
    body = models.TextField(blank=True, help_text="plain text, NFC")
    url = models.CharField(max_length=1000)
    page = models.OneToOneField("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="search_document")
    origin_unit = models.ForeignKey("org.AdminUnit", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="search_documents", help_text="the unit the content is about")
    doc_type = models.CharField(max_length=20, choices=DocType.choices, default=DocType.PAGE)
    date = models.DateField(null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    source_key = models.CharField(max_length=200, unique=True, null=True, blank=True,
                                  help_text="a stable key for content that is not a Wagtail page")
    title_key = models.TextField(editable=False, default="")
    places_key = models.TextField(editable=False, default="", help_text="fold of the origin unit's names")
    body_key = models.TextField(editable=False, default="")
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "id"]
        indexes = [models.Index(fields=["doc_type", "year"])]
        verbose_name = vi_en("tài liệu tìm kiếm", "search document")
        verbose_name_plural = vi_en("tài liệu tìm kiếm", "search documents")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.fill_keys()
        super().save(*args, **kwargs)

    def fill_keys(self) -> None:
        """NFC for display, fold for matching; bulk_create callers call this themselves."""
        self.title, self.body = nfc(self.title), nfc(self.body)
        self.title_key, self.body_key = fold(self.title), fold(self.body)
        self.year = self.date.year if self.date else self.year
        unit = self.origin_unit
        names, tokens = [], []
        while unit is not None:  # ward, then its district and province: "Bát Tràng Gia Lâm Hà Nội"
            names += [unit.name, unit.short_name]
            tokens.append(unit_token(unit))
            unit = unit.parent
        self.places_key = " ".join([fold(" ".join(names)), *tokens]).strip()


def _phrases(text: str) -> list[str]:
    return [p for p in (fold(part) for part in text.replace("\n", ",").split(",")) if p]


class Synonym(models.Model):
    """Words and acronyms that mean the same: “UBND, Ủy ban nhân dân”. Each is searched as any of the others."""

    phrases = models.TextField(help_text="các cách viết cách nhau bởi dấu phẩy / equivalent phrases, comma "
                                         "separated: UBND, Ủy ban nhân dân")
    note = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = vi_en("từ đồng nghĩa", "synonym")
        verbose_name_plural = vi_en("từ đồng nghĩa", "synonyms")

    def __str__(self) -> str:
        return nfc(self.phrases)

    def keys(self) -> list[str]:
        return _phrases(self.phrases)


class BestBet(models.Model):
    """A result staff pin to the top for a query (matched on the folded query, so “ubnd”/“UBND” meet)."""

    query = models.CharField(max_length=200)
    query_key = models.CharField(max_length=200, db_index=True, editable=False)
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="best_bets")
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["query_key", "position"]
        constraints = [models.UniqueConstraint(fields=["query_key", "document"], name="best_bet_once")]
        verbose_name = vi_en("kết quả ưu tiên", "best bet")
        verbose_name_plural = vi_en("kết quả ưu tiên", "best bets")

    def __str__(self) -> str:
        return f"{self.query} → {self.document}"

    def save(self, *args, **kwargs):
        self.query, self.query_key = nfc(self.query), fold(self.query)
        super().save(*args, **kwargs)


class ProtectedWord(models.Model):
    """A word "did you mean" must never change (names, place names, new terms): the GOV.UK lesson."""

    word = models.CharField(max_length=100)
    word_key = models.CharField(max_length=100, unique=True, editable=False)

    class Meta:
        ordering = ["word_key"]
        verbose_name = vi_en("từ không sửa chính tả", "protected word")
        verbose_name_plural = vi_en("từ không sửa chính tả", "protected words")

    def __str__(self) -> str:
        return self.word

    def save(self, *args, **kwargs):
        self.word, self.word_key = nfc(self.word), fold(self.word)
        super().save(*args, **kwargs)


class SearchTerm(models.Model):
    """The corpus vocabulary (folded syllables and how many documents hold them): typo correction and
    "did you mean" come from our own content, never from a general dictionary."""

    term = models.CharField(max_length=100, primary_key=True)
    doc_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = vi_en("từ trong chỉ mục", "index term")
