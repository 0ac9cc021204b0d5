from django.urls import path

from . import views

app_name = "shell"
urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.SignInView.as_view(), name="login"),
    path("dang-xuat/", views.SignOutView.as_view(), name="logout"),
    path("can-bo/", views.staff_home, name="staff-home"),
    path("healthz", views.healthz, name="healthz"),
    path("lien-he/", views.contact, name="contact"),
    path("can-bo/khoa-dang-nhap/", views.signin_locks, name="signin-locks"),
]
