"""Deciding uncertain duplicates: a person approves a merge or keeps the two records apart. Nothing is merged
without that decision; a merge keeps every source record's staged row and provenance, pointed at the survivor."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from hopnhat.core import audit
from hopnhat.core.models import Provenance

from . import api
from .models import Outcome, ReviewItem, ReviewStatus, StagedRecord


class ReviewError(ValueError):
    pass


def _importer_for(content_type: ContentType) -> api.DomainImporter:
    try:
        return api.importer_for_model(content_type.model_class()._meta.label_lower)()
    except LookupError as exc:
        raise ReviewError(str(exc)) from None


def decide(item: ReviewItem, decision: str, actor) -> ReviewItem:
    """decision "merge" (the right record goes into the left one) or "separate"."""
    if decision not in {"merge", "separate"}:
        raise ReviewError(f"quyết định “{decision}” không hợp lệ, dùng merge hoặc separate "
                          f"/ decision must be merge or separate")
    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().get(pk=item.pk)
        if item.status != ReviewStatus.PENDING:
            raise ReviewError(f"cặp #{item.pk} đã được quyết định ({item.status}) / pair #{item.pk} already decided")
        actor_name = actor if isinstance(actor, str) else actor.get_username()
        if decision == "merge":
            keep, other = item.left, item.right
            _importer_for(item.right_type).merge(keep, other, None)
            _repoint(item, keep, actor_name)
            other.delete()
            item.status = ReviewStatus.MERGED
        else:
            item.status = ReviewStatus.SEPARATE
        item.decided_by, item.decided_at = actor_name, timezone.now()
        item.save()
        audit.record(actor, f"consolidation.review.{decision}", item, kind=item.kind, left=item.left_pk,
                     right=item.right_pk, system=item.system)
    return item


def _repoint(item: ReviewItem, keep, actor_name: str) -> None:
    """Staged records and provenance of the merged record now point at the one kept."""
    StagedRecord.objects.filter(target_type=item.right_type, target_pk=item.right_pk).update(
        outcome=Outcome.MERGED, target_pk=str(keep.pk),
        reason=f"gộp theo quyết định #{item.pk} của {actor_name} / merged by review #{item.pk}")
    for prov in Provenance.objects.filter(content_type=item.right_type, object_pk=item.right_pk):
        if Provenance.objects.filter(content_type=item.left_type, object_pk=str(keep.pk),
                                     source_system=prov.source_system, source_key=prov.source_key).exists():
            prov.delete()
        else:
            prov.object_pk = str(keep.pk)
            prov.save(update_fields=["object_pk"])
    # Other pending pairs that named the merged record now name the survivor, or vanish if they become a pair
    # of the survivor with itself.
    for other in ReviewItem.objects.filter(status=ReviewStatus.PENDING).exclude(pk=item.pk).filter(
            left_type=item.right_type, left_pk=item.right_pk):
        other.left_pk = str(keep.pk)
        _save_or_drop(other)
    for other in ReviewItem.objects.filter(status=ReviewStatus.PENDING).exclude(pk=item.pk).filter(
            right_type=item.right_type, right_pk=item.right_pk):
        other.right_pk = str(keep.pk)
        _save_or_drop(other)


def _save_or_drop(item: ReviewItem) -> None:
    same = (item.left_type_id, item.left_pk) == (item.right_type_id, item.right_pk)
    duplicate = ReviewItem.objects.filter(kind=item.kind, left_type=item.left_type, left_pk=item.left_pk,
                                          right_type=item.right_type, right_pk=item.right_pk).exclude(pk=item.pk)
    if same or duplicate.exists():
        item.delete()
    else:
        item.save(update_fields=["left_pk", "right_pk"])
