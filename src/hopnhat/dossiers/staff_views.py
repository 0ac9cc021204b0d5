"""The staff side of the dossier system: worklist, one dossier with its steps, reception at the counter, the
receipt slip, the on-time dashboard and the DVCQG outbox. Thin views: the work is in worklist.py, actions.py,
slip.py, dashboard.py and outbox.py. A dossier outside the user's scope answers 404, as if it did not exist."""

import io
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from hopnhat.consolidation.api import MappingError
from hopnhat.core import lang as vn_lang
from hopnhat.core.idempotency import once_per_form
from hopnhat.core.lang import OneLanguageForm, localise_form
from hopnhat.core.pii import normalise_id_number
from hopnhat.org.access import filter_visible, is_staff_member, is_unit_admin, visible_agencies
from hopnhat.org.access import staff_required as org_staff_required
from hopnhat.org.models import AgencyStatus, Role

from . import actions, dashboard, eform, lookup, outbox, people, slip
from .models import Action, Channel, OutboxMessage, OutboxState, Procedure, Status
from .worklist import REQUIRED_TEXT, SCOPES, STAFF_ACTIONS, action_label, allowed_actions, visible_dossiers, worklist

PER_PAGE = 50
# Where a user may receive at the counter: the agencies under their dossier_receiver (or unit_admin) roles.
RECEIVE_ROLES = set(actions.ACTION_ROLES[Action.RECEIVE] | actions.ADMIN_ROLES)


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied("chỉ dành cho cán bộ / staff only")
        return view(request, *args, **kwargs)

    return wrapped


class FilterForm(forms.Form):
    scope = forms.ChoiceField(label="Hồ sơ của ai / Whose", required=False,
                              choices=[(k, f"{vi} ({en})") for k, (vi, en) in SCOPES.items()])
    status = forms.TypedChoiceField(label="Trạng thái / Status", required=False, choices=[
        ("", "Cần xử lý (to act on)"), ("all", "Tất cả (all)"), *[(str(v), lbl) for v, lbl in Status.choices]])
    overdue = forms.BooleanField(label="Chỉ hồ sơ quá hạn / Overdue only", required=False)
    procedure = forms.ModelChoiceField(label="Thủ tục / Procedure", required=False, to_field_name="code",
                                       queryset=Procedure.objects.all(), empty_label="Tất cả thủ tục (all)")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = visible_agencies(user).filter(dossiers__isnull=False).distinct()
        self.fields["agency"] = forms.ModelChoiceField(label="Cơ quan / Agency", required=False, queryset=agencies,
                                                       empty_label="Mọi cơ quan trong phạm vi (all in scope)")
        localise_form(self)   # one language at a time


