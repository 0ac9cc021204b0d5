from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import citizen_views, staff_views, views

app_name = "dossiers"
urlpatterns = [
    path("tra-cuu/", views.lookup_page, name="lookup"),
    # The public procedure catalogue (issue 17): browse by field, level, agency, life event; one procedure.
    path("thu-tuc/", views.procedures_page, name="procedures"),
    path("thu-tuc/<str:code>/", views.procedure_page, name="procedure"),
    path("thu-tuc/<str:code>/nop/", citizen_views.submit_view, name="submit"),
    # Resumable uploads of a submission's papers (the tus 1.0.0 protocol; the session's CSRF token in X-CSRFToken).
    path("tai-len/", citizen_views.tus_create_view, name="uploads"),
    path("tai-len/<uuid:upload_id>/", citizen_views.tus_upload_view, name="upload"),
    path("cua-toi/", citizen_views.my_dossiers_view, name="my-dossiers"),
    path("cua-toi/<int:pk>/da-nop/", citizen_views.done_view, name="my-dossier-done"),
    path("cua-toi/<int:pk>/phieu.pdf", citizen_views.my_slip_view, name="my-slip"),
    path("cua-toi/<int:pk>/bo-sung/", citizen_views.supply_view, name="my-supply"),
    path("cua-toi/<int:pk>/ket-qua/<int:file_pk>/", citizen_views.my_result_view, name="my-result"),
    # A JSON API for apps and other portals: no session, so no CSRF token; the rate limit guards it.
    path("api/tra-cuu/", csrf_exempt(views.lookup_api), name="lookup-api"),
    # Staff: worklist, one dossier and its steps, reception at the counter, receipt slip, on-time dashboard.
    path("can-bo/", staff_views.worklist_view, name="staff-worklist"),
    path("can-bo/tiep-nhan/", staff_views.receive_view, name="staff-receive"),
    path("can-bo/thong-ke/", staff_views.dashboard_view, name="staff-dashboard"),
    path("can-bo/thong-ke.json", staff_views.dashboard_json, name="staff-dashboard-json"),
    path("can-bo/dvcqg/", staff_views.outbox_view, name="staff-outbox"),
    path("can-bo/danh-muc/khac-biet/", staff_views.catalogue_conflicts_view, name="staff-catalogue-conflicts"),
    path("can-bo/<int:pk>/", staff_views.dossier_view, name="staff-dossier"),
    path("can-bo/<int:pk>/phieu.pdf", staff_views.slip_view, name="staff-slip"),
    path("can-bo/<int:pk>/tep/<int:file_pk>/", staff_views.staff_file_view, name="staff-file"),
    path("can-bo/<int:pk>/phieu-<str:form>.pdf", staff_views.form_view, name="staff-form"),
    path("can-bo/<int:pk>/<slug:action>/", staff_views.act_view, name="staff-act"),
]
