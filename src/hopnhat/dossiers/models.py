"""One dossier store: the procedure catalogue, dossiers under every code they ever had, their processing history,
the working-day calendar and the outbox to the national portal (DVCQG).

A dossier keeps its code for life (its prefix names the unit that received it, which is what DVCQG knows); the
agency handling it may change (hand-over after the 2025 reform), and every other code it was known by in an old
system stays a DossierAlias that resolves to it.
"""

from django.conf import settings
from django.db import models

from hopnhat.core.lang import vi_en
from hopnhat.core.outbox import OutboxMessageBase, OutboxState  # noqa: F401 — OutboxState re-exported
from hopnhat.core.text import fold, nfc
from hopnhat.org.models import Agency


class Status(models.IntegerChoices):
    """TrangThaiHoSo, the ten codes DVCQG synchronisation uses (standards doc A.3)."""

    SUBMITTED = 1, vi_en("Mới đăng ký", "Submitted")
    RECEIVED = 2, vi_en("Được tiếp nhận", "Received")
    REFUSED = 3, vi_en("Không được tiếp nhận", "Refused at reception")
    PROCESSING = 4, vi_en("Đang xử lý", "Processing")
    SUPPLEMENT = 5, vi_en("Yêu cầu bổ sung giấy tờ", "Supplement requested")
    PAYMENT = 6, vi_en("Yêu cầu thực hiện nghĩa vụ tài chính", "Fees requested")
    WITHDRAWN = 7, vi_en("Công dân yêu cầu rút hồ sơ", "Withdrawn")
    STOPPED = 8, vi_en("Dừng xử lý", "Stopped")
    DONE = 9, vi_en("Đã xử lý xong", "Decided")
    RETURNED = 10, vi_en("Đã trả kết quả", "Result returned")


# Still with the administration: these are what a closed agency hands over and what can run late.
IN_PROGRESS = frozenset({Status.SUBMITTED, Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.PAYMENT})
# The clock stops for good once the dossier is decided, refused, withdrawn or stopped.
CLOSED = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.DONE, Status.RETURNED})


class Channel(models.IntegerChoices):
    DIRECT = 1, vi_en("Trực tiếp", "In person")
    ONLINE = 2, vi_en("Trực tuyến", "Online")
    POST = 3, vi_en("Bưu chính công ích", "By post")


class Procedure(models.Model):
    """Thủ tục hành chính as published in the national TTHC database."""

    code = models.CharField(max_length=40, unique=True, help_text="1.001612.000.00.00.H48")
    national_code = models.CharField(max_length=20, db_index=True, help_text="1.001612 (what LayThuTuc takes)")
    name = models.CharField(max_length=500)
    name_key = models.CharField(max_length=500, db_index=True, editable=False, default="")
    field_code = models.CharField(max_length=40, blank=True, help_text="mã lĩnh vực")
    field_name = models.CharField(max_length=300, blank=True, help_text="lĩnh vực")
    levels = models.JSONField(default=list, blank=True, help_text='cấp thực hiện: ["Cấp xã", "Cấp tỉnh"]')
    processing_days = models.PositiveSmallIntegerField(help_text="thời hạn giải quyết, ngày làm việc")
    fees = models.JSONField(default=list, blank=True, help_text='[{"name": …, "amount": VND}]')
    papers = models.JSONField(default=list, blank=True, help_text='thành phần hồ sơ: [{"name": …, "copies": n}]')
    active = models.BooleanField(default=True)
    # The merged catalogue of the new unit (dossiers.procedure_catalogue): who receives it today, on what legal
    # basis, in what steps, for which life events, with which form files.
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="procedures",
                               help_text="cơ quan tiếp nhận (receiving agency) today")
    legal_basis = models.TextField(blank=True, default="", help_text="căn cứ pháp lý")
    steps = models.JSONField(default=list, blank=True, help_text="trình tự thực hiện: [text, …]")
    life_events = models.JSONField(default=list, blank=True, help_text="sự kiện cuộc sống: [text, …]")
    forms = models.JSONField(default=list, blank=True, help_text='mẫu đơn, tờ khai: [{"name": …, "url": …}]')
    # The fields of the procedure's own e-form (tờ khai điện tử) from the catalogue (dossiers.eform):
    # [{"key", "label", "label_en", "type": text|textarea|date|number|choice, "required", "choices"}]
    # (nullable: a column added without rebuilding the table on SQLite, so the previous release keeps running)
    form_fields = models.JSONField(null=True, blank=True,
                                   help_text="trường thông tin của tờ khai trực tuyến / the e-form's fields")

    class Meta:
        ordering = ["code"]
        verbose_name = vi_en("thủ tục hành chính", "procedure")
        verbose_name_plural = vi_en("thủ tục hành chính", "procedures")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.name, self.field_name = nfc(self.name), nfc(self.field_name)
        self.name_key = fold(self.name)
        self.national_code = ".".join(self.code.split(".")[:2])
        super().save(*args, **kwargs)


