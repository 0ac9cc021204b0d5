from django.urls import path

from . import views

app_name = "portal_search"
urlpatterns = [
    path("", views.search_page, name="search"),
]
