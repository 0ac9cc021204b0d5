"""What the migration engine keeps: runs, every staged source record with its one outcome, the sync state of
each stream, the review queue of uncertain duplicates, and the cutover state of each old system.

Runs, staging and cutover are keyed by the mapping's `system:` code (a slug such as `hr-hagiang`), so the
inventory of old systems can read them without a foreign key."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from hopnhat.core.lang import vi_en


class Outcome(models.TextChoices):
    LOADED = "loaded", vi_en("Đã nạp", "Loaded")
    MERGED = "merged", vi_en("Đã gộp", "Merged")
    QUARANTINED = "quarantined", vi_en("Cách ly", "Quarantined")
    FILTERED = "filtered", vi_en("Lọc bỏ theo quy tắc", "Filtered")


OUTCOMES = [o.value for o in Outcome]


class RunStatus(models.TextChoices):
    RUNNING = "running", vi_en("Đang chạy", "Running")
    FINISHED = "finished", vi_en("Hoàn tất", "Finished")
    FAILED = "failed", vi_en("Lỗi", "Failed")
    INTERRUPTED = "interrupted", vi_en("Bị ngắt", "Interrupted")


class MigrationRun(models.Model):
    system = models.SlugField(max_length=100, db_index=True, help_text="the old system's code: hr-hagiang")
    stream = models.CharField(max_length=100, help_text="which data set of the system: people, agencies…")
    importer = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict, help_text="the mapping as run, so final sync can run it again")
    actor = models.CharField(max_length=200)
    dry_run = models.BooleanField(default=False)
    full_scan = models.BooleanField(default=True, help_text="read everything (deletions can be detected)")
    deletion_scan = models.BooleanField(default=False, help_text="looked for records deleted at the source: "
                                                                 "a full scan, or a key-only scan (deletions:)")
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor_from = models.JSONField(null=True, blank=True)
    cursor_to = models.JSONField(null=True, blank=True)
    totals = models.JSONField(default=dict, blank=True)
    field_checks = models.JSONField(default=dict, blank=True)
    balanced = models.BooleanField(null=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["system", "stream", "-id"])]
        verbose_name = vi_en("lượt chuyển đổi", "migration run")

    def __str__(self) -> str:
        return f"#{self.pk} {self.system}/{self.stream} {self.status}"


class StagedRecord(models.Model):
    """One source record as last read, raw and lossless, with exactly one outcome once handled."""

    # Indexes and constraints here are paid for on every one of a million rows a run writes, so only those a
    # query uses: `system` alone is served by the (system, stream, …) indexes, the run pointers by
    # (last_run, outcome) and the target pointer by (target_type, target_pk).
    system = models.SlugField(max_length=100, db_index=False)
    stream = models.CharField(max_length=100)
    key = models.CharField(max_length=500)
    raw = models.JSONField()
    checksum = models.CharField(max_length=64)
    cursor = models.JSONField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    # The bookkeeping pointers (runs, target type) carry no database constraint: a foreign key check costs a
    # trigger and a row lock per staged row at commit (a third of a first run's commit time), and it guards
    # nothing here. The engine writes ids it has just read in the same transaction; runs and content types are
    # never deleted, and Django's on_delete=PROTECT still refuses through the ORM. Domain links (membership →
    # person, agency, position) keep theirs.
    first_run = models.ForeignKey(MigrationRun, on_delete=models.PROTECT, related_name="+", db_index=False,
                                  db_constraint=False)
    last_run = models.ForeignKey(MigrationRun, on_delete=models.PROTECT, related_name="+", db_index=False,
                                 db_constraint=False)
    source_deleted = models.BooleanField(default=False, help_text="gone from the source on a full scan")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.TextField(blank=True, help_text="quarantined: why; filtered: the rule's name; merged: why")
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, db_index=False,
                                    db_constraint=False)
    target_pk = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "stream", "key"], name="staged_once")]
        indexes = [
            models.Index(fields=["system", "stream", "outcome"]),
            models.Index(fields=["last_run", "outcome"]),
            models.Index(fields=["target_type", "target_pk"]),
        ]
        verbose_name = vi_en("bản ghi nguồn", "staged record")

    def __str__(self) -> str:
        return f"{self.system}/{self.stream}:{self.key} → {self.outcome}"


class SyncState(models.Model):
    """Where incremental sync of one stream stands. Written in the same transaction as each batch."""

    system = models.SlugField(max_length=100)
    stream = models.CharField(max_length=100)
    cursor = models.JSONField(null=True, blank=True, help_text="the highest cursor value committed")
    run = models.ForeignKey(MigrationRun, null=True, on_delete=models.SET_NULL, related_name="+")
    scan_complete_run = models.ForeignKey(MigrationRun, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "stream"], name="sync_state_once")]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", vi_en("Chờ xem xét", "Pending")
    MERGED = "merged", vi_en("Đã gộp", "Merged")
    SEPARATE = "separate", vi_en("Giữ riêng", "Kept separate")


class ReviewItem(models.Model):
    """A pair of records that may be the same (folded name + birth date…); a person decides, never the engine."""

    system = models.SlugField(max_length=100)
    kind = models.CharField(max_length=50, help_text="rule name: name_birth_date…")
    left_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    left_pk = models.CharField(max_length=64, help_text="the record already there (kept when merging)")
    right_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    right_pk = models.CharField(max_length=64, help_text="the record this run loaded")
    staged = models.ForeignKey(StagedRecord, null=True, on_delete=models.SET_NULL, related_name="reviews")
    agency = models.ForeignKey("org.Agency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="whose administrators may decide")
    score = models.FloatField()
    detail = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["status", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "left_type", "left_pk", "right_type", "right_pk"],
                                               name="review_pair_once")]
        verbose_name = vi_en("cặp nghi trùng", "duplicate review")

    def __str__(self) -> str:
        return f"{self.kind} {self.left_pk}~{self.right_pk} ({self.status})"

    @property
    def left(self):
        return self.left_type.get_object_for_this_type(pk=self.left_pk)

    @property
    def right(self):
        return self.right_type.get_object_for_this_type(pk=self.right_pk)


class CutoverStep(models.TextChoices):
    """The cutover steps; a system's state is the last step it took (cutover.py holds the rules)."""

    NOT_STARTED = "not-started", vi_en("Chưa bắt đầu", "Not started")
    PRE_SYNC = "pre-sync", vi_en("Đồng bộ trước", "Pre-sync")
    FREEZE = "freeze", vi_en("Đóng băng hệ thống cũ", "Freeze")
    FINAL_SYNC = "final-sync", vi_en("Đồng bộ cuối", "Final sync")
    VERIFY = "verify", vi_en("Đối soát", "Verify")
    SWITCH = "switch", vi_en("Chuyển sang nền tảng", "Switch")
    MONITOR = "monitor", vi_en("Theo dõi", "Monitor")
    ROUTE_BACK = "route-back", vi_en("Quay về hệ thống cũ", "Route back")
    DONE = "done", vi_en("Đã tắt hệ thống cũ", "Done")


