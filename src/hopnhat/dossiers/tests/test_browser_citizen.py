"""The citizen's whole path on a 390 px phone with the keyboard alone (issue 17): find "đăng ký khai sinh" (and "dang
ky khai sinh") in the portal's one search box → the procedure → sign in → fill its e-form and choose its papers
(resumable uploads in the browser) with an old commune's address → the split commune asks which ward → Phường Ba
Đình's one-door desk has it → a supplement is asked → the citizen uploads it → the signed result downloads with
its signature status. axe-core on every page; screenshots in both languages under var/shots/."""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from hopnhat.consolidation.engine import run_mapping
from hopnhat.consolidation.mapping import Mapping
from hopnhat.core.pii import keyed_hash
from hopnhat.dossiers import actions, catalogue_samples, citizen
from hopnhat.dossiers.models import Action, Dossier, Status

from .conftest import build_hanoi, close_old_agencies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"% scanned page\n" * 90000 + b"trailer<<>>\n%%EOF\n"   # ~1.3 MB


def tab_to(page, selector: str, limit: int = 80, back: bool = False) -> None:
    """Press Tab (Shift+Tab) until the focused element matches `selector`: it is reachable by keyboard."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} is not reachable with Tab from {page.url}")


def _chooser_seen(chooser) -> None:
    """A listener whose presence keeps Playwright's file-chooser interception on (choose_file_with_keyboard)."""


def choose_file_with_keyboard(page, selector: str, path: Path) -> None:
    """Tab to a file input and open it with Space. Playwright turns the file chooser's interception on only when
    `expect_file_chooser` starts waiting; a Space handled before that opened Chromium's own (headless, invisible)
    dialog and no event came, once in a few runs, alone on the machine as well as under load. So interception is on
    (a listener) before the first Space, and the key is pressed again (three times at most) if no chooser came."""
    page.on("filechooser", _chooser_seen)
    try:
        for _ in range(3):
            tab_to(page, selector)
            try:
                with page.expect_file_chooser(timeout=10_000) as chooser:
                    page.keyboard.press("Space")
            except PlaywrightTimeoutError:
                continue
            chooser.value.set_files(str(path))
            return
    finally:
        page.remove_listener("filechooser", _chooser_seen)
    raise AssertionError(f"{selector}: Space opened no file chooser, three times")


def shot(page, name: str) -> None:
    folder = Path.cwd() / "var" / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"citizen-{name}.png"), full_page=True)


def fits_phone(page) -> None:
    wide = page.evaluate("[...document.querySelectorAll('main *')]"
                         ".filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '.' + e.className)")
    assert wide == [], wide


