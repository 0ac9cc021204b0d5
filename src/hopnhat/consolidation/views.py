"""Staff pages of the engine: the duplicate review queue (approve merge / keep separate)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from hopnhat.org.access import filter_visible, is_platform_admin, visible_agencies
from hopnhat.org.models import Role

from . import review
from .models import ReviewItem, ReviewStatus

DECIDERS = {Role.UNIT_ADMIN, Role.PLATFORM_ADMIN}


def _decidable(user):
    """Pairs the user may decide: platform administrators all, unit administrators those of their agencies."""
    return filter_visible(ReviewItem.objects.select_related("left_type", "right_type", "agency"), user,
                          agency_field="agency", roles=DECIDERS)


def may_review(user) -> bool:
    """Who may open the duplicate review (and sees it in the menu): platform and unit administrators."""
    return is_platform_admin(user) or visible_agencies(user, DECIDERS).exists()


@login_required
def review_list(request):
    if not may_review(request.user):
        raise PermissionDenied("cần quyền quản trị đơn vị / unit administrators only")
    items = _decidable(request.user)
    pending = items.filter(status=ReviewStatus.PENDING)
    decided = items.exclude(status=ReviewStatus.PENDING).order_by("-decided_at")[:20]
    return render(request, "consolidation/review_list.html", {
        "pending": [(item, item.left, item.right) for item in pending[:200]], "decided": decided,
        "pending_count": pending.count()})


@login_required
@require_POST
def review_decide(request, pk):
    item = get_object_or_404(_decidable(request.user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        review.decide(item, decision, request.user)
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Đã ghi quyết định / decision recorded")
    return redirect("consolidation:review")
