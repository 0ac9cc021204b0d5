"""The register of old information systems (one row per system of a merging unit), the weights the assessment
scores them with, and the decision taken for each: keep it as the new unit's single system, migrate it into the
kept one, or retire it.

A system's `code` is the slug the migration engine keys its runs by (mapping YAML files name it), so the
dashboard can join the register to the engine's counts.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.core.text import fold, nfc
from hopnhat.org.models import AdminUnit, Agency, Level, Vintage


class SystemType(models.TextChoices):
    PORTAL = "portal", vi_en("Cổng/Trang thông tin điện tử", "Portal")
    TTHC = "tthc", vi_en("Giải quyết thủ tục hành chính", "Dossiers")
    DOCUMENTS = "documents", vi_en("Quản lý văn bản điều hành", "Documents")
    EMAIL = "email", vi_en("Thư điện tử công vụ", "Email")
    REPORTING = "reporting", vi_en("Thông tin báo cáo", "Reporting")
    OTHER = "other", vi_en("Khác", "Other")


# The five kinds the governing principles (part II) want one of per new unit; "other" has no such rule.
CONSOLIDATED_TYPES = [SystemType.PORTAL, SystemType.TTHC, SystemType.DOCUMENTS, SystemType.EMAIL,
                      SystemType.REPORTING]


class Decision(models.TextChoices):
    UNDECIDED = "undecided", vi_en("Chưa quyết định", "Undecided")
    KEEP = "keep", vi_en("Giữ làm hệ thống duy nhất", "Keep as the single system")
    MIGRATE = "migrate", vi_en("Chuyển dữ liệu vào hệ thống khác", "Migrate into another")
    RETIRE = "retire", vi_en("Dừng hoạt động", "Retire")


def _rating(help_text: str):
    return models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=help_text)


class OldSystem(models.Model):
    code = models.SlugField(max_length=80, unique=True,
                            help_text="mã hệ thống, the key the migration runs use: portal-hagianggovvn")
    name = models.CharField(max_length=300)
    name_key = models.CharField(max_length=300, db_index=True, editable=False, default="")
    system_type = models.CharField(max_length=12, choices=SystemType.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="old_systems",
                               help_text="cơ quan chủ quản (often one closed by the reform)")
    new_unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="old_systems",
                                 help_text="the post-reform province or commune this system will serve")
    vendor = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=100, blank=True)
    hosting = models.CharField(max_length=200, blank=True, help_text="nơi đặt hệ thống: TTDL tỉnh, VNPT IDC…")
    url = models.CharField(max_length=300, blank=True)
    users = models.PositiveIntegerField(null=True, blank=True, help_text="số tài khoản đang dùng")
    records = models.PositiveBigIntegerField(null=True, blank=True, help_text="số bản ghi (trang, hồ sơ, văn bản…)")
    data_gb = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    security_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="cấp độ an toàn hệ thống thông tin 1–5 (Nghị định 85/2016/NĐ-CP)")
    contract_end = models.DateField(null=True, blank=True)
    endpoints = models.TextField(blank=True, help_text="điểm tích hợp, one per line (LGSP, NDXP, Cổng DVC QG…)")
    yearly_cost_vnd = models.PositiveBigIntegerField(null=True, blank=True)
    capability = _rating("năng lực chức năng 1–5, rated by the IT team")
    vendor_support = _rating("hỗ trợ của nhà cung cấp 1–5")
    notes = models.TextField(blank=True)

    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.UNDECIDED)
    migrate_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="migrating_from")
    rationale = models.TextField(blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    wave = models.PositiveSmallIntegerField(null=True, blank=True, help_text="đợt chuyển đổi")
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["new_unit__code", "system_type", "code"]
        indexes = [models.Index(fields=["new_unit", "system_type"])]
        verbose_name = vi_en("hệ thống cũ", "old system")
        verbose_name_plural = vi_en("hệ thống cũ", "old systems")

    def __str__(self) -> str:
        return f"{self.name} [{self.code}]"

    def clean(self):
        errors = {}
        if self.new_unit_id and (self.new_unit.vintage != Vintage.NEW or self.new_unit.level == Level.DISTRICT):
            errors["new_unit"] = ("Đơn vị phục vụ phải là tỉnh hoặc xã từ 01/7/2025 / the new unit must be a "
                                  "province or commune of the 2025-07-01 vintage")
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = "Ngày kết thúc trước ngày bắt đầu / the planned end is before the start"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        for field in ("name", "vendor", "product", "version", "hosting", "url"):
            setattr(self, field, nfc(getattr(self, field)))
        # Multi-line text keeps its line breaks; NFC only.
        for field in ("endpoints", "notes", "rationale"):
            setattr(self, field, unicodedata.normalize("NFC", getattr(self, field) or "").strip())
        self.name_key = fold(self.name)
        super().save(*args, **kwargs)

    def endpoint_list(self) -> list[str]:
        return [line.strip() for line in self.endpoints.splitlines() if line.strip()]


class Criterion(models.TextChoices):
    CAPABILITY = "capability", vi_en("Năng lực chức năng", "Capability")
    USAGE = "usage", vi_en("Mức độ sử dụng", "Usage")
    DATA_VOLUME = "data_volume", vi_en("Khối lượng dữ liệu", "Data volume")
    SECURITY = "security", vi_en("Cấp độ an toàn", "Security level")
    COST = "cost", vi_en("Chi phí hằng năm", "Yearly cost")
    VENDOR_SUPPORT = "vendor_support", vi_en("Hỗ trợ của nhà cung cấp", "Vendor support")


class CriterionWeight(models.Model):
    """One editable weight per criterion; criteria without a row use DEFAULT_WEIGHTS (scoring.py)."""

    criterion = models.CharField(max_length=20, choices=Criterion.choices, unique=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["criterion"]
        verbose_name = vi_en("trọng số tiêu chí", "criterion weight")

    def __str__(self) -> str:
        return f"{self.criterion}={self.weight}"


def new_unit_by_code(code: str) -> AdminUnit:
    """A post-reform province (2 digits) or commune (5 digits) by its code."""
    unit = AdminUnit.objects.filter(vintage=Vintage.NEW, code=str(code).strip()).exclude(level=Level.DISTRICT).first()
    if unit is None:
        raise LookupError(f"Không có đơn vị hành chính mới mã “{code}” / no post-reform unit with code {code!r}")
    return unit


def system_by_code(code: str) -> OldSystem:
    system = OldSystem.objects.select_related("new_unit", "agency").filter(code=str(code).strip().lower()).first()
    if system is None:
        raise LookupError(f"Không có hệ thống mã “{code}” trong danh mục / no old system with code {code!r}")
    return system
