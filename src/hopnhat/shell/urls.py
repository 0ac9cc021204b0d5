from django.urls import path

from . import outbox, views

app_name = "shell"
urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.SignInView.as_view(), name="login"),
    path("dang-xuat/", views.SignOutView.as_view(), name="logout"),
    path("can-bo/", views.staff_home, name="staff-home"),
    path("healthz", views.healthz, name="healthz"),
    path("lien-he/", views.contact, name="contact"),
    path("can-bo/khoa-dang-nhap/", views.signin_locks, name="signin-locks"),
    path("can-bo/gui-di/", outbox.outbox_view, name="outbox"),
    path("can-bo/gui-di/<slug:link_name>/<int:pk>/", outbox.outbox_message_view, name="outbox-message"),
]
