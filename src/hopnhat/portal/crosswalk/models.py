"""Old sites and what becomes of each of their URLs (GOV.UK Transition's Site → Host → Mapping, as data).

A site is live (GOV.UK's "live" as against "pre-transition") when its old hosts are answered; a site tied to a
migration system follows that system's cutover (`cutover.py`): live on switch, not live after a route-back.

A mapping is keyed by the *canonical* old path (see `canonical.py`), so every spelling users typed meets one
row. Precedence when a request arrives (`resolve.py`): exact path (with its significant query, then without)
> longest prefix rule > the site's global rule > 404.
"""

from django.db import models

from hopnhat.core.lang import vi_en


class MappingType(models.TextChoices):
    REDIRECT = "redirect", vi_en("Chuyển hướng 301", "Redirect")
    ARCHIVE = "archive", vi_en("Lưu trữ 410", "Archive")
    UNRESOLVED = "unresolved", vi_en("Chưa quyết định", "Unresolved")
    API = "api", vi_en("API (307/308 hoặc chuyển tiếp)", "API (307/308 or proxy)")


class Match(models.TextChoices):
    EXACT = "exact", vi_en("Đúng đường dẫn", "Exact path")
    PREFIX = "prefix", vi_en("Tiền tố /…/*", "Prefix")


class ApiMode(models.TextChoices):
    TEMPORARY = "307", vi_en("307 (giữ phương thức)", "307 (keeps the method)")
    PERMANENT = "308", vi_en("308 (giữ phương thức)", "308 (keeps the method)")
    PROXY = "proxy", vi_en("Chuyển tiếp tới API mới", "Proxy")


class GlobalType(models.TextChoices):
    NONE = "", vi_en("Không", "None")
    REDIRECT = "redirect", vi_en("Chuyển cả trang", "Redirect the whole host")
    ARCHIVE = "archive", vi_en("Lưu trữ cả trang", "Archive the whole host")


