from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.register_view, name="register"),
    path("qua-han/", views.dashboard_view, name="dashboard"),
    path("tra-cuu/", views.lookup_view, name="lookup"),
    path("moi/<str:kind>/", views.new_view, name="new"),
    path("quy-tac/", views.rules_view, name="rules"),
    path("so/<int:pk>/in.<str:fmt>", views.register_export_view, name="register-export"),
    path("<int:pk>/", views.entry_view, name="entry"),
    path("<int:pk>/tep/<int:attachment_id>/", views.attachment_view, name="attachment"),
    path("<int:pk>/<slug:action>/", views.act_view, name="act"),
]
