"""Who became whom, when: administrative units and agencies with their lineage, and the people in them.

Units carry their vintage because a new ward may reuse a predecessor's code (00004 was Phường Trúc Bạch and
is now Phường Ba Đình): (vintage, level, code) identifies a unit, a code alone never does.
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.core.text import fold, nfc

REFORM_DATE = datetime.date(2025, 7, 1)
LAST_OLD_DAY = datetime.date(2025, 6, 30)


class Vintage(models.TextChoices):
    OLD = "2025-06-30", vi_en("Trước 01/7/2025", "Before the reform")
    NEW = "2025-07-01", vi_en("Từ 01/7/2025", "From the reform")


class Level(models.TextChoices):
    PROVINCE = "province", vi_en("Tỉnh / thành phố", "Province")
    DISTRICT = "district", vi_en("Quận / huyện / thị xã", "District")
    WARD = "ward", vi_en("Xã / phường / thị trấn / đặc khu", "Commune")


class SuccessionKind(models.TextChoices):
    WHOLE = "whole", vi_en("Toàn bộ", "Whole")
    PARTIAL = "partial", vi_en("Một phần", "Partial")


class AdminUnit(models.Model):
    vintage = models.CharField(max_length=10, choices=Vintage.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=10, help_text="GSO/NSO code: 2 digits province, 3 district, 5 ward")
    name = models.CharField(max_length=200, help_text="full name with its type word, NFC: Phường Đội Cấn")
    short_name = models.CharField(max_length=200, help_text="without the type word: Đội Cấn")
    unit_type = models.CharField(max_length=50, help_text="Tỉnh, Thành phố, Quận, Huyện, Xã, Phường, Đặc khu…")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text="the province this unit lies in (itself for one)")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    name_key = models.CharField(max_length=200, db_index=True, help_text="fold(name)")
    short_key = models.CharField(max_length=200, db_index=True, help_text="fold(short_name)")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vintage", "level", "code"], name="unit_identity")]
        # resolve("00004") looks a code up across both vintages (a new ward may reuse a predecessor's code).
        indexes = [models.Index(fields=["code"], name="unit_code")]
        ordering = ["vintage", "level", "code"]
        verbose_name = vi_en("đơn vị hành chính", "administrative unit")
        verbose_name_plural = vi_en("đơn vị hành chính", "administrative units")

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.get_vintage_display().split(' (')[0]})"

    @property
    def node_id(self) -> str:
        """Stable identifier across systems: VN/2025-06-30/ward/00004."""
        return f"VN/{self.vintage}/{self.level}/{self.code}"

    def save(self, *args, **kwargs):
        self.name, self.short_name = nfc(self.name), nfc(self.short_name)
        self.name_key, self.short_key = fold(self.name), fold(self.short_name)
        super().save(*args, **kwargs)

    def is_valid_on(self, date: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= date) and (self.valid_to is None or date <= self.valid_to)

    def path_names(self) -> list[str]:
        """[ward, district, province] names, innermost first."""
        names, unit = [], self
        while unit is not None:
            names.append(unit.name)
            unit = unit.parent
        return names


class UnitAlias(models.Model):
    """Other spellings of a unit's name (Hoà/Hòa, Xà/Sà Phìn, Thừa Thiên Huế/Huế), folded for look-up."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    alias_key = models.CharField(max_length=200, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "alias_key"], name="unit_alias_once")]

    def save(self, *args, **kwargs):
        self.alias = nfc(self.alias)
        self.alias_key = fold(self.alias)
        super().save(*args, **kwargs)


class Succession(models.Model):
    """Abstract lineage edge predecessor → successor, shared by units and agencies."""

    kind = models.CharField(max_length=10, choices=SuccessionKind.choices)
    is_default = models.BooleanField(default=False, help_text="for a split: where undecided cases go")
    effective_date = models.DateField(default=REFORM_DATE)
    legal_basis = models.TextField(blank=True, help_text="resolution text where the data has it")
    sources = models.JSONField(default=list, blank=True, help_text='data sets that state this edge')

    class Meta:
        abstract = True


class UnitSuccession(Succession):
    predecessor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="successor_edges")
    successor = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="predecessor_edges")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["predecessor", "successor"], name="unit_edge_once")]
        verbose_name = vi_en("kế thừa đơn vị", "unit succession")


_AGENCY_CODE = re.compile(r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9]{2}$")


def validate_agency_code(value: str) -> None:
    """Mã định danh điện tử: V1V2V3.Z1Z2.Y1Y2.X1X2X3, e.g. 000.00.00.H26 or G01.01.02.H26."""
    if not _AGENCY_CODE.match(value or ""):
        raise ValidationError(
            f"Mã định danh “{value}” không đúng dạng V1V2V3.Z1Z2.Y1Y2.X1X2X3 (ví dụ 000.00.00.H26) "
            f"/ agency code “{value}” is not of the form V1V2V3.Z1Z2.Y1Y2.X1X2X3"
        )


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", vi_en("Đang hoạt động", "Active")
    CLOSED = "closed", vi_en("Đã dừng", "Closed")


class ClosedReason(models.TextChoices):
    MERGED = "merged", vi_en("Hợp nhất / sáp nhập", "Merged")
    SPLIT = "split", vi_en("Chia tách", "Split")
    RENAMED = "renamed", vi_en("Đổi tên", "Renamed")
    ABOLISHED = "abolished", vi_en("Giải thể / kết thúc", "Abolished")