def test_the_whole_path_with_the_keyboard_alone(phone_page, assert_accessible, tmp_path, settings):
    from hopnhat.documents import signing
    from hopnhat.documents.tests import pki as testpki

    settings.MEDIA_ROOT = str(tmp_path / "media")
    hanoi = build_hanoi()
    close_old_agencies(hanoi)
    for m in catalogue_samples.mappings(tmp_path):
        run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
    username = "vneid-" + keyed_hash("001085012345")
    user = get_user_model().objects.create(username=username, first_name="Nguyễn Thị Lan")
    user.set_password("mat-khau-cong-dan-1")
    user.save()
    (tmp_path / "to-khai.pdf").write_bytes(PDF)
    (tmp_path / "giay-chung-sinh.pdf").write_bytes(PDF.replace(b"scanned", b"birth-cert"))
    (tmp_path / "bo-sung.pdf").write_bytes(PDF.replace(b"scanned", b"supplement"))
    page = phone_page
    kb = page.keyboard

    # find the procedure: with diacritics, then without, through the one search box
    page.goto("/")
    tab_to(page, "#header-search-q")
    kb.type("đăng ký khai sinh")
    kb.press("Enter")
    page.wait_for_url("**/tim-kiem/**")
    assert page.get_by_role("link", name="Thủ tục đăng ký khai sinh").count() >= 1
    assert_accessible(page)
    tab_to(page, "#header-search-q", back=True)
    kb.press("Control+A")
    kb.type("dang ky khai sinh")
    kb.press("Enter")
    page.wait_for_url("**q=dang**")
    tab_to(page, 'main a[href$="/ho-so/thu-tuc/1.001193/"]')
    kb.press("Enter")
    page.wait_for_url("**/ho-so/thu-tuc/1.001193/")
    assert_accessible(page)
    shot(page, "1-procedure-vi")

    # submit online → sign in → back on the form
    tab_to(page, 'main a[href$="/ho-so/thu-tuc/1.001193/nop/"]')
    kb.press("Enter")
    page.wait_for_url("**/dang-nhap/**")
    tab_to(page, "#id_username")
    kb.type(username)
    tab_to(page, "#id_password")
    kb.type("mat-khau-cong-dan-1")
    kb.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/ho-so/thu-tuc/1\.001193/nop/$"))
    page.wait_for_selector("form.submit-form")
    assert_accessible(page)

    # the form, field by field
    tab_to(page, "#phone")
    kb.type("0912000111")
    tab_to(page, "#place")
    kb.type("Phường Đội Cấn, Quận Ba Đình")         # an old ward the reform split between two new ones
    tab_to(page, "#id_f-ho_chu_dem_ten_cua_tre")
    kb.type("Nguyễn Minh An")
    tab_to(page, "#id_f-ngay_thang_nam_sinh_cua_tre")
    kb.type("03/11/2025")
    tab_to(page, "#id_f-gioi_tinh")
    kb.type("Nam")
    tab_to(page, "#id_f-noi_sinh")
    kb.type("Bệnh viện Phụ sản Hà Nội")
    tab_to(page, "#id_f-quan_he_voi_tre")
    kb.type("Mẹ")
    choose_file_with_keyboard(page, "#paper-0", tmp_path / "to-khai.pdf")
    choose_file_with_keyboard(page, "#paper-1", tmp_path / "giay-chung-sinh.pdf")
    shot(page, "2-form-vi")
    patches, cut = [], []
    page.on("request", lambda r: patches.append(r.url) if r.method == "PATCH" else None)

    def cut_once(route):      # the phone's connection drops during the second piece of the first paper
        if route.request.method == "PATCH" and len(patches) == 2 and not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/ho-so/tai-len/**", cut_once)
    tab_to(page, ".submit-form button[type=submit]")
    kb.press("Enter")
    # the papers go up resumably (tus), then the form: the split ward asks which of its successors
    page.wait_for_selector("input[name=ward]")
    assert "nay thuộc nhiều phường" in page.locator("[role=alert]").inner_text()
    assert page.locator(".kept").count() == 2                  # both papers received, not to be chosen again
    # 1 MB pieces through tus; the cut one was resumed from where the server had it (HEAD, then PATCH)
    assert cut and len(patches) == 5 and all("/ho-so/tai-len/" in u for u in patches)
    page.unroute("**/ho-so/tai-len/**")
    assert not Dossier.objects.exists()
    assert_accessible(page)
    shot(page, "3-choose-ward-vi")
    tab_to(page, "input[name=ward]:checked")
    checked = page.evaluate("document.activeElement.value")
    assert checked == hanoi.units.ngoc_ha.code                 # the default successor is offered first
    kb.press("ArrowDown")                                       # …and the citizen lives in the Ba Đình part
    assert page.evaluate("document.activeElement.value") == hanoi.units.ba_dinh.code
    tab_to(page, ".submit-form button[type=submit]")
    kb.press("Enter")
    page.wait_for_url("**/da-nop/")
    assert_accessible(page)
    shot(page, "4-submitted-vi")
    dossier = Dossier.objects.get()
    assert dossier.agency == hanoi.ba_dinh and dossier.code in page.content()
    assert {f.paper: f.file.read() for f in dossier.files.all()} == {
        "Tờ khai đăng ký khai sinh": PDF, "Giấy chứng sinh": PDF.replace(b"scanned", b"birth-cert")}
    answers = {a["key"]: a["value"] for a in dossier.online_submission.form_data}
    assert answers["ngay_thang_nam_sinh_cua_tre"] == "03/11/2025" and answers["quan_he_voi_tre"] == "Mẹ"

    # Phường Ba Đình's one-door desk has it in its queue, and asks for a supplement (the desk's own pages have their
    # browser tests: test_browser_worklist.py)
    from hopnhat.dossiers.worklist import visible_dossiers
    from hopnhat.org.models import Role, RoleAssignment

    desk = get_user_model().objects.create(username="motcua.badinh.test")
    RoleAssignment.objects.create(user=desk, role=Role.DOSSIER_RECEIVER, agency=hanoi.ba_dinh)
    assert list(visible_dossiers(desk)) == [dossier]
    actions.transition("system:test-desk", dossier, Action.REQUEST_SUPPLEMENT,
                       note="Bản sao giấy chứng sinh có chứng thực")

    tab_to(page, 'main a[href="/ho-so/cua-toi/"]')
    kb.press("Enter")
    page.wait_for_url("**/ho-so/cua-toi/")
    assert "Bản sao giấy chứng sinh có chứng thực" in page.content()
    assert_accessible(page)
    shot(page, "5-supplement-vi")
    choose_file_with_keyboard(page, f"#files-{dossier.pk}", tmp_path / "bo-sung.pdf")
    tab_to(page, ".supplement button[type=submit]")
    kb.press("Enter")
    page.wait_for_load_state()
    page.wait_for_function("!document.querySelector('.supplement')")
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and dossier.files.count() == 3

    # the result, signed by the ward, downloads with its signature status
    pki = testpki.make_pki(tmp_path / "pki", signer_name="UBND phường Ba Đình")
    settings.HOPNHAT_SIGNING = {"trust_roots": [str(pki.root_pem)]}
    key = signing.KeySpec(pkcs12=str(pki.signer_p12), passphrase=testpki.PASSPHRASE)
    with ThreadPoolExecutor(1) as pool:    # pyHanko runs its own event loop: not in Playwright's thread
        signed = pool.submit(signing.sign_pdf, testpki.sample_pdf(pages=1), key, role="organisation",
                             number="12/GKS").result()
    citizen.attach_result("system:test-desk", dossier, "giay-khai-sinh.pdf", signed)
    dossier.refresh_from_db()
    actions.transition("system:test-approver", dossier, Action.APPROVE, result="Giấy khai sinh số 12/GKS")
    dossier.refresh_from_db()
    actions.transition("system:test-desk", dossier, Action.RETURN_RESULT)
    page.reload()
    assert "Chữ ký số hợp lệ" in page.content()
    tab_to(page, "main a[href*='/ket-qua/']")
    with page.expect_download() as download:
        kb.press("Enter")
    assert download.value.suggested_filename == "giay-khai-sinh.pdf"
    assert Path(download.value.path()).read_bytes() == signed
    assert_accessible(page)
    fits_phone(page)
    shot(page, "6-result-vi")

    # the same pages in English: one language at a time
    tab_to(page, ".lang-switch button", back=True)
    kb.press("Enter")
    page.wait_for_selector("html[lang='en']")  # the URL stays the same: wait for the English page itself
    page.wait_for_url("**/ho-so/cua-toi/")
    body = page.locator("main").inner_text()
    assert "My dossiers" in body and "Valid digital signature" in body and "Result returned" in body
    assert "Hồ sơ của tôi" not in body and "Đã trả kết quả" not in body
    assert_accessible(page)
    fits_phone(page)
    shot(page, "6-result-en")
    for path, name, expect in (("/ho-so/thu-tuc/1.001193/", "1-procedure-en", "Submit online"),
                               ("/ho-so/thu-tuc/1.001193/nop/", "2-form-en", "Fields marked * are required."),
                               (f"/ho-so/cua-toi/{dossier.pk}/da-nop/", "4-submitted-en", "Dossier submitted")):
        page.goto(path)
        assert expect in page.locator("main").inner_text()
        assert_accessible(page)
        fits_phone(page)
        shot(page, name)