@staff_required
def worklist_view(request):
    form = FilterForm(request.user, request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {"scope": data["scope"], "status": data["status"], "overdue": data["overdue"],
                   "procedure": data["procedure"].code if data["procedure"] else "",
                   "agency": data["agency"].pk if data["agency"] else None}
    page = Paginator(worklist(request.user, **filters), PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    # Dossiers an old one-door system still handles say so (two queries for the page, none per row).
    held = actions.held_by_old_systems([d.pk for d in page])
    for d in page:
        d.old_systems = [system for system, _state in held.get(d.pk, [])]
    rows = [(d, d.is_overdue(today)) for d in page]
    query = request.GET.copy()
    query.pop("page", None)
    scope = filters.get("scope", "")
    tabs = [{"key": key, "vi": vi, "en": en, "current": key == scope,
             "count": worklist(request.user, scope=key).count() if key else None}
            for key, (vi, en) in SCOPES.items()]
    return render(request, "dossiers/staff/worklist.html", {
        "form": form, "page": page, "rows": rows, "query": query.urlencode(), "today": today, "tabs": tabs,
        "may_receive": visible_agencies(request.user, RECEIVE_ROLES).exists()})


def _dossier(request, pk):
    return get_object_or_404(visible_dossiers(request.user), pk=pk)


def _dossier_page(request, dossier, error: str = "", status: int = 200):
    held = actions.held_by_old_systems([dossier.pk]).get(dossier.pk, [])
    steps = [{"action": a, "label": action_label(a, dossier), "needs": REQUIRED_TEXT.get(a, ""),
              "draft": actions.draft_result(dossier) if a == Action.APPROVE else "",
              "url": reverse("dossiers:staff-act", args=[dossier.pk, a]),
              "assignees": [(u.pk, actions.display_name(u)) for u in actions.processors_of(dossier.agency)]
              if a == Action.ASSIGN else None}
             for a in allowed_actions(dossier, request.user, held=held)]
    # What was just done (?xong=<step>, ?moi=1 after reception) comes back in the address rather than through
    # django.contrib.messages, so the notice sits in this page's own role="status" box.
    done = request.GET.get("xong", "")
    info = lookup.describe(dossier, public=False)
    # people's names and titles, not user names: one query for the whole history
    known = people.names_and_titles(row["actor"] for row in info["timeline"])
    for row in info["timeline"]:
        row["when"] = vn_lang.date_time(row["at"])   # "2026-02-12T15:30+07:00" as the desk writes it
        row["who"] = people.who(row["actor"], row["actor_title"], known)
    return render(request, "dossiers/staff/dossier.html", {
        "dossier": dossier, "info": info, "steps": steps, "error": error,
        "held": actions.held_clause(held) if held else None,
        "assignee": actions.display_name(dossier.assignee) if dossier.assignee_id else "",
        "done": action_label(done, dossier) if done in STAFF_ACTIONS else None,
        "new": request.GET.get("moi") == "1",
        "eform": [{"label": eform.label_of(a), "value": a["value"]}
                  for a in getattr(getattr(dossier, "online_submission", None), "form_data", None) or []],
        "files": list(dossier.files.all()),
        "forms": [(f, *slip.FORM_LABELS[f]) for f in slip.forms_for(dossier)]}, status=status)


@staff_required
def dossier_view(request, pk):
    return _dossier_page(request, _dossier(request, pk))


@staff_required
@require_POST
@once_per_form
def act_view(request, pk, action):
    dossier = _dossier(request, pk)
    if action not in STAFF_ACTIONS:
        raise Http404(f"thao tác “{action}” không có / no such step")
    note, result = request.POST.get("note", "").strip(), request.POST.get("result", "").strip()
    vi, en = action_label(action, dossier)
    needed = REQUIRED_TEXT.get(action)
    if needed and not {"note": note, "result": result}[needed]:
        what = ("Nội dung", "A note") if needed == "note" else ("Kết quả giải quyết", "The result")
        return _dossier_page(request, dossier, f"{what[0]} là bắt buộc khi “{vi}”. / {what[1]} is required for "
                                               f"“{en}”.", status=400)
    assignee = None
    if action == Action.ASSIGN:
        assignee = actions.processors_of(dossier.agency).filter(pk=request.POST.get("assignee") or None).first()
        if assignee is None:
            return _dossier_page(request, dossier, f"Hãy chọn người thụ lý của “{dossier.agency.name}” khi “{vi}”. "
                                                   f"/ Choose an official of the agency for “{en}”.", status=400)
    try:
        actions.transition(request.user, dossier, action, note=note, result=result, assignee=assignee)
    except actions.TransitionError as error:
        return _dossier_page(request, dossier, str(error), status=409)
    except PermissionDenied as error:
        return _dossier_page(request, dossier, str(error), status=403)
    return redirect(f"{reverse('dossiers:staff-dossier', args=[dossier.pk])}?xong={action}")


def parse_papers(text: str) -> list[dict]:
    """'Tờ khai đăng ký khai sinh; 1' per line (number of copies optional, 1 by default)."""
    papers = []
    for number, line in enumerate(text.splitlines(), 1):
        name, _, copies = (part.strip() for part in line.partition(";"))
        if not name:
            continue
        if copies and not copies.isdigit():
            raise forms.ValidationError(f"Dòng {number}: số bản “{copies}” phải là số / line {number}: number of "
                                        f"copies “{copies}” is not a number")
        papers.append({"name": name, "copies": int(copies or 1)})
    return papers


class ReceiveForm(forms.Form):
    agency = forms.ModelChoiceField(label="Cơ quan tiếp nhận / Receiving agency", queryset=None)
    procedure = forms.ModelChoiceField(label="Thủ tục / Procedure", to_field_name="code",
                                       queryset=Procedure.objects.filter(active=True))
    applicant_name = forms.CharField(label="Họ tên người nộp / Applicant's full name", max_length=200)
    phone = forms.CharField(label="Số điện thoại / Phone", max_length=20,
                            help_text="4 số cuối dùng để tra cứu hồ sơ / its last 4 digits unlock the look-up")
    id_number = forms.CharField(label="Số định danh cá nhân (CCCD) / Personal ID number", max_length=20,
                                required=False, help_text="Không lưu dạng đọc được / never stored in clear")
    address = forms.CharField(label="Địa chỉ / Address", max_length=500, required=False)
    summary = forms.CharField(label="Trích yếu / Summary", max_length=500, required=False)
    channel = forms.TypedChoiceField(label="Kênh nộp / Channel", choices=Channel.choices, coerce=int,
                                     initial=Channel.DIRECT)
    papers = forms.CharField(label="Giấy tờ đã nhận / Papers received", required=False, widget=forms.Textarea(
        attrs={"rows": 4}), help_text="Mỗi dòng một giấy tờ: tên; số bản / one paper a line: name; copies")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = visible_agencies(user, RECEIVE_ROLES).filter(status=AgencyStatus.ACTIVE,
                                                                                      code__isnull=False)
        localise_form(self)

    def clean_phone(self):
        digits = normalise_id_number(self.cleaned_data["phone"])
        if not 9 <= len(digits) <= 11:
            raise forms.ValidationError("Số điện thoại phải có 9–11 chữ số / a phone number has 9–11 digits")
        return digits

    def clean_id_number(self):
        digits = normalise_id_number(self.cleaned_data["id_number"])
        if digits and len(digits) not in (9, 12):
            raise forms.ValidationError("Số định danh có 12 số (CMND cũ: 9 số) / the ID number has 12 digits "
                                        "(old ID card: 9)")
        return digits

    def clean_papers(self):
        return parse_papers(self.cleaned_data["papers"])


@staff_required
@once_per_form
def receive_view(request):
    if not visible_agencies(request.user, RECEIVE_ROLES).exists():
        raise PermissionDenied("Chỉ cán bộ tiếp nhận (một cửa) được tiếp nhận hồ sơ / only a dossier receiver may "
                               "receive dossiers")
    if request.method == "POST":
        form = ReceiveForm(request.user, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dossier = actions.receive(request.user, **data)
            except (actions.TransitionError, PermissionDenied) as error:
                form.add_error("agency", str(error))
            else:
                return redirect(f"{reverse('dossiers:staff-dossier', args=[dossier.pk])}?moi=1")
    else:
        # ?procedure=<code> (the "Chọn" button) fills the papers the procedure asks for, to tick off at the desk.
        initial = {}
        chosen = Procedure.objects.filter(code=request.GET.get("procedure", ""), active=True).first()
        if chosen:
            initial = {"procedure": chosen.code,
                       "papers": "\n".join(f"{p['name']}; {p.get('copies', 1)}" for p in chosen.papers)}
        form = ReceiveForm(request.user, initial=initial)
        agencies = form.fields["agency"].queryset
        if agencies.count() == 1:
            form.initial["agency"] = agencies.get().pk
    return render(request, "dossiers/staff/receive.html", {"form": form})


@staff_required
def slip_view(request, pk):
    dossier = _dossier(request, pk)
    pdf = slip.render_pdf(slip.slip_data(dossier, request))
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf",
                        filename=f"giay-tiep-nhan-{dossier.code}.pdf")


@staff_required
def form_view(request, pk, form):
    """Forms 02–04 of TT 01/2018, offered on the dossier page when its flow produced them."""
    dossier = _dossier(request, pk)
    if form not in slip.forms_for(dossier):
        raise Http404("mẫu phiếu không áp dụng cho hồ sơ này / that form does not apply to this dossier")
    pdf = slip.render_pdf(slip.slip_data(dossier, request, form=form))
    return FileResponse(io.BytesIO(pdf), content_type="application/pdf",
                        filename=f"phieu-{form}-{dossier.code}.pdf")


class PeriodForm(OneLanguageForm, forms.Form):
    since = forms.DateField(label="Tiếp nhận từ ngày / Received from", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="đến ngày / to", required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _period(request):
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["since"], form.cleaned_data["until"]
    return form, None, None


@staff_required
def dashboard_view(request):
    form, since, until = _period(request)
    counts = dashboard.counts_by_agency(request.user, since=since, until=until)
    return render(request, "dossiers/staff/dashboard.html", {
        "form": form, "counts": counts, "columns": [(c, *dashboard.LABELS[c]) for c in dashboard.COLUMNS]})


@staff_required
def dashboard_json(request):
    form, since, until = _period(request)
    if form.is_bound and not form.is_valid():
        return JsonResponse({"ok": False, "errors": form.errors}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    counts = dashboard.counts_by_agency(request.user, since=since, until=until)
    return JsonResponse({"ok": True, **counts}, json_dumps_params={"ensure_ascii": False})


@staff_required
@once_per_form
def outbox_view(request):
    """What went to DVCQG for the dossiers in scope: counts by state, and every dead or retrying message with
    its last error; a unit administrator may send dead ones again."""
    messages = filter_visible(OutboxMessage.objects.all(), request.user, agency_field="dossier__agency")
    if request.method == "POST":
        chosen = messages.filter(pk__in=[v for v in request.POST.getlist("message") if v.isdigit()])
        allowed = filter_visible(chosen, request.user, agency_field="dossier__agency", roles={Role.UNIT_ADMIN})
        if chosen.exclude(pk__in=allowed.values("pk")).exists():
            raise PermissionDenied("chỉ quản trị đơn vị được gửi lại / only a unit administrator may resend")
        count = outbox.requeue(request.user, allowed)
        return redirect(f"{reverse('dossiers:staff-outbox')}?gui_lai={count}")
    problems = messages.filter(Q(state=OutboxState.DEAD) | Q(state=OutboxState.PENDING, attempts__gt=0))
    may_requeue = filter_visible(messages.filter(state=OutboxState.DEAD), request.user,
                                 agency_field="dossier__agency", roles={Role.UNIT_ADMIN}).exists()
    return render(request, "dossiers/staff/outbox.html", {
        "counts": outbox.state_counts(messages), "connected": outbox.connected(),
        "problems": problems.select_related("dossier").order_by("state", "pk")[:PER_PAGE],
        "may_requeue": may_requeue, "requeued": request.GET.get("gui_lai", ""),
        "max_attempts": outbox.attempts_allowed()})


# ---- the merged catalogue's differences, decided by a unit administrator (issue 17) ----------------------------

@org_staff_required(allowed=is_unit_admin)
@once_per_form
def catalogue_conflicts_view(request):
    """Where the old units published the same procedure differently (time limit, fees, papers, receiving agency):
    every old value side by side, and the unit administrator's decision, audited (procedure_catalogue.decide_as)."""
    from . import procedure_catalogue as pc

    error, status = "", 200
    if request.method == "POST":
        conflict = get_object_or_404(pc.conflicts_for(request.user), pk=request.POST.get("conflict") or 0)
        choice, other = request.POST.get("choice", ""), request.POST.get("value", "").strip()
        note = request.POST.get("note", "").strip()[:1000]
        try:
            if choice == "__other__" or (not choice and other):
                if not other:
                    raise pc.CatalogueDecisionError("Nhập giá trị khác hoặc chọn một đơn vị cũ / type the other "
                                                    "value or pick an old unit's")
                pc.decide_as(request.user, conflict, value=other, note=note)
            else:
                pc.decide_as(request.user, conflict, system=choice or None, note=note)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except (pc.CatalogueDecisionError, MappingError, ValueError) as exc:
            error = (f"Thủ tục {conflict.procedure.national_code} — {conflict.get_field_display()}: {exc}")
            status = 400
        else:
            return redirect(f"{reverse('dossiers:staff-catalogue-conflicts')}?xong={conflict.pk}#c-{conflict.pk}")
    rows = []
    for conflict in pc.conflicts_for(request.user):
        rows.append({"c": conflict, "field_label": conflict.get_field_display(),
                     "values": [{"system": v["system"], "text": pc.describe_value(conflict.field, v["value"])}
                                for v in conflict.values],
                     "decided_text": pc.describe_value(conflict.field, conflict.decided_value)
                     if conflict.decided else ""})
    done = request.GET.get("xong", "")
    return render(request, "dossiers/staff/catalogue_conflicts.html", {
        "rows": rows, "error": error, "done": int(done) if done.isdigit() else None,
        "open": sum(not r["c"].decided for r in rows)}, status=status)


@staff_required
def staff_file_view(request, pk, file_pk):
    """A paper the citizen uploaded (or the result), for the officials who may see the dossier."""
    dossier = _dossier(request, pk)
    stored = get_object_or_404(dossier.files, pk=file_pk)
    return FileResponse(stored.file.open("rb"), as_attachment=True, filename=stored.name)