class Dossier(models.Model):
    code = models.CharField(max_length=60, unique=True, help_text="mã hồ sơ: V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="dossiers")
    summary = models.CharField(max_length=500, blank=True, help_text="trích yếu")
    channel = models.PositiveSmallIntegerField(choices=Channel.choices, default=Channel.DIRECT)
    applicant_name = models.CharField(max_length=200)
    applicant_id_hash = models.CharField(max_length=64, blank=True, db_index=True,
                                         help_text="keyed hash of the personal ID number (never in clear)")
    phone_tail_hash = models.CharField(max_length=64, blank=True,
                                       help_text="keyed hash of the phone's last 4 digits: the look-up factor")
    applicant_address = models.CharField(max_length=500, blank=True, help_text="decides a split hand-over")
    applicant_phone = models.CharField(max_length=20, blank=True,
                                       help_text="for staff and the forms of TT 01/2018 (never shown publicly)")
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="received_dossiers")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers",
                               help_text="the agency handling it now (changes on hand-over)")
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField()
    due_date = models.DateField(null=True, blank=True, help_text="ngày hẹn trả; never moved by a hand-over")
    finished_at = models.DateTimeField(null=True, blank=True, help_text="decided, refused, withdrawn or stopped")
    returned_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_dossiers",
                                 help_text="the official processing it (phân công); cleared by a hand-over")
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["status", "due_date"]),
            # The worklist's order (soonest due first): a city-wide scope pages through it without sorting 1M rows.
            models.Index(fields=["due_date", "received_at", "id"], name="dossier_worklist_order"),
        ]
        verbose_name = vi_en("hồ sơ", "dossier")
        verbose_name_plural = vi_en("hồ sơ", "dossiers")

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.applicant_name, self.summary = nfc(self.applicant_name), nfc(self.summary)
        self.applicant_address = nfc(self.applicant_address)
        super().save(*args, **kwargs)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    def is_overdue(self, today=None) -> bool:
        """Quá hạn is derived, never stored, by the one rule of clock.py (paused while waiting on the applicant)."""
        from .clock import is_overdue

        return is_overdue(self, today)


class DossierAlias(models.Model):
    """Every code a dossier was ever known by (its own included), so one indexed look-up finds it. Two old
    systems may have used the same code for different dossiers: the code is then unique per source system
    and the look-up's second factor tells them apart."""

    code = models.CharField(max_length=60)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="aliases")
    source_system = models.CharField(max_length=200, default="hopnhat", help_text="hopnhat for codes we issued")
    touched_at = models.DateTimeField(
        null=True, blank=True, help_text="when that old system last changed the dossier (its last update time, or "
                                         "its latest date): the system that touched it last gives its status")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "source_system"], name="dossier_alias_per_system"),
        ]
        # code → dossier answered from the index alone (no visit to the alias table's rows)
        indexes = [models.Index(fields=["code", "dossier"], name="dossier_alias_lookup")]
        verbose_name = vi_en("mã cũ của hồ sơ", "dossier alias")

    def __str__(self) -> str:
        return f"{self.code} → {self.dossier_id}"


