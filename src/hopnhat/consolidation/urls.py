from django.urls import path

from . import views

app_name = "consolidation"
urlpatterns = [
    path("duyet-trung/", views.review_list, name="review"),
    path("duyet-trung/<int:pk>/", views.review_decide, name="review-decide"),
]
