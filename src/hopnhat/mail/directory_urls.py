from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.directory_home, name="home"),
    path("co-quan/<int:pk>/", views.directory_agency, name="agency"),
    path("co-quan/<int:pk>.vcf", views.agency_vcard, name="agency-vcard"),
    path("can-bo/<int:pk>.vcf", views.person_vcard, name="person-vcard"),
]