class Action(models.TextChoices):
    SUBMIT = "submit", vi_en("Nộp hồ sơ", "Submitted")
    RECEIVE = "receive", vi_en("Tiếp nhận", "Received")
    REFUSE = "refuse", vi_en("Từ chối tiếp nhận", "Refused")
    ASSIGN = "assign", vi_en("Chuyển xử lý", "Assigned")
    PROCESS = "process", vi_en("Thụ lý", "Processing")
    REQUEST_SUPPLEMENT = "request_supplement", vi_en("Yêu cầu bổ sung", "Supplement requested")
    REQUEST_PAYMENT = "request_payment", vi_en("Yêu cầu nộp phí", "Fees requested")
    SUBMIT_APPROVAL = "submit_approval", vi_en("Trình duyệt", "Submitted for approval")
    APPROVE = "approve", vi_en("Phê duyệt", "Approved")
    RETURN_RESULT = "return_result", vi_en("Trả kết quả", "Result returned")
    REJECT = "reject", vi_en("Dừng xử lý", "Rejected")
    WITHDRAW = "withdraw", vi_en("Rút hồ sơ", "Withdrawn")
    HANDOVER = "handover", vi_en("Bàn giao cho cơ quan kế thừa", "Handed over")
    IMPORTED = "imported", vi_en("Bước xử lý từ hệ thống cũ", "Imported step")


class DossierEvent(models.Model):
    """One step of the processing history (quá trình xử lý). Append-only: a correction is a new event."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=200, help_text="user name, old-system user, or system:<job>")
    actor_title = models.CharField(max_length=200, blank=True, help_text="chức danh")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_name = models.CharField(max_length=300, blank=True, help_text="as it was named then")
    action = models.CharField(max_length=30, choices=Action.choices)
    status_from = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    status_to = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    note = models.TextField(blank=True)
    assignee = models.CharField(max_length=200, blank=True, help_text="assign events: to whom (user name)")
    attachments = models.JSONField(default=list, blank=True, help_text='[{"name": …, "url": …}]')
    source_system = models.CharField(max_length=200, default="hopnhat")
    source_key = models.CharField(max_length=200, blank=True)
    source_action = models.CharField(max_length=200, blank=True, default="",
                                     help_text="the old system's own name of a step that is none of the platform's")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"])]
        verbose_name = vi_en("bước xử lý", "processing event")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("processing history is append-only")
        self.note, self.agency_name = nfc(self.note), nfc(self.agency_name)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("processing history is append-only")


class DailyCounter(models.Model):
    """The XXXX of a dossier code: per receiving unit and day, locked row by row so numbers never repeat."""

    unit_code = models.CharField(max_length=20)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_code", "day"], name="dossier_counter_once")]


class ReviewState(models.TextChoices):
    OPEN = "open", vi_en("Chờ xử lý", "Open")
    DONE = "done", vi_en("Đã xử lý", "Resolved")


class HandoverReview(models.Model):
    """A dossier of a closed agency whose successor the rules could not decide: a person picks one."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="handover_reviews")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    candidates = models.ManyToManyField(Agency, related_name="+")
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = vi_en("hồ sơ chờ chọn cơ quan kế thừa", "hand-over review")
        verbose_name_plural = vi_en("hồ sơ chờ chọn cơ quan kế thừa", "hand-over reviews")
        constraints = [models.UniqueConstraint(fields=["dossier", "from_agency"], name="handover_review_once")]


class OutboxMessage(OutboxMessageBase):
    """One payload for DVCQG (core.outbox: retry, back-off, order per dossier, idempotency)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="outbox")
    service = models.CharField(max_length=40, help_text="DongBoHoSoMC | CapNhatTienDoHoSoMC")

    class Meta(OutboxMessageBase.Meta):
        verbose_name = vi_en("thông điệp gửi DVCQG", "DVCQG outbox message")
        verbose_name_plural = vi_en("thông điệp gửi DVCQG", "DVCQG outbox messages")


class AgencyPolicy(models.Model):
    """How an agency runs its dossiers. Without a row the defaults hold (four-eyes on)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="dossier_policy")
    four_eyes = models.BooleanField(
        default=True, help_text="nguyên tắc hai người: người đã thụ lý không tự phê duyệt / whoever processed a "
                                "dossier may not approve it")

    class Meta:
        verbose_name = vi_en("quy định xử lý hồ sơ của cơ quan", "agency dossier policy")
        verbose_name_plural = vi_en("quy định xử lý hồ sơ của cơ quan", "agency dossier policies")

    def __str__(self) -> str:
        return f"{self.agency}: four_eyes={self.four_eyes}"


