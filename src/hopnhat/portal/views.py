from django.http import Http404

from .models import HomePage


def live_home_page() -> HomePage | None:
    return HomePage.objects.live().first()


def home(request):
    """/cong/ stays a stable address of the portal's home page (the same page "/" serves)."""
    page = live_home_page()
    if page is None:
        raise Http404("Cổng thông tin chưa được tạo / the portal has not been set up")
    return page.serve(request)
