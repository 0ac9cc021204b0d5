"""A staff form is applied once, however often it is sent (issue 18).

Every staff POST form carries a one-time token in a hidden field (`{% form_once %}` beside `{% csrf_token %}`),
and every view that takes such a form is wrapped in `@once_per_form`. The first request with a token stores the
token and, in the same transaction as whatever the view changed, the answer it gave; the same form sent again —
nginx passing a step on to the other instance after a worker was killed, a double click, the browser's "resend"
— gets that first answer back and changes nothing. A request cut before its transaction committed left no
token behind, so its retry is simply the first request.

A form without a token (a page rendered by the previous release while a new one rolls out) is served as before.
"""

import random
import re
import uuid
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import format_html

FIELD = "form_once"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP = timedelta(days=2)       # long enough for any retry; rows older than this are removed now and then
BODY_LIMIT = 2 * 1024 * 1024   # an answer larger than this is replayed by status and address only


def new_token() -> str:
    return uuid.uuid4().hex


def hidden_field() -> str:
    """The hidden input of a form (a fresh token each time a page is rendered)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())


def _replay(sent) -> HttpResponse:
    response = HttpResponse(bytes(sent.body), status=sent.status, content_type=sent.content_type or None)
    if sent.location:
        response["Location"] = sent.location
    response["X-Form-Once"] = "replayed"
    return response


def _refused(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def once_per_form(view):
    """Wrap a view that takes staff POST forms: a form (by its token, per user) is applied once and its first
    answer is the answer to every repeat."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        user = getattr(request, "user", None)
        if not token or user is None or not user.is_authenticated:
            return view(request, *args, **kwargs)
        if not TOKEN.match(token):
            return _refused(f"Mã biểu mẫu “{token[:80]}” không hợp lệ; hãy tải lại trang. / The form's token "
                            f"“{token[:80]}” is not valid; reload the page.", 400)
        from hopnhat.core.models import FormSubmission

        with transaction.atomic():
            try:
                with transaction.atomic():
                    sent = FormSubmission.objects.create(user=user, token=token, path=request.path[:500])
            except IntegrityError:
                # Sent before: the first request committed (a concurrent one waits for it on the unique index).
                first = FormSubmission.objects.get(user=user, token=token)
                if first.path != request.path[:500]:
                    return _refused(f"Biểu mẫu này đã được gửi tới “{first.path}”; hãy tải lại trang. / This form "
                                    f"was already sent to “{first.path}”; reload the page.", 409)
                return _replay(first)
            response = view(request, *args, **kwargs)
            sent.status = response.status_code
            sent.location = response.get("Location", "")
            sent.content_type = response.get("Content-Type", "")
            if not getattr(response, "streaming", False) and len(response.content) <= BODY_LIMIT:
                sent.body = response.content
            sent.save(update_fields=["status", "location", "content_type", "body"])
        if random.random() < 0.01:     # noqa: S311 — housekeeping, not security
            FormSubmission.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        return response

    wrapped.once_per_form = True
    return wrapped
