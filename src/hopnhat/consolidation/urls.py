from django.urls import path

from . import views

app_name = "consolidation"
urlpatterns = [
    path("duyet-trung/", views.review_list, name="review"),
    path("duyet-trung/<int:pk>/", views.review_decide, name="review-decide"),
    path("luot/", views.run_list, name="runs"),
    path("luot/<int:pk>/bao-cao/", views.run_report, name="run-report"),
    path("cach-ly/", views.quarantine_list, name="quarantine"),
    path("cach-ly/<int:pk>/sua/", views.quarantine_fix, name="quarantine-fix"),
    path("cach-ly/chay-lai/", views.quarantine_rerun, name="quarantine-rerun"),
]
