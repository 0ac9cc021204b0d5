from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def home(request):
    return render(request, "hopnhat/home.html")


@login_required
def staff_home(request):
    from hopnhat.org.access import roles_of, visible_agencies

    return render(request, "hopnhat/staff_home.html", {
        "roles": roles_of(request.user),
        "agency_count": visible_agencies(request.user).count(),
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
