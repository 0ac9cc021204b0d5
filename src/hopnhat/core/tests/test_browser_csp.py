"""Issue 13, finding 9: the main pages pass their Content-Security-Policy in a real browser (Chromium reports every
blocked style, script, image or form as a violation)."""

import pytest
from django.contrib.auth import get_user_model

from hopnhat.org.agencies import ensure_agency
from hopnhat.org.models import Role, RoleAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "mat-khau-demo-2025"

RECORD = """document.addEventListener('securitypolicyviolation', e => {
  (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);
});"""


def test_home_look_up_sign_in_and_staff_pages_pass_their_policy(desktop_page):
    agency = ensure_agency(code="000.00.02.H60", name="Sở Nội vụ tỉnh Tuyên Quang", actor="system:test")[0]
    user = get_user_model().objects.create_user("canbo.noivu", password=PASSWORD)
    RoleAssignment.objects.create(user=user, role=Role.OFFICIAL, agency=agency)
    page = desktop_page
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD)

    seen = {}
    for path in ("/", "/ho-so/tra-cuu/", "/don-vi/tra-cuu/?q=Đội Cấn", "/dang-nhap/"):
        answer = page.goto(path)
        assert "default-src 'none'" in answer.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        seen[path] = page.evaluate("window.__csp || []")
    # the shell's style sheet really applies under the policy (the red header band)
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") == \
        "rgb(163, 17, 26)"
    # sign in through the form (form-action 'self') and open the staff area
    page.get_by_label("Tên đăng nhập").fill("canbo.noivu")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url("**/can-bo/")
    seen["/can-bo/"] = page.evaluate("window.__csp || []")
    page.goto("/ho-so/can-bo/")
    seen["/ho-so/can-bo/"] = page.evaluate("window.__csp || []")
    assert {p: v for p, v in seen.items() if v} == {}
    assert console == []
