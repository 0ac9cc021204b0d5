"""One document system (QLVBĐH): registers (sổ văn bản), documents with Decree 30/2020 Phụ lục VI metadata, the
register entries of each agency that holds them, their processing history, attachments stored once by checksum,
routing rules and per-agency workflows.

The shape, in one paragraph: a **Document** is what its issuer wrote (số/ký hiệu, type, trích yếu, signer…), held
once however many agencies register it. Each agency that holds it has an **Entry** in one of its **Registers**
(an outgoing entry at the issuer: số đi; an incoming one at every receiver: số đến), with its own processing
state, due date, assignments and routing. An **Exchange** links the sender's entry and a receiver's entry (by the
national axis, mail or paper), so a document sent by one old unit and received by another is one document with
both sides' histories. **Events** are the history, append-only, across every side. **DocumentNumber** holds every
number the document was ever known by (its số/ký hiệu key, old register numbers, its document ID) for one
indexed look-up. Digital signatures are kept per attachment (`signed`, `signature_report`), filled by
`documents.signing` when that module exists.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from hopnhat.core.lang import vi_en
from hopnhat.core.text import fold, nfc
from hopnhat.org.models import Agency, Person


class Kind(models.TextChoices):
    INCOMING = "incoming", vi_en("Văn bản đến", "Incoming")
    OUTGOING = "outgoing", vi_en("Văn bản đi", "Outgoing")
    INTERNAL = "internal", vi_en("Văn bản nội bộ", "Internal")


class Urgency(models.IntegerChoices):
    """Độ khẩn (Điều 4.2.c, Phụ lục I ô 10b); the value is edXML's Priority where it has one."""

    NORMAL = 0, vi_en("Thường", "Normal")
    URGENT = 1, vi_en("Khẩn", "Urgent")
    VERY_URGENT = 2, vi_en("Thượng khẩn", "Very urgent")
    FLASH = 3, vi_en("Hỏa tốc", "Flash")


class Confidentiality(models.IntegerChoices):
    """Độ mật (Luật Bảo vệ bí mật nhà nước): any level above NONE keeps the content out of this system."""

    NONE = 0, vi_en("Thường", "Not secret")
    SECRET = 1, vi_en("Mật", "Secret")
    TOP_SECRET = 2, vi_en("Tối mật", "Top secret")
    ABSOLUTE = 3, vi_en("Tuyệt mật", "Absolutely secret")


class Register(models.Model):
    """Sổ văn bản: one per agency, kind and year (numbers restart at 1 on 01/01); secret documents keep their own
    series (Điều 15). `last_number` is the counter, locked row by row when a number is given."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="document_registers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    secret = models.BooleanField(default=False, help_text="sổ văn bản mật: only the register line is kept")
    name = models.CharField(max_length=300, blank=True)
    last_number = models.PositiveIntegerField(default=0)
    closed = models.BooleanField(default=False, help_text="đóng sổ: printed and closed on paper (Điều 16, 22)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "year", "secret"], name="register_once")]
        ordering = ["agency__path", "-year", "kind"]
        verbose_name = vi_en("sổ văn bản", "Register")
        verbose_name_plural = vi_en("sổ văn bản", "Registers")

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.year} — {self.agency.name}"


class Document(models.Model):
    """A document as its issuer wrote it (Phụ lục VI, Phần II), held once."""

    doc_id = models.CharField(max_length=100, unique=True, null=True, blank=True,
                              help_text="mã định danh văn bản (edXML DocumentId); the same on every side")
    type_name = models.CharField(max_length=100, blank=True, help_text="tên loại văn bản: Quyết định, Công văn…")
    type_abbr = models.CharField(max_length=10, blank=True, help_text="viết tắt (Phụ lục III): QĐ, TB; công văn: ''")
    code_number = models.CharField(max_length=11, blank=True, help_text="số của văn bản: 15 (edXML CodeNumber)")
    code_notation = models.CharField(max_length=30, blank=True, help_text="ký hiệu: QĐ-UBND (edXML CodeNotation)")
    number_key = models.CharField(max_length=60, blank=True, db_index=True, editable=False,
                                  help_text="numbers.key(): 15/QD-UBND, the duplicate and look-up key")
    issuer_name = models.CharField(max_length=300, blank=True, help_text="tên cơ quan ban hành as written")
    issuer = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_documents",
                               help_text="the agency the name or code resolves to (closed ones included)")
    place = models.CharField(max_length=200, blank=True, help_text="địa danh")
    issued_date = models.DateField(null=True, blank=True)
    subject = models.CharField(max_length=500, blank=True, help_text="trích yếu")
    signer_name = models.CharField(max_length=100, blank=True)
    signer_position = models.CharField(max_length=100, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text='nơi nhận: [{"name": …, "code": …}]')
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.PositiveSmallIntegerField(choices=Confidentiality.choices,
                                                       default=Confidentiality.NONE)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    issued_amount = models.PositiveSmallIntegerField(null=True, blank=True, help_text="số lượng bản phát hành")
    reply_due = models.DateField(null=True, blank=True, help_text="hạn trả lời the issuer asks for")
    field = models.CharField(max_length=200, blank=True, help_text="lĩnh vực")
    language = models.CharField(max_length=30, default="vi")
    description = models.CharField(max_length=500, blank=True, help_text="ghi chú")
    search_text = models.TextField(blank=True, editable=False, help_text="folded metadata, for staff search")
    content_text = models.TextField(blank=True, editable=False,
                                    help_text="folded text of the attachments (PDF text), for staff search")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_date", "-id"]
        indexes = [models.Index(fields=["number_key", "issuer"], name="document_number_issuer")]
        verbose_name = vi_en("văn bản", "Document")
        verbose_name_plural = vi_en("văn bản", "Documents")

    def __str__(self) -> str:
        return self.number or self.subject[:60] or f"#{self.pk}"

    @property
    def number(self) -> str:
        """Số và ký hiệu in the Decree's form: 15/QĐ-UBND."""
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number or self.code_notation

    @property
    def is_secret(self) -> bool:
        return self.confidentiality > Confidentiality.NONE

    def save(self, *args, **kwargs):
        self.normalise()
        super().save(*args, **kwargs)

    def normalise(self) -> None:
        """What every write of a document does first (save, and the import's bulk insert): NFC text, the số/ký
        hiệu's comparison key, the folded search text."""
        from .numbers import key

        for name in ("type_name", "issuer_name", "place", "subject", "signer_name", "signer_position", "field",
                     "description", "code_notation"):
            setattr(self, name, nfc(getattr(self, name)))
        self.number_key = key(self.code_number, self.code_notation)
        if not self.is_secret:
            texts = [self.number, self.type_name, self.issuer_name, self.subject, self.signer_name, self.field]
            self.search_text = fold(" ".join(t for t in texts if t))


