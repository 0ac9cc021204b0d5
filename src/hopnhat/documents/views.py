"""Staff pages of the document system: the register book with filters, one document with its timeline and the
steps open to the user, registration and drafting, the leader's dashboard of overdue documents by department,
look-up by any old number with full-text search, routing rules and workflows for unit administrators, and the
register printed in Phụ lục IV's layout. Thin views: the work is in actions.py, lookup.py, routing.py,
printing.py. An entry outside the user's scope answers 404, as if it did not exist."""

import datetime
from functools import wraps

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from hopnhat.core.idempotency import once_per_form
from hopnhat.core.lang import pick
from hopnhat.core.templatetags.hopnhat import is_english
from hopnhat.core.text import fold
from hopnhat.org.access import filter_visible, is_staff_member, visible_agencies
from hopnhat.org.agencies import default_current_agency
from hopnhat.org.models import Agency, AgencyStatus
from hopnhat.org.models import Role as OrgRole

from . import actions, lookup, printing, routing, signing, storage
from .models import (
    OPEN_INCOMING,
    Assignment,
    Document,
    Entry,
    IncomingState,
    Kind,
    Register,
    Role,
    RoutingRule,
    Urgency,
    Workflow,
)

PER_PAGE = 50


def t(vi: str, en: str) -> str:
    return en if is_english() else vi


def choice(label: str) -> str:
    """A model choice label (core.lang.vi_en) in the current language."""
    return pick(label)


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied(t("Chỉ dành cho cán bộ", "Staff only"))
        return view(request, *args, **kwargs)

    return wrapped


def visible_entries(user):
    return filter_visible(Entry.objects.all(), user).select_related("document", "agency", "register", "routed_by",
                                                                     "routed_to")


class RegisterFilter(forms.Form):
    kind = forms.ChoiceField(required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), required=False)
    year = forms.IntegerField(required=False, min_value=1990, max_value=2100)
    state = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=200)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["kind"].label = t("Sổ", "Register")
        f["kind"].choices = [(Kind.INCOMING, t("Văn bản đến", "Incoming")), (Kind.OUTGOING, t("Văn bản đi",
                                                                                               "Outgoing"))]
        f["agency"].label, f["year"].label = t("Cơ quan", "Agency"), t("Năm", "Year")
        f["agency"].queryset = visible_agencies(user).filter(document_entries__isnull=False).distinct()
        f["agency"].empty_label = t("Mọi cơ quan trong phạm vi", "All agencies in scope")
        f["state"].label = t("Trạng thái", "State")
        f["state"].choices = [("", t("Tất cả", "All"))] + [(k, choice(v)) for k, v in IncomingState.choices] + [
            ("draft", t("Dự thảo", "Draft")), ("sent", t("Đã gửi", "Sent"))]
        f["overdue"].label = t("Chỉ văn bản quá hạn", "Overdue only")
        f["q"].label = t("Tìm trong số, trích yếu, nội dung tệp", "Search numbers, subjects, file text")


def search(queryset, text: str):
    """Staff full-text search over entries: every folded word in the document's metadata or its files' text."""
    if not fold(text):
        return queryset
    from django.db import connection

    if connection.vendor == "postgresql":   # the raw expression names documents_document: join it first
        return queryset.filter(document__in=Document.objects.filter(lookup.search_q(text)))
    return queryset.filter(lookup.search_q(text, prefix="document__"))


@staff_required
def register_view(request):
    form = RegisterFilter(request.user, request.GET or None)
    entries = visible_entries(request.user)
    kind = Kind.INCOMING
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        kind = data["kind"] or Kind.INCOMING
        if data["agency"]:
            entries = entries.filter(agency=data["agency"])
        if data["year"]:
            entries = entries.filter(Q(register__year=data["year"]) | Q(registered_at__year=data["year"]))
        if data["state"]:
            entries = entries.filter(state=data["state"])
        if data["overdue"]:
            entries = entries.filter(kind=Kind.INCOMING, state__in=OPEN_INCOMING,
                                     due_date__lt=timezone.localdate())
        if data["q"]:
            entries = search(entries, data["q"])
    entries = entries.filter(kind=kind).order_by("-registered_at", "-id")
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    registers = filter_visible(Register.objects.filter(secret=False), request.user).select_related("agency")[:30]
    return render(request, "documents/register.html", {
        "form": form, "page": page, "kind": kind, "rows": [(e, e.is_overdue(today)) for e in page],
        "query": query.urlencode(), "registers": registers,
        "may_register": visible_agencies(request.user, actions.CLERK).exists()})


