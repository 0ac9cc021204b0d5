"""GET: the latest notices; POST: one more (with its note), then the latest. Rows release 1 wrote have no note
until the backfill reaches them: shown as the title."""

from django.http import JsonResponse

from .models import Notice

RELEASE = 2


def probe(request):
    if request.method == "POST":
        Notice.objects.create(title=f"Thông báo của bản phát hành {RELEASE}", note="ghi chú")
    latest = list(Notice.objects.order_by("-pk")[:5])
    return JsonResponse({"ok": True, "release": RELEASE,
                         "latest": [{"id": n.pk, "title": n.title, "note": n.note or n.title} for n in latest]})
