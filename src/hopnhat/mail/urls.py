from django.urls import path

from . import views

app_name = "mail"

urlpatterns = [
    path("dia-chi/", views.staff_addresses, name="addresses"),
    path("chuyen-tiep/", views.staff_forwards, name="forwards"),
    path("chuyen-hop-thu/", views.staff_migrations, name="migrations"),
    path("chuyen-hop-thu/<str:name>", views.staff_migration, name="migration"),
]