class RegisterForm(forms.Form):
    """Vào sổ văn bản đến (incoming) or dự thảo văn bản đi (outgoing)."""

    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    number = forms.CharField(required=False, max_length=60)
    issuer_name = forms.CharField(required=False, max_length=300)
    issued_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    subject = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    signer_name = forms.CharField(required=False, max_length=100)
    signer_position = forms.CharField(required=False, max_length=100)
    urgency = forms.TypedChoiceField(coerce=int, required=False)
    field = forms.CharField(required=False, max_length=200)
    file = forms.FileField(required=False)
    confirm_duplicate = forms.BooleanField(required=False)

    def __init__(self, user, kind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = actions.CLERK if kind == Kind.INCOMING else actions.STAFF
        f = self.fields
        f["agency"].queryset = visible_agencies(user, roles).filter(status=AgencyStatus.ACTIVE)
        if len(agencies := list(f["agency"].queryset[:2])) == 1:
            f["agency"].initial = agencies[0].pk
        f["agency"].label = t("Cơ quan vào sổ", "Registering agency") if kind == Kind.INCOMING else t(
            "Cơ quan ban hành", "Issuing agency")
        f["number"].label = t("Số, ký hiệu (15/QĐ-UBND)", "Number and notation (15/QĐ-UBND)") if \
            kind == Kind.INCOMING else t("Ký hiệu (QĐ-UBND, UBND-VP)", "Notation (QĐ-UBND, UBND-VP)")
        f["issuer_name"].label = t("Cơ quan ban hành (tên hoặc mã)", "Issuer (name or code)")
        f["issued_date"].label = t("Ngày ban hành", "Date of issue")
        f["subject"].label = t("Trích yếu", "Subject")
        f["signer_name"].label, f["signer_position"].label = t("Người ký", "Signer"), t("Chức vụ", "Position")
        f["urgency"].label = t("Độ khẩn", "Urgency")
        f["urgency"].choices = [(v, choice(lbl)) for v, lbl in Urgency.choices]
        f["field"].label = t("Lĩnh vực", "Field")
        f["file"].label = t("Tệp văn bản (PDF)", "Document file (PDF)")
        f["confirm_duplicate"].label = t("Vẫn vào sổ dù có thể trùng", "Register even if it may be a duplicate")
        if kind == Kind.OUTGOING:
            for name in ("issuer_name", "issued_date", "confirm_duplicate"):
                del f[name]


@staff_required
@once_per_form
def new_view(request, kind):
    if kind not in (Kind.INCOMING, Kind.OUTGOING):
        raise Http404
    form = RegisterForm(request.user, kind, request.POST or None, request.FILES or None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meta = {k: data.get(k) for k in ("issuer_name", "issued_date", "subject", "signer_name", "signer_position",
                                         "urgency", "field") if data.get(k) not in (None, "")}
        if kind == Kind.INCOMING and data["number"]:
            meta["number"] = data["number"]
        elif data["number"]:
            meta["code_notation"] = data["number"].strip().upper()
        files = [(data["file"].name, data["file"].read())] if data.get("file") else []
        try:
            if kind == Kind.INCOMING:
                entry = actions.register_incoming(request.user, data["agency"], meta, attachments=files,
                                                  confirm_duplicate=data.get("confirm_duplicate", False))
            else:
                entry = actions.draft(request.user, data["agency"], meta, attachments=files)
        except actions.DuplicateDocument as exc:
            error, status = str(exc), 409
        except (actions.DocumentError, storage.StorageError, ValidationError) as exc:
            error, status = str(exc), 400
        except PermissionDenied as exc:
            error, status = str(exc), 403
        else:
            return redirect(reverse("documents:entry", args=[entry.pk]) + "?moi=1")
    elif request.method == "POST":
        status = 400
    return render(request, "documents/new.html", {"form": form, "kind": kind, "error": error,
                                                  "allowed": form.fields["agency"].queryset.exists()}, status=status)


def _entry(request, pk) -> Entry:
    return get_object_or_404(visible_entries(request.user), pk=pk)


def _assignable(entry: Entry):
    departments = entry.agency.subtree().filter(status=AgencyStatus.ACTIVE)
    users = get_user_model().objects.filter(is_active=True, role_assignments__agency__in=departments).distinct()
    return departments, users.select_related("person").order_by("username")


def _steps(request, entry: Entry) -> list[dict]:
    """The actions open to the user on this entry now (refused ones are not shown)."""
    user, steps = request.user, []
    if entry.kind == Kind.INCOMING and entry.state in OPEN_INCOMING:
        if not actions.refusal(user, actions.LEADER, entry.agency, "", ""):
            steps += [{"key": "assign", "label": t("Phân công xử lý", "Assign")},
                      {"key": "direction", "label": t("Cho ý kiến chỉ đạo", "Give a direction")}]
        if entry.state != IncomingState.REGISTERED and (actions.is_assignee(user, entry) or not actions.refusal(
                user, actions.LEADER, entry.agency, "", "")):
            steps += [{"key": "opinion", "label": t("Cho ý kiến", "Give an opinion")},
                      {"key": "done", "label": t("Hoàn thành xử lý", "Mark as done")}]
    elif entry.kind == Kind.OUTGOING and (step := actions.next_step(entry)):
        if not actions.step_refusal(user, entry, step):
            labels = {"review": t("Thẩm định", "Review"), "approve": t("Phê duyệt", "Approve"),
                      "sign": t("Ký", "Sign"), "number": t("Cấp số", "Give the number"),
                      "issue": t("Ban hành", "Issue"), "send": t("Gửi đi", "Send")}
            steps.append({"key": step, "label": labels[step]})
    return steps


def _done_label(key: str) -> str:
    labels = {"assign": t("Phân công xử lý", "Assigned"), "opinion": t("Cho ý kiến", "Opinion given"),
              "direction": t("Cho ý kiến chỉ đạo", "Direction given"), "done": t("Hoàn thành xử lý", "Done"),
              "review": t("Thẩm định", "Reviewed"), "approve": t("Phê duyệt", "Approved"), "sign": t("Ký", "Signed"),
              "number": t("Cấp số", "Numbered"), "issue": t("Ban hành", "Issued"), "send": t("Gửi đi", "Sent")}
    return labels.get(key, "")


def signatures(entry: Entry) -> list[dict]:
    """Each digitally signed file of the document, verified now against the configured trusted roots (a root
    added or removed since signing counts): status in words, signer, signing time. A file that cannot be read
    keeps the report made when it was signed."""
    rows = []
    for attachment in entry.document.attachments.filter(signed=True).select_related("blob"):
        try:
            reports = [r.as_dict() for r in signing.verify_pdf(storage.read(attachment.blob))]
        except (OSError, signing.SigningError):
            reports = attachment.signature_report.get("signatures", [])
        for report in reports:
            vi, en = signing.STATUS_TEXT.get(report["status"], (report["status"], report["status"]))
            when = report.get("signing_time")
            rows.append({"attachment": attachment, "status": report["status"], "text": t(vi, en),
                         "signer": report.get("signer") or "—",
                         "time": datetime.datetime.fromisoformat(when) if when else None})
    return rows


def _entry_page(request, entry: Entry, error: str = "", status: int = 200):
    info = lookup.describe(entry.document)
    for row in info.get("timeline", []):
        row["when"] = datetime.datetime.fromisoformat(row["at"]).strftime("%d/%m/%Y %H:%M")
    departments, users = _assignable(entry)
    return render(request, "documents/entry.html", {
        "entry": entry, "doc": entry.document, "info": info, "steps": _steps(request, entry), "error": error,
        "assignments": entry.assignments.select_related("department", "user"), "departments": departments,
        "users": users, "roles": [(k, choice(v)) for k, v in Role.choices],
        "recipients": Agency.objects.filter(status=AgencyStatus.ACTIVE).exclude(pk=entry.agency_id)[:200],
        "exchanges": entry.document.exchanges.select_related("sender_entry__agency", "receiver_entry__agency",
                                                             "receiver_agency"),
        "overdue": entry.is_overdue(), "new": request.GET.get("moi") == "1",
        "signatures": signatures(entry) if not entry.document.is_secret else [],
        "files": entry.document.attachments.select_related("blob") if not entry.document.is_secret else [],
        "sign_key": _sign_key(request.user, entry),
        "done": _done_label(request.GET.get("xong", "")),
        "state_label": choice(entry.state_label)}, status=status)


def _sign_key(user, entry: Entry) -> dict | None:
    """What the sign button will do for this user: sign with their configured key (named), or record approval to
    sign on paper."""
    if entry.kind != Kind.OUTGOING or actions.next_step(entry) != "sign":
        return None
    try:
        configured = signing.key_for(user)
    except signing.SigningError as exc:
        return {"error": str(exc)}
    has_pdf = entry.document.attachments.filter(main=True, blob__content_type="application/pdf").exists()
    return {"subject": configured.subject if configured else "", "has_pdf": has_pdf}


@staff_required
def entry_view(request, pk):
    return _entry_page(request, _entry(request, pk))


@staff_required
def attachment_view(request, pk, attachment_id):
    """A file of a document the user may see (the signed PDF after signing)."""
    entry = _entry(request, pk)
    if entry.document.is_secret:
        raise Http404
    attachment = get_object_or_404(entry.document.attachments.select_related("blob"), pk=attachment_id)
    try:
        data = storage.read(attachment.blob)
    except OSError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type=attachment.blob.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        attachment.blob.content_type != "application/pdf", attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
@once_per_form
def act_view(request, pk, action):
    entry = _entry(request, pk)
    note = request.POST.get("note", "").strip()
    try:
        if action == "assign":
            departments, users = _assignable(entry)
            department = departments.filter(pk=request.POST.get("department") or None).first()
            user = users.filter(pk=request.POST.get("user") or None).first()
            if department is None:
                raise actions.DocumentError(t("Hãy chọn đơn vị chủ trì", "Choose the lead department"))
            plan = [(department, user, Role.LEAD)]
            for pk_ in request.POST.getlist("support"):
                if (d := departments.filter(pk=pk_).first()) and d != department:
                    plan.append((d, None, Role.SUPPORT))
            days = request.POST.get("days") or None
            actions.assign(request.user, entry, plan, days=int(days) if days else None, note=note)
        elif action in ("opinion", "direction"):
            actions.comment(request.user, entry, note, direction=action == "direction")
        elif action == "done":
            result = None
            if number := request.POST.get("result", "").strip():
                found = lookup.find(number)
                if len(found) != 1:
                    raise actions.DocumentError(t(f"Không xác định được văn bản kết quả “{number}”",
                                                  f"Cannot tell which document “{number}” is"))
                result = found[0]
            actions.complete(request.user, entry, result_document=result, note=note)
        elif action in actions.STEP_RULES:
            recipients = Agency.objects.filter(pk__in=request.POST.getlist("recipients"))
            actions.step(request.user, entry, action, note=note, recipients=recipients,
                         channel=request.POST.get("channel") or "internal")
        else:
            raise Http404
    except (actions.DocumentError, ValueError, lookup.LookupError_) as exc:
        return _entry_page(request, entry, str(exc), status=400)
    except PermissionDenied as exc:
        return _entry_page(request, entry, str(exc), status=403)
    return redirect(reverse("documents:entry", args=[entry.pk]) + f"?xong={action}")


def overdue_by_department(user, today=None) -> list[dict]:
    """Open incoming documents past their due date, counted by the department leading them (chủ trì), worst
    first; a routed but unassigned one counts for the department the rule sent it to."""
    today = today or timezone.localdate()
    late = filter_visible(Entry.objects.filter(kind=Kind.INCOMING, state__in=OPEN_INCOMING, due_date__lt=today),
                          user)
    rows: dict[int | None, dict] = {}
    lead = (Assignment.objects.filter(entry__in=late, role=Role.LEAD).values("department", "department__name")
            .annotate(n=Count("entry", distinct=True)))
    for r in lead:
        rows[r["department"]] = {"department": r["department__name"], "count": r["n"]}
    unassigned = late.exclude(assignments__role=Role.LEAD)
    for r in unassigned.values("routed_to", "routed_to__name").annotate(n=Count("id")):
        row = rows.setdefault(r["routed_to"], {"department": r["routed_to__name"] or t(
            "Chưa phân công", "Not assigned"), "count": 0})
        row["count"] += r["n"]
    return sorted(rows.values(), key=lambda r: (-r["count"], r["department"] or ""))


@staff_required
def dashboard_view(request):
    today = timezone.localdate()
    late = filter_visible(Entry.objects.filter(kind=Kind.INCOMING, state__in=OPEN_INCOMING, due_date__lt=today),
                          request.user).select_related("document", "agency", "routed_to").order_by("due_date")[:100]
    leads = {a.entry_id: a.department.name for a in Assignment.objects.filter(
        entry__in=[e.pk for e in late], role=Role.LEAD).select_related("department")}
    rows = [(e, leads.get(e.pk) or (e.routed_to.name if e.routed_to else ""), (today - e.due_date).days)
            for e in late]
    return render(request, "documents/dashboard.html", {"rows": overdue_by_department(request.user, today),
                                                        "late": rows, "today": today})


@staff_required
def lookup_view(request):
    query, issuer = request.GET.get("q", "").strip(), request.GET.get("issuer", "").strip()
    found, error, hits = [], "", None
    if query:
        scope = Document.objects.filter(entries__in=visible_entries(request.user)).distinct()
        try:
            found = lookup.find(query, issuer=issuer, scope=scope)
        except lookup.LookupError_:
            hits = search(visible_entries(request.user), query).order_by("-registered_at")[:50]
            if not hits:
                error = t(f"Không tìm thấy văn bản nào với “{query}”", f"No document matches “{query}”")
    answers = []
    for d in found[:10]:
        now = None
        if d.issuer_id and not d.issuer.is_active:
            now = default_current_agency(d.issuer)
        timeline = [] if d.is_secret else lookup.timeline(d)
        for row in timeline:
            row["when"] = datetime.datetime.fromisoformat(row["at"]).strftime("%d/%m/%Y %H:%M")
        answers.append({"doc": d, "acts_now": now, "timeline": timeline,
                        "entries": d.entries.filter(pk__in=visible_entries(request.user)).select_related(
                            "agency", "register")})
    return render(request, "documents/lookup.html", {
        "query": query, "issuer": issuer, "found": answers,
        "hits": hits, "error": error, "searched": bool(query)})


@staff_required
def register_export_view(request, pk, fmt):
    register = get_object_or_404(filter_visible(Register.objects.filter(secret=False), request.user), pk=pk)
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    data = printing.export(register.agency, register.year, register.kind, fmt)
    kind = "den" if register.kind == Kind.INCOMING else "di"
    response = HttpResponse(data, content_type="application/pdf" if fmt == "pdf" else
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="so-{kind}-{register.agency.code}-{register.year}.{fmt}"'
    return response


ADMIN_ROLES = {OrgRole.UNIT_ADMIN}


class RuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["agency", "name", "issuer", "type_abbr", "field", "words", "department", "user", "priority",
                  "active"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = visible_agencies(user, ADMIN_ROLES).filter(status=AgencyStatus.ACTIVE)
        self.fields["agency"].queryset = scope
        self.fields["department"].queryset = scope
        self.fields["issuer"].queryset = Agency.objects.all()
        self.fields["user"].queryset = get_user_model().objects.filter(
            is_active=True, role_assignments__agency__in=scope).distinct()
        labels = {"agency": t("Cơ quan nhận", "Receiving agency"), "name": t("Tên quy tắc", "Rule name"),
                  "issuer": t("Cơ quan ban hành", "Issuer"), "type_abbr": t("Loại (QĐ, TB, CV…)", "Type (QĐ, TB, "
                                                                            "CV…)"),
                  "field": t("Lĩnh vực", "Field"), "words": t("Từ trong trích yếu (phẩy)", "Words in the subject "
                                                                                     "(commas)"),
                  "department": t("Chuyển đến đơn vị", "Route to department"),
                  "user": t("Chuyển đến người", "Route to person"), "priority": t("Thứ tự", "Priority"),
                  "active": t("Đang dùng", "Active")}
        for name, text in labels.items():
            self.fields[name].label = text
            self.fields[name].help_text = ""


class WorkflowForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    steps = forms.MultipleChoiceField(choices=[(s, s) for s in actions.OUTGOING_STEPS],
                                      widget=forms.CheckboxSelectMultiple, required=False)
    approvers = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none(), required=False)
    assign_days = forms.IntegerField(min_value=1, max_value=90, initial=10)
    secret_register = forms.BooleanField(required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = visible_agencies(user, ADMIN_ROLES).filter(status=AgencyStatus.ACTIVE)
        f = self.fields
        f["agency"].queryset = scope
        f["approvers"].queryset = get_user_model().objects.filter(is_active=True,
                                                                  role_assignments__agency__in=scope).distinct()
        f["agency"].label, f["steps"].label = t("Cơ quan", "Agency"), t("Các bước văn bản đi", "Outgoing steps")
        f["steps"].choices = [(s, {"review": t("Thẩm định", "Review"), "approve": t("Phê duyệt", "Approve"),
                                   "sign": t("Ký", "Sign"), "number": t("Cấp số", "Number"),
                                   "issue": t("Ban hành", "Issue"), "send": t("Gửi", "Send")}[s])
                              for s in actions.OUTGOING_STEPS]
        f["approvers"].label = t("Người phê duyệt (trống: lãnh đạo)", "Approvers (empty: any leader)")
        f["assign_days"].label = t("Hạn xử lý mặc định (ngày làm việc)", "Default due (working days)")
        f["secret_register"].label = t("Ghi sổ văn bản mật (chỉ số, ngày, cơ quan ban hành)",
                                       "Keep register lines of secret paper documents")


@staff_required
@once_per_form
def rules_view(request):
    """Routing rules and workflows of the agencies the user administers; rules naming closed agencies listed."""
    scope = visible_agencies(request.user, ADMIN_ROLES)
    if not scope.exists():
        raise PermissionDenied(t("Chỉ quản trị đơn vị sửa quy tắc phân luồng", "Only unit administrators edit "
                                                                               "routing rules"))
    rule_form, flow_form, message = RuleForm(request.user, prefix="rule"), WorkflowForm(request.user,
                                                                                          prefix="flow"), ""
    if request.method == "POST":
        what = request.POST.get("what")
        if what == "rule":
            instance = RoutingRule.objects.filter(agency__in=scope, pk=request.POST.get("rule_id") or None).first()
            rule_form = RuleForm(request.user, request.POST, prefix="rule", instance=instance)
            if rule_form.is_valid():
                try:
                    actions.save_rule(request.user, rule_form.save(commit=False))
                except (actions.DocumentError, PermissionDenied) as exc:
                    message = str(exc)
                else:
                    return redirect(reverse("documents:rules") + "?xong=rule")
        elif what == "flow":
            flow_form = WorkflowForm(request.user, request.POST, prefix="flow")
            if flow_form.is_valid():
                data = flow_form.cleaned_data
                actions.save_workflow(request.user, data["agency"], steps=data["steps"],
                                      approvers=list(data["approvers"]), assign_days=data["assign_days"],
                                      secret_register=data["secret_register"])
                return redirect(reverse("documents:rules") + "?xong=flow")
        elif what == "repoint":
            report = actions.repoint_rules(request.user, scope)
            message = t(f"Đã xử lý {len(report)} quy tắc", f"{len(report)} rules re-pointed or switched off")
    return render(request, "documents/rules.html", {
        "rules": RoutingRule.objects.filter(agency__in=scope).select_related("agency", "issuer", "department",
                                                                              "user"),
        "stale": routing.stale_rules(scope), "rule_form": rule_form, "flow_form": flow_form, "message": message,
        "flows": Workflow.objects.filter(agency__in=scope).select_related("agency").prefetch_related("approvers"),
        "done": request.GET.get("xong", "")})
