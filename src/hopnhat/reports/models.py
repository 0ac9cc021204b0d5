"""The reporting catalogue (regimes, indicators, forms, period types) and what units reported against it.

A value is stored against the unit (and agency) that reported it, for the period it covers, forever: the old
units' figures from before 1 July 2025 stay theirs. A new unit's history before the reform is never written here;
`series.as_merged` computes it through `org.lineage` with the weights in `ApportionmentWeight`.
"""

from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.org.models import AdminUnit, Agency, UnitSuccession


class PeriodKind(models.TextChoices):
    MONTH = "M", vi_en("Tháng", "Month")
    QUARTER = "Q", vi_en("Quý", "Quarter")
    HALF = "H", vi_en("6 tháng", "Six months")
    NINE = "N", vi_en("9 tháng", "Nine months")
    YEAR = "Y", vi_en("Năm", "Year")


class PeriodType(models.Model):
    """A period kind with its data cut-off convention (Decree 09/2019 art. 12: e.g. the quarter's figures run
    from the 15th of the quarter's last-but-three month to the 14th of its last month)."""

    kind = models.CharField(max_length=1, choices=PeriodKind.choices, unique=True)
    name = models.CharField(max_length=100)
    cutoff_day = models.PositiveSmallIntegerField(
        default=0, help_text="0: calendar periods; 15: from the 15th of the month before to the 14th (Decree 09)")
    cutoff_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class Regime(models.Model):
    """Chế độ báo cáo, with the content Decree 09/2019 art. 7 requires of each."""

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=300)
    content = models.TextField(blank=True, help_text="nội dung yêu cầu báo cáo")
    reporting_entities = models.TextField(blank=True, help_text="đối tượng thực hiện báo cáo")
    receiving_body = models.CharField(max_length=300, blank=True, help_text="cơ quan nhận báo cáo")
    method = models.CharField(max_length=200, blank=True, help_text="phương thức gửi, nhận báo cáo")
    deadline_days = models.PositiveSmallIntegerField(
        default=5, help_text="thời hạn gửi: working days after the period's cut-off end")
    deadline_note = models.CharField(max_length=300, blank=True)
    frequency = models.CharField(max_length=1, choices=PeriodKind.choices, default=PeriodKind.QUARTER)
    cutoff_note = models.CharField(max_length=300, blank=True, help_text="thời gian chốt số liệu")
    outline_template = models.TextField(blank=True, help_text="mẫu đề cương báo cáo")
    data_form = models.CharField(max_length=300, blank=True, help_text="biểu mẫu số liệu")
    national_code = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Aggregation(models.TextChoices):
    SUM = "sum", vi_en("Tổng", "Sum")
    AVERAGE = "average", vi_en("Trung bình", "Average")
    LAST = "last", vi_en("Giá trị cuối kỳ", "Last value")
    RATIO = "ratio", vi_en("Tỷ lệ tử số/mẫu số", "Ratio of numerator to denominator")


class Indicator(models.Model):
    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=300)
    unit_of_measure = models.CharField(max_length=50, blank=True)
    disaggregations = models.JSONField(default=list, blank=True, help_text='phân tổ: ["giới tính", ...]')
    aggregation = models.CharField(max_length=10, choices=Aggregation.choices, default=Aggregation.SUM)
    numerator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    denominator = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    factor = models.DecimalField(max_digits=12, decimal_places=2, default=1, help_text="100 for a percentage")
    national_code = models.CharField(max_length=50, blank=True)
    computed_from = models.CharField(max_length=50, blank=True,
                                     help_text="a platform source (computed.SOURCES) that fills it; never typed")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Form(models.Model):
    """Biểu mẫu: which indicators a regime's form holds, one row each."""

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=300)
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="forms")
    rules = models.JSONField(default=list, blank=True,
                             help_text='validation rules: {"code","kind":range|expression|deviation, ...}')

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FormRow(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="rows")
    order = models.PositiveSmallIntegerField()
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="form_rows")
    disaggregation = models.CharField(max_length=100, blank=True, default="", help_text='"" for the total')

    class Meta:
        ordering = ["form", "order"]
        constraints = [models.UniqueConstraint(fields=["form", "indicator", "disaggregation"], name="form_row_once")]


class Status(models.TextChoices):
    DRAFT = "draft", vi_en("Đang nhập", "Draft")
    SUBMITTED = "submitted", vi_en("Đã gửi", "Submitted")
    REVIEWED = "reviewed", vi_en("Đã xem xét", "Reviewed")
    APPROVED = "approved", vi_en("Đã duyệt", "Approved")
    RETURNED = "returned", vi_en("Trả lại", "Returned")


class Report(models.Model):
    """One agency's filling of one form for one period. A correction is a new version beside the old one."""

    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="reports")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    period = models.CharField(max_length=10, help_text="2024Q4, 2024M03, 2024H1, 2024N9, 2024")
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=80, default="web", help_text="web | excel | import | dhis2 | computed")
    due = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form", "period", "agency", "version"]
        constraints = [models.UniqueConstraint(fields=["form", "agency", "period", "version"],
                                               name="report_version_once")]

    def __str__(self) -> str:
        return f"{self.form.code} {self.agency.code} {self.period} v{self.version}"

    @property
    def locked(self) -> bool:
        return self.status == Status.APPROVED


class DataValue(models.Model):
    """One figure as its unit reported it. Rows are added, never rewritten: a correction adds a row in a new
    report version; `is_current` marks the version that counts."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="report_values")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=10)
    period_kind = models.CharField(max_length=1, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    disaggregation = models.CharField(max_length=100, blank=True, default="")
    value = models.DecimalField(max_digits=20, decimal_places=4)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT, related_name="values")
    source = models.CharField(max_length=80, default="web")
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The series' read (series.as_merged_area, as_reported): per unit, one indicator's figures in a date
            # range, answered from the index alone (PostgreSQL: an index-only scan; INCLUDE is PostgreSQL's, on
            # SQLite the key columns only). Replaces value_series (indicator, unit, period_start).
            models.Index(fields=["indicator", "unit", "disaggregation", "period_start"],
                         include=["period_end", "period_kind", "period", "is_current", "value"],
                         name="value_series_cover"),
            models.Index(fields=["report"], name="value_report")]


class WeightMethod(models.TextChoices):
    POPULATION = "population", vi_en("Theo dân số", "Population share")
    AREA = "area", vi_en("Theo diện tích", "Area share")
    EQUAL = "equal", vi_en("Chia đều", "Equal shares")
    STAFF = "staff", vi_en("Cán bộ nhập", "Entered by staff")


class ApportionmentWeight(models.Model):
    """The share of a split predecessor's figures that goes to one successor, with the method named."""

    edge = models.OneToOneField(UnitSuccession, on_delete=models.CASCADE, related_name="report_weight")
    weight = models.DecimalField(max_digits=9, decimal_places=6)
    method = models.CharField(max_length=12, choices=WeightMethod.choices)
    note = models.CharField(max_length=300, blank=True)


from .outbox import SubmissionMessage  # noqa: E402,F401 — the outbox table is this app's model