def test_the_unit_admin_decides_a_catalogue_difference_with_the_keyboard(phone_page, assert_accessible, tmp_path):
    from hopnhat.core.models import AuditEntry
    from hopnhat.dossiers.models import CatalogueConflict
    from hopnhat.org.models import Role, RoleAssignment

    hanoi = build_hanoi()
    close_old_agencies(hanoi)
    for m in catalogue_samples.mappings(tmp_path):
        run_mapping(Mapping.from_dict(m), actor="system:test-catalogue")
    admin = get_user_model().objects.create(username="quantri.badinh.test", first_name="Hà")
    admin.set_password("mat-khau-quan-tri-1")
    admin.save()
    RoleAssignment.objects.create(user=admin, role=Role.UNIT_ADMIN, agency=hanoi.ba_dinh)
    page, kb = phone_page, phone_page.keyboard
    page.goto("/ho-so/can-bo/danh-muc/khac-biet/")
    page.wait_for_url("**/dang-nhap/**")
    tab_to(page, "#id_username")
    kb.type(admin.username)
    tab_to(page, "#id_password")
    kb.type("mat-khau-quan-tri-1")
    kb.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/ho-so/can-bo/danh-muc/khac-biet/$"))
    page.wait_for_selector("section.conflict")
    assert "3 ngày làm việc" in page.content() and "5 ngày làm việc" in page.content()
    assert_accessible(page)
    fits_phone(page)
    shot(page, "7-catalogue-differences-vi")
    tab_to(page, f"input[name=choice][value={catalogue_samples.WARD}]")
    kb.press("Space")
    tab_to(page, "textarea[name=note]")
    kb.type("Luật Hộ tịch: 5 ngày làm việc khi cần xác minh")
    tab_to(page, "section.conflict button[type=submit]")
    kb.press("Enter")
    page.wait_for_url("**xong=**")
    conflict = CatalogueConflict.objects.get()
    assert conflict.decided and conflict.decided_by == admin.username and conflict.decided_value == 5
    assert AuditEntry.objects.filter(action="dossiers.catalogue_decide", actor=admin.username).exists()
    assert "Đã quyết định" in page.content()
    assert_accessible(page)
    tab_to(page, ".lang-switch button", back=True)
    kb.press("Enter")
    # the page is already loaded: wait for the English one, not for a load state the old page satisfies at once
    page.wait_for_selector("html[lang='en']")
    body = page.locator("main").inner_text()
    assert "time limit" in body and "Decided:" in body and "Thời hạn giải quyết" not in body
    assert_accessible(page)
    fits_phone(page)
    shot(page, "7-catalogue-differences-en")
