from django.urls import path

from . import views

app_name = "crosswalk"
urlpatterns = [
    path("xem-truoc/<str:host>/", views.preview, name="preview-home"),
    path("xem-truoc/<str:host>/<path:path>", views.preview, name="preview"),
    path("dia-chi-cu/", views.queue, name="queue"),
    path("dia-chi-cu/<int:pk>/", views.decide_view, name="decide"),
]
