"""What every app shares: where a record came from (provenance) and who changed what (the audit chain)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from hopnhat.core.lang import vi_en


class Provenance(models.Model):
    """One source record behind one platform record.

    A target merged from several old systems has several rows; the pair (source_system, source_key) says
    exactly which old row, and `checksum` proves what it held when we read it.
    """

    # Written a million rows at a time by the migration engine: no foreign key check per row (content types are
    # never deleted; Django still cascades through the ORM) and no index of its own, since provenance_once
    # starts with it.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    object_pk = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_pk")
    source_system = models.CharField(max_length=200)
    source_key = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64, help_text="sha256 of the canonical source record")
    imported_at = models.DateTimeField(auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = vi_en("nguồn gốc bản ghi", "provenance")
        verbose_name_plural = vi_en("nguồn gốc bản ghi", "provenance")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_pk", "source_system", "source_key"], name="provenance_once"
            )
        ]
        # (content_type, object_pk) look-ups use provenance_once, which starts with those two columns.
        indexes = [models.Index(fields=["source_system", "source_key"])]

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_key}"


class AuditEntry(models.Model):
    """Append-only; `hash` covers this entry's fields and the previous entry's hash."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=200, help_text="user name, or system:<command> for jobs")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_pk = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_pk"])]
        verbose_name = vi_en("mục nhật ký", "audit entry")
        verbose_name_plural = vi_en("nhật ký kiểm toán", "audit log")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_pk}"


class AuditHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain one at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class CalendarKind(models.TextChoices):
    DAY_OFF = "off", vi_en("Ngày nghỉ", "Day off")
    WORKING = "working", vi_en("Ngày làm việc", "Working day")


class CalendarDay(models.Model):
    """The platform's one working-day calendar (dossiers, documents, reports) is the statutory one plus these
    staff-kept exceptions: a compensatory day off (nghỉ bù) or a make-up working Saturday (làm bù) that the
    `holidays` data does not know."""

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=10, choices=CalendarKind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = vi_en("ngày nghỉ bù / làm bù", "calendar exception")
        verbose_name_plural = vi_en("ngày nghỉ bù / làm bù", "calendar exceptions")

    def __str__(self) -> str:
        return f"{self.date} {self.kind}"


class RateCounter(models.Model):
    """One rate-limit counter shared by every worker (core.ratelimit), when Redis is not configured."""

    name = models.CharField(max_length=200, primary_key=True)
    bucket = models.BigIntegerField(help_text="time // window: the window this count belongs to")
    hits = models.PositiveIntegerField(default=0)


class FormSubmission(models.Model):
    """A staff form sent once (core.idempotency): the form's one-time token and the first answer it got, so that
    the same form sent again (a retry after a killed worker, a double click, the browser's resend) is answered
    with that answer instead of being applied twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True)
    location = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=200, blank=True, default="")
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="form_submission_once")]
        verbose_name = vi_en("biểu mẫu đã gửi", "form sent")
        verbose_name_plural = vi_en("biểu mẫu đã gửi", "forms sent")
