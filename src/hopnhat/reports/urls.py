from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("chuoi/<str:indicator>/<int:unit_id>/", views.series_view, name="series"),
    path("so-sanh/<str:indicator>/", views.compare_view, name="compare"),
    path("bieu/<str:form>/<int:agency_id>/<str:period>/", views.form_view, name="form"),
    path("bieu/<str:form>/<int:agency_id>/<str:period>/mau.xlsx", views.template_view, name="template"),
    path("bao-cao/<int:pk>/<slug:action>/", views.act_view, name="act"),
]