class OldSite(models.Model):
    """One old portal (of a commune, district or province before the reform) and how its URLs are read."""

    host = models.CharField(max_length=253, unique=True, help_text="the main host; OldHost lists every host")
    name = models.CharField(max_length=300, blank=True)
    unit = models.ForeignKey("org.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the old unit whose portal this was; its lineage names the successor")
    agency = models.ForeignKey("org.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="who decides this site's mappings (access is scoped to its subtree)")
    case_insensitive = models.BooleanField(default=True, help_text="old IIS/ASP.NET portals ignored case")
    trailing_slash_significant = models.BooleanField(default=False)
    normalise_encoding = models.BooleanField(default=True,
                                             help_text="decode %XX, NFC, re-encode: one form per path")
    significant_query = models.CharField(max_length=500, blank=True,
                                         help_text="query parameters that pick a page (id:cat); others dropped")
    pass_query = models.BooleanField(default=False, help_text="append the request's query string to targets")
    global_type = models.CharField(max_length=10, choices=GlobalType.choices, blank=True, default="")
    global_url = models.CharField(max_length=2048, blank=True)
    global_append_path = models.BooleanField(default=False)
    system = models.CharField(max_length=100, blank=True, db_index=True,
                              help_text="the migration system code whose cutover decides when the site goes live "
                                        "(portal-hagianggovvn); blank for a site made by hand")
    live = models.BooleanField(default=True, help_text="its old hosts are answered (middleware, bouncer, nginx "
                                                       "map); its system's cutover turns it on at the switch and "
                                                       "off at a route-back")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = vi_en("trang web cũ", "old site")
        verbose_name_plural = vi_en("trang web cũ", "old sites")

    def __str__(self) -> str:
        return self.host

    def significant_params(self) -> list[str]:
        names = [p.strip() for p in self.significant_query.replace(",", ":").split(":") if p.strip()]
        return [n.lower() for n in names] if self.case_insensitive else names


class OldHost(models.Model):
    """A host name an old site answered on (www. and bare domains are two rows of one site)."""

    site = models.ForeignKey(OldSite, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(max_length=253, unique=True)

    def save(self, *args, **kwargs):
        self.host = self.host.strip().lower().rstrip(".")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.host


class Mapping(models.Model):
    site = models.ForeignKey(OldSite, on_delete=models.CASCADE, related_name="mappings")
    path = models.CharField(max_length=2048, help_text="canonical path (with significant query), ASCII")
    match = models.CharField(max_length=6, choices=Match.choices, default=Match.EXACT)
    type = models.CharField(max_length=10, choices=MappingType.choices, default=MappingType.UNRESOLVED)
    target_page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    target_url = models.CharField(max_length=2048, blank=True)
    append_path = models.BooleanField(default=False, help_text="prefix rules: add the rest of the path")
    api_mode = models.CharField(max_length=5, choices=ApiMode.choices, blank=True)
    archive_page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="our archived copy of the old page")
    archive_url = models.CharField(max_length=2048, blank=True)
    unit = models.ForeignKey("org.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the old unit this page spoke for, when not the site's own")
    notes = models.TextField(blank=True)
    hits = models.PositiveBigIntegerField(default=0, help_text="requests seen in imported access logs")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "match", "path"], name="crosswalk_mapping_once")]
        indexes = [models.Index(fields=["type", "-hits"], name="crosswalk_decide_queue")]
        verbose_name = vi_en("ánh xạ địa chỉ cũ", "mapping")

    def __str__(self) -> str:
        star = "*" if self.match == Match.PREFIX else ""
        return f"{self.site}{self.path}{star} → {self.type}"

    @property
    def pattern(self) -> str:
        """The path as people write it: `/tin-tuc/*` for a prefix rule."""
        return (self.path.rstrip("/") + "/*") if self.match == Match.PREFIX else self.path

    def snapshot(self) -> dict:
        """What a version keeps: every field a person decides."""
        return {
            "path": self.path, "match": self.match, "type": self.type,
            "target_page": self.target_page_id, "target_url": self.target_url,
            "append_path": self.append_path, "api_mode": self.api_mode,
            "archive_page": self.archive_page_id, "archive_url": self.archive_url,
            "unit": self.unit_id, "notes": self.notes,
        }


class MappingVersion(models.Model):
    """Edit history: one row per saved change, kept even when the mapping is deleted."""

    mapping = models.ForeignKey(Mapping, null=True, on_delete=models.SET_NULL, related_name="versions")
    site = models.ForeignKey(OldSite, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=2048)
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=30)
    data = models.JSONField(default=dict)
    actor = models.CharField(max_length=200)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mapping", "version"]


class AllowedHost(models.Model):
    """Hosts a redirect may send people to, besides the built-in ones (see `safety.py`).
    A leading dot allows a whole domain: `.gov.vn`."""

    pattern = models.CharField(max_length=253, unique=True)
    note = models.CharField(max_length=300, blank=True)

    def save(self, *args, **kwargs):
        self.pattern = self.pattern.strip().lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.pattern


class HitsFile(models.Model):
    """An imported access log, by content hash, so importing it again changes nothing."""

    checksum = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=500)
    lines = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)


class Hit(models.Model):
    """Requests per (site, canonical path, status, day) — the evidence that ranks what to decide first."""

    site = models.ForeignKey(OldSite, on_delete=models.CASCADE, related_name="hit_rows")
    path = models.CharField(max_length=2048)
    status = models.PositiveSmallIntegerField()
    day = models.DateField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "path", "status", "day"], name="crosswalk_hit_once")]


class Revision(models.Model):
    """One row whose number goes up with every change that can alter an answer (mappings, sites, hosts, the
    allow-list): serving caches outside Django's request cycle (the bouncer) compare it to know when to forget."""

    number = models.PositiveBigIntegerField(default=0)