class Agency(models.Model):
    """Cơ quan / đơn vị. `path` is the chain of ancestor ids (/1/7/12/) so a subtree is one prefix query."""

    name = models.CharField(max_length=300)
    short_name = models.CharField(max_length=100, blank=True)
    code = models.CharField(max_length=20, unique=True, null=True, blank=True, validators=[validate_agency_code],
                            help_text="mã định danh điện tử")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="agencies")
    status = models.CharField(max_length=10, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    closed_reason = models.CharField(max_length=10, choices=ClosedReason.choices, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    path = models.CharField(max_length=500, db_index=True, editable=False, default="")
    name_key = models.CharField(max_length=300, db_index=True, editable=False, default="")
    # Whom a citizen calls or visits (bộ phận một cửa): shown wherever a dossier or a request is sent on to it.
    contact_phone = models.CharField(max_length=50, blank=True, default="")
    contact_email = models.EmailField(blank=True, default="")
    contact_address = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["path"]
        verbose_name = vi_en("cơ quan", "agency")
        verbose_name_plural = vi_en("cơ quan", "agencies")

    def __str__(self) -> str:
        return f"{self.name} [{self.code}]" if self.code else self.name

    def clean(self):
        if self.status == AgencyStatus.CLOSED and not self.closed_reason:
            raise ValidationError({"closed_reason": "Cơ quan đã dừng cần lý do / a closed agency needs a reason"})

    def save(self, *args, **kwargs):
        self.name, self.short_name = nfc(self.name), nfc(self.short_name)
        self.name_key = fold(self.name)
        if self.code:
            self.code = self.code.strip().upper()
        super().save(*args, **kwargs)
        path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
        if path != self.path:
            old = self.path
            Agency.objects.filter(pk=self.pk).update(path=path)
            self.path = path
            if old:  # re-parented: move the subtree with it
                for child in Agency.objects.filter(path__startswith=old).exclude(pk=self.pk):
                    Agency.objects.filter(pk=child.pk).update(path=path + child.path[len(old):])

    def subtree(self):
        return Agency.objects.filter(path__startswith=self.path)

    @property
    def is_active(self) -> bool:
        return self.status == AgencyStatus.ACTIVE


class AgencySuccession(Succession):
    predecessor = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="successor_edges")
    successor = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="predecessor_edges")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["predecessor", "successor"], name="agency_edge_once")]


class Person(models.Model):
    """A member of staff. The national ID number (CCCD) is never stored: only a keyed hash for look-up."""

    full_name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, editable=False, default="")
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    national_id_hash = models.CharField(max_length=64, blank=True,
                                        help_text="HMAC-SHA256 of the CCCD number under PII_HASH_KEY")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")

    class Meta:
        ordering = ["name_key"]
        # The people importer's look-alike check (same folded name and birth date): name_key alone matches
        # hundreds of rows per common name in a provincial HR database. The same index serves name_key alone
        # (the ordering). Plain btree indexes rather than db_index=True, which on PostgreSQL adds a LIKE-prefix
        # twin per text column that no query uses and every imported person pays for.
        indexes = [models.Index(fields=["name_key", "birth_date"], name="person_name_birth"),
                   models.Index(fields=["email"], name="person_email"),
                   models.Index(fields=["national_id_hash"], name="person_id_hash")]
        verbose_name = vi_en("cán bộ", "person")
        verbose_name_plural = vi_en("cán bộ", "people")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.full_name = nfc(self.full_name)
        self.name_key = fold(self.full_name)
        super().save(*args, **kwargs)


class Position(models.Model):
    """Chức vụ: Chủ tịch, Phó Chủ tịch, Chánh Văn phòng, Chuyên viên…"""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = vi_en("chức vụ", "position")
        verbose_name_plural = vi_en("chức vụ", "positions")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.PROTECT)
    title = models.CharField(max_length=200, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = vi_en("chức danh tại cơ quan", "membership")
        verbose_name_plural = vi_en("chức danh tại cơ quan", "memberships")
        ordering = ["person", "-start"]

    def __str__(self) -> str:
        return f"{self.person} — {self.title or self.position} @ {self.agency}"


class Role(models.TextChoices):
    CITIZEN = "citizen", vi_en("Công dân", "Citizen")
    OFFICIAL = "official", vi_en("Cán bộ", "Official")
    UNIT_ADMIN = "unit_admin", vi_en("Quản trị đơn vị", "Unit administrator")
    PLATFORM_ADMIN = "platform_admin", vi_en("Quản trị nền tảng", "Platform administrator")
    # The one-door dossier workflow keeps reception, processing and approval in different hands (Decree
    # 118/2025): the desk officer receives and returns, the specialist processes, the leader approves.
    DOSSIER_RECEIVER = "dossier_receiver", vi_en("Tiếp nhận và trả kết quả hồ sơ", "Dossier receiver")
    DOSSIER_PROCESSOR = "dossier_processor", vi_en("Chuyên viên thụ lý hồ sơ", "Dossier processor")
    DOSSIER_APPROVER = "dossier_approver", vi_en("Lãnh đạo phê duyệt hồ sơ", "Dossier approver")
    # The document system (QLVBĐH, documents app): văn thư registers, numbers, issues and sends; a leader
    # assigns, directs, reviews, approves and signs. Officials handle what they are assigned (official role).
    DOC_CLERK = "doc_clerk", vi_en("Văn thư", "Document clerk")
    DOC_LEADER = "doc_leader", vi_en("Lãnh đạo xử lý văn bản", "Document leader")


class RoleAssignment(models.Model):
    """A role over an agency and everything below it; platform administrators need no agency."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.CASCADE, related_name="roles")

    class Meta:
        verbose_name = vi_en("phân quyền", "role assignment")
        verbose_name_plural = vi_en("phân quyền", "role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "role", "agency"], name="role_once")]

    def clean(self):
        if self.role not in {Role.CITIZEN, Role.PLATFORM_ADMIN} and not self.agency_id:
            raise ValidationError({"agency": "Vai trò này cần một cơ quan / this role needs an agency"})

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.agency or '*'}"