class IncomingState(models.TextChoices):
    REGISTERED = "registered", vi_en("Đã vào sổ", "Registered")
    ASSIGNED = "assigned", vi_en("Đã phân công", "Assigned")
    PROCESSING = "processing", vi_en("Đang xử lý", "Processing")
    DONE = "done", vi_en("Đã giải quyết", "Done")


class OutgoingState(models.TextChoices):
    DRAFT = "draft", vi_en("Dự thảo", "Draft")
    REVIEWED = "reviewed", vi_en("Đã thẩm định", "Reviewed")
    APPROVED = "approved", vi_en("Đã duyệt", "Approved")
    SIGNED = "signed", vi_en("Đã ký", "Signed")
    NUMBERED = "numbered", vi_en("Đã cấp số", "Numbered")
    ISSUED = "issued", vi_en("Đã ban hành", "Issued")
    SENT = "sent", vi_en("Đã gửi", "Sent")


STATE_LABELS = dict(IncomingState.choices) | dict(OutgoingState.choices) | {
    "recorded": vi_en("Đã ghi sổ", "Recorded")}
OPEN_INCOMING = (IncomingState.REGISTERED, IncomingState.ASSIGNED, IncomingState.PROCESSING)


class Entry(models.Model):
    """A document in one agency's register: số đến at a receiver, số đi at the issuer. Its own state, due date
    (thời hạn giải quyết), routing and assignments; a draft outgoing entry has no number yet."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="entries")
    register = models.ForeignKey(Register, null=True, blank=True, on_delete=models.PROTECT, related_name="entries",
                                 help_text="empty while an outgoing draft has no number")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="document_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField(null=True, blank=True, help_text="số đến / số đi in the register")
    registered_at = models.DateTimeField(null=True, blank=True, help_text="ngày đến / ngày đi")
    state = models.CharField(max_length=12, default=IncomingState.REGISTERED)
    due_date = models.DateField(null=True, blank=True, help_text="thời hạn giải quyết (working days)")
    done_at = models.DateTimeField(null=True, blank=True)
    result_document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="answers", help_text="văn bản trả lời / kết quả")
    routed_by = models.ForeignKey("RoutingRule", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="entries", help_text="the rule that routed it")
    routed_to = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  help_text="department the rule or văn thư sent it to")
    routed_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    handover_note = models.CharField(max_length=300, blank=True, help_text="đơn vị, người nhận (as written)")
    created_by = models.CharField(max_length=150, blank=True)
    send_channel = models.CharField(max_length=10, blank=True, help_text="outgoing: axis | mail | paper")
    source_system = models.CharField(max_length=200, default="hopnhat")
    old_number = models.CharField(max_length=60, blank=True, help_text="the register number as the old system wrote it")
    issuer_as_written = models.CharField(
        # nullable, so the previous release (which does not know the column) still inserts during a rollout;
        # entries from before it hold NULL: nothing was recorded then
        max_length=300, blank=True, null=True,
        help_text="nơi ban hành as this side's old register wrote it (a document several registers hold keeps the "
                  "first one's on Document.issuer_name)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["register", "number"], name="entry_number_once",
                                               condition=models.Q(number__isnull=False))]
        indexes = [models.Index(fields=["agency", "kind", "state"]),
                   models.Index(fields=["state", "due_date"])]
        ordering = ["-registered_at", "-id"]
        verbose_name = vi_en("văn bản trong sổ", "Register entry")
        verbose_name_plural = vi_en("văn bản trong sổ", "Register entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or '—'} {self.document}"

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    def is_overdue(self, today=None) -> bool:
        if self.due_date is None or self.kind != Kind.INCOMING:
            return False
        if self.done_at is not None:
            return timezone.localdate(self.done_at) > self.due_date
        return (today or timezone.localdate()) > self.due_date


class DocumentNumber(models.Model):
    """Every number a document was known by: its số/ký hiệu key (numbers.key), a register number of an old or
    new register ("123" with its year), its document ID. `issuer` (for notations) is the agency as resolved then,
    closed or not; look-ups widen it through the agency crosswalk."""

    class Scheme(models.TextChoices):
        NOTATION = "notation", vi_en("Số, ký hiệu", "Number and notation")
        REGISTER = "register", vi_en("Số đến / số đi", "Register number")
        DOC_ID = "doc_id", vi_en("Mã định danh văn bản", "Document ID")

    key = models.CharField(max_length=100)
    scheme = models.CharField(max_length=10, choices=Scheme.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="numbers")
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="numbers")
    issuer = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    as_written = models.CharField(max_length=100, blank=True)
    source_system = models.CharField(max_length=200, default="hopnhat")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "scheme", "document", "entry", "source_system"],
                                               name="document_number_once")]
        indexes = [models.Index(fields=["key", "document"], name="document_number_lookup"),
                   # số/ký hiệu + issuer (lookup.find): the normalised key and the issuer, read from the index alone
                   models.Index(fields=["key", "issuer", "document"], name="document_number_notation",
                                condition=models.Q(scheme="notation"))]
        verbose_name = vi_en("số của văn bản", "Document number")

    def __str__(self) -> str:
        return f"{self.scheme}:{self.key} → {self.document_id}"


class Action(models.TextChoices):
    REGISTER = "register", vi_en("Vào sổ văn bản đến", "Registered")
    ROUTE = "route", vi_en("Tự động phân luồng", "Routed by a rule")
    ASSIGN = "assign", vi_en("Phân công xử lý", "Assigned")
    OPINION = "opinion", vi_en("Ý kiến", "Opinion")
    DIRECTION = "direction", vi_en("Ý kiến chỉ đạo", "Direction")
    DONE = "done", vi_en("Hoàn thành xử lý", "Done")
    DRAFT = "draft", vi_en("Tạo dự thảo", "Drafted")
    REVIEW = "review", vi_en("Thẩm định", "Reviewed")
    APPROVE = "approve", vi_en("Phê duyệt", "Approved")
    SIGN = "sign", vi_en("Ký", "Signed")
    NUMBER = "number", vi_en("Cấp số", "Numbered")
    ISSUE = "issue", vi_en("Ban hành", "Issued")
    SEND = "send", vi_en("Gửi đi", "Sent")
    RECEIVE = "receive", vi_en("Nhận văn bản", "Received")
    ATTACH = "attach", vi_en("Đính kèm tệp", "File attached")
    SECRET_LINE = "secret_line", vi_en("Ghi sổ văn bản mật", "Secret register line")
    IMPORTED = "imported", vi_en("Bước xử lý từ hệ thống cũ", "Imported step")


class Event(models.Model):
    """One step of the processing history, on any side. Append-only: a correction is a new event. `actor` is
    the account name (or system:<job>), `actor_name` the name as written (old systems' "Nguyễn Văn A"),
    `person` the staff record it was crosswalked to when the staff import knows them."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    seq = models.PositiveIntegerField(default=0, help_text="order within the same moment (old systems' order)")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.CharField(max_length=150, blank=True)
    actor_name = models.CharField(max_length=200, blank=True, help_text="as written")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_name = models.CharField(max_length=300, blank=True, help_text="as it was named then")
    note = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    source_system = models.CharField(max_length=200, default="hopnhat")
    source_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "seq", "id"]
        indexes = [models.Index(fields=["document", "at"])]
        constraints = [models.UniqueConstraint(fields=["source_system", "source_key"], name="document_event_once",
                                               condition=~models.Q(source_key=""))]
        verbose_name = vi_en("bước xử lý văn bản", "Document event")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("lịch sử xử lý chỉ được ghi thêm / processing history is append-only")
        self.note, self.actor_name, self.agency_name = nfc(self.note), nfc(self.actor_name), nfc(self.agency_name)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("lịch sử xử lý chỉ được ghi thêm / processing history is append-only")


class Role(models.TextChoices):
    LEAD = "lead", vi_en("Chủ trì", "Lead")
    SUPPORT = "support", vi_en("Phối hợp", "Support")
    INFO = "info", vi_en("Để biết", "For information")


class Assignment(models.Model):
    """Phân công: a department and/or person with a role in handling an incoming entry."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="document_assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="document_assignments")
    role = models.CharField(max_length=10, choices=Role.choices)
    due_date = models.DateField(null=True, blank=True)
    assigned_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["department", "done_at"])]


class Blob(models.Model):
    """A file's bytes, stored once under var/media/documents/blobs/<sha256[:2]>/<sha256> and found by checksum."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, help_text="text extracted from a PDF, for search")
    created_at = models.DateTimeField(default=timezone.now)

    @property
    def relative_path(self) -> str:
        return f"documents/blobs/{self.sha256[:2]}/{self.sha256}"


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    name = models.CharField(max_length=255)
    main = models.BooleanField(default=True, help_text="the document itself (not an appendix)")
    signed = models.BooleanField(default=False, help_text="carries a digital signature (documents.signing)")
    signature_report = models.JSONField(default=dict, blank=True,
                                        help_text="documents.signing's last verification: status, signer, time")
    added_at = models.DateTimeField(default=timezone.now)
    source_system = models.CharField(max_length=200, default="hopnhat")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "blob"], name="attachment_once")]
        ordering = ["-main", "id"]