class Cutover(models.Model):
    """Where an old system stands in its move to the platform."""

    system = models.SlugField(max_length=100, unique=True)
    state = models.CharField(max_length=12, choices=CutoverStep.choices, default=CutoverStep.NOT_STARTED)
    updated_at = models.DateTimeField(auto_now=True)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.system}: {self.state}"


class OverrideKind(models.TextChoices):
    VALUE_MAP = "value_map", "Bảng giá trị (value map)"
    CROSSWALK = "crosswalk", "Bảng chuyển đổi mã (crosswalk)"


class MappingOverride(models.Model):
    """A value-map or crosswalk entry staff added from the quarantine queue. Every run of the system's stream
    applies it on top of the mapping file (mapping.Mapping.with_overrides), so the fix holds for later runs and
    final sync too; the mapping a run stores includes it."""

    system = models.SlugField(max_length=100)
    stream = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=OverrideKind.choices)
    name = models.CharField(max_length=100, help_text="the value map's name, or the crosswalk's: agency | unit")
    source_value = models.CharField(max_length=500)
    target_value = models.CharField(max_length=500)
    note = models.TextField(blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "stream", "kind", "name", "source_value"],
                                               name="mapping_override_once")]
        verbose_name = "mục ánh xạ bổ sung (mapping override)"

    def __str__(self) -> str:
        return f"{self.system}/{self.stream} {self.kind} {self.name}: {self.source_value} → {self.target_value}"


class ValueCorrection(models.Model):
    """One source value of one staged record corrected by staff, with the reason (audited). The staged row keeps
    what the source holds; runs map the corrected value while the source still holds the value corrected."""

    system = models.SlugField(max_length=100)
    stream = models.CharField(max_length=100)
    key = models.CharField(max_length=500)
    column = models.CharField(max_length=200, help_text="the source column (the staged record's field)")
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    note = models.TextField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "stream", "key", "column"],
                                               name="value_correction_once")]
        verbose_name = "giá trị đã sửa (value correction)"

    def __str__(self) -> str:
        return f"{self.system}/{self.stream}:{self.key} {self.column}: {self.old_value!r} → {self.new_value!r}"