class ProcedureListing(models.Model):
    """One old unit's published version of a procedure (its catalogue row), kept as read so a merge can show
    what each old unit said. `values` holds the compared fields: name, processing_days, fees, papers, agency."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="listings")
    system = models.CharField(max_length=100, help_text="the old unit's catalogue (mapping system)")
    source_code = models.CharField(max_length=40, help_text="the code as that unit published it")
    old_agency = models.CharField(max_length=300, blank=True, default="", help_text="receiving agency as published")
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["procedure", "system"]
        constraints = [models.UniqueConstraint(fields=["procedure", "system"], name="listing_once_per_system")]

    def __str__(self) -> str:
        return f"{self.system}: {self.source_code}"


class CatalogueConflict(models.Model):
    """Old units published the same national procedure differently in one field: listed for a unit
    administrator, who picks one old value (or writes another); the decision is audited."""

    FIELDS = {"processing_days": ("Thời hạn giải quyết", "time limit"), "fees": ("Phí, lệ phí", "fees"),
              "papers": ("Thành phần hồ sơ", "papers"), "agency": ("Cơ quan tiếp nhận", "receiving agency")}

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=30, choices=[(k, vi_en(vi, en)) for k, (vi, en) in FIELDS.items()])
    values = models.JSONField(default=list, help_text='[{"system": …, "value": …}] every old value')
    decided_value = models.JSONField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["procedure", "field"]
        constraints = [models.UniqueConstraint(fields=["procedure", "field"], name="conflict_once_per_field")]

    @property
    def decided(self) -> bool:
        return self.decided_at is not None

    def __str__(self) -> str:
        return f"{self.procedure.national_code} {self.field}"


class OnlineSubmission(models.Model):
    """The idempotency key of one online submission form: a retried or resumed submission finds its dossier."""

    key = models.CharField(max_length=64, unique=True)
    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="online_submission")
    created_at = models.DateTimeField(auto_now_add=True)
    # Where the citizen asked to be told of each status change (dossiers.notices): what they typed in the form.
    notify_email = models.EmailField(blank=True, default="")
    notify_phone = models.CharField(max_length=20, blank=True, default="")
    # What the citizen typed in the procedure's e-form, with the labels as they were then (dossiers.eform):
    # [{"key", "label", "label_en", "value"}]; shown to staff on the dossier.
    form_data = models.JSONField(null=True, blank=True)


class UploadSession(models.Model):
    """One paper being uploaded resumably (the tus 1.0 protocol, dossiers.uploads): the bytes go to a part file
    under the var directory, `offset` says how many are safely there, and the submission that uses it (by the
    form's idempotency key) reads the finished file. Nothing here is a dossier until `online.submit`."""

    id = models.UUIDField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, db_index=True, help_text="the submission form's idempotency key")
    paper = models.CharField(max_length=300)
    name = models.CharField(max_length=255)
    length = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def complete(self) -> bool:
        return self.offset == self.length


class SubmittedFile(models.Model):
    """A paper uploaded online (or as a supplement), virus-scanned before it was stored."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="files")
    paper = models.CharField(max_length=300, help_text="which paper of the procedure")
    name = models.CharField(max_length=255, help_text="file name as uploaded")
    file = models.FileField(upload_to="ho-so/", max_length=300)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "uploaded_at", "pk"]


class NoticeMessage(OutboxMessageBase):
    """A notice to the citizen of a status change, by e-mail or SMS (core.outbox: retry, order, idempotency)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="notices")
    channel = models.CharField(max_length=10, help_text="email | sms")

    class Meta(OutboxMessageBase.Meta):
        pass
