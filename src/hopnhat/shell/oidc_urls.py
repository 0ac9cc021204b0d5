"""VNeID sign-in routes. They exist only while a provider is configured, so the sign-in page's button
(registered here, left out by the shell whenever its URL does not resolve) never leads to a failure."""

from django.urls import path

from hopnhat.core import navigation

from . import oidc, oidc_views

app_name = "oidc"
urlpatterns = [
    path("", oidc_views.start, name="login"),
    path("callback/", oidc_views.callback, name="callback"),
] if oidc.configured() else []

navigation.register_sign_in(navigation.SignInOption("oidc:login", "Đăng nhập bằng VNeID", "Sign in with VNeID"))
