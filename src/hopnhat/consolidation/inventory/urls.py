from django.urls import path

from . import views

app_name = "inventory"
urlpatterns = [
    path("", views.system_list, name="list"),
    path("them/", views.system_edit, name="create"),
    path("he-thong/<slug:code>/", views.system_detail, name="detail"),
    path("he-thong/<slug:code>/sua/", views.system_edit, name="edit"),
    path("danh-gia/<str:unit_code>/<slug:system_type>/", views.assess, name="assess"),
    path("trong-so/", views.weights, name="weights"),
    path("bang-theo-doi/", views.dashboard, name="dashboard"),
    path("ke-hoach.xlsx", views.export_plan, name="export-plan"),
    path("mau.xlsx", views.template, name="template"),
    path("nhap/", views.import_register, name="import"),
]