class Channel(models.TextChoices):
    AXIS = "axis", vi_en("Trục liên thông văn bản quốc gia", "National axis")
    MAIL = "mail", vi_en("Bưu chính", "Post")
    PAPER = "paper", vi_en("Bản giấy", "Paper")
    INTERNAL = "internal", vi_en("Nội bộ trên hệ thống", "On this platform")
    LEGACY = "legacy", vi_en("Hệ thống cũ", "Old systems")


class Exchange(models.Model):
    """One sending of a document from the issuer's side to one receiver: the link between the sender's outgoing
    entry and the receiver's incoming entry (edXML: the message and its status codes, 01 received … 06 done)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="exchanges")
    sender_entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent")
    receiver_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    receiver_name = models.CharField(max_length=300, blank=True)
    receiver_entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="received")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.INTERNAL)
    status = models.CharField(max_length=2, blank=True, help_text="edXML status code of the last feedback")
    message_id = models.CharField(max_length=100, blank=True, help_text="axis message id (edXML)")
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = vi_en("trao đổi văn bản", "Exchange")


class RoutingRule(models.Model):
    """Tự động phân luồng: an incoming document of `agency` matching every non-empty condition goes to
    `department` (and `user`). Lowest `priority` first; the first match wins."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="routing_rules",
                               help_text="the receiving agency whose văn bản đến it routes")
    name = models.CharField(max_length=200)
    issuer = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="cơ quan ban hành (its predecessors and successors count)")
    type_abbr = models.CharField(max_length=10, blank=True, help_text="loại văn bản: QĐ, TB, CV for công văn")
    field = models.CharField(max_length=200, blank=True, help_text="lĩnh vực")
    words = models.CharField(max_length=300, blank=True, help_text="từ trong trích yếu, cách nhau bởi dấu phẩy")
    department = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+",
                                   help_text="phòng, đơn vị nhận")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    priority = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)
    review_note = models.CharField(max_length=500, blank=True, help_text="why it was re-pointed or needs review")

    class Meta:
        ordering = ["agency", "priority", "id"]
        verbose_name = vi_en("quy tắc phân luồng", "Routing rule")

    def __str__(self) -> str:
        return self.name


class Workflow(models.Model):
    """Which steps an agency's documents of `kind` go through, and who approves: edited by unit administrators."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="document_workflows")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    steps = models.JSONField(default=list, help_text='outgoing: ["review", "approve", "sign", "number", "issue", '
                                                     '"send"]; review may be left out')
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                       help_text="who may approve (empty: any leader of the agency)")
    assign_days = models.PositiveSmallIntegerField(default=10, help_text="default due date, working days")
    secret_register = models.BooleanField(
        default=False, help_text="ghi sổ văn bản mật (chỉ số, ngày, cơ quan ban hành) / keep register lines of paper "
                                 "secret documents (incoming workflow)")

    def __str__(self) -> str:
        return f"{self.agency.name}: {self.get_kind_display()}"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="workflow_once")]
