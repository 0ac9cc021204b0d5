"""GET: the latest notices; POST: one more, then the latest. JSON {"ok": true, ...} as long as the schema and the
code get along."""

from django.http import JsonResponse

from .models import Notice

RELEASE = 1


def probe(request):
    if request.method == "POST":
        Notice.objects.create(title=f"Thông báo của bản phát hành {RELEASE}")
    latest = list(Notice.objects.order_by("-pk")[:5])
    return JsonResponse({"ok": True, "release": RELEASE, "latest": [{"id": n.pk, "title": n.title} for n in latest]})
