from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("tra-cuu/", views.unit_lookup, name="unit-lookup"),
    path("api/lineage", views.lineage_api, name="lineage-api"),
]
