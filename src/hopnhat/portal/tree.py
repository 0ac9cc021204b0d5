"""The portal's fixed skeleton: one home page at the site root, the news section, the old-units section, and
one historic page per old unit whose content was imported. Every function is get-or-create."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Collection, Locale, Page, Site

from hopnhat.org.models import AdminUnit

from .history import historic_title
from .models import HistoricUnitPage, HomePage, SectionPage

# (slug, title, intro, title_en, intro_en): each language in its own field, so a page speaks one at a time.
NEWS = ("tin-tuc", "Tin tức", "Tin tức, thông báo hợp nhất từ các cổng thông tin cũ", "News",
        "News from the old portals")
OLD_UNITS = ("don-vi-cu", "Đơn vị hành chính cũ", "Các đơn vị trước ngày 01/7/2025 và nơi tiếp nhận",
             "Former administrative units", "The units before the reform and their successors")


def _publish(page: Page) -> Page:
    page.save_revision(log_action=False).publish(log_action=False)
    return page


def _wagtail_roots() -> Page:
    """The page tree's root, the default locale and the root collection. Wagtail's migrations make them; a
    flushed database (transactional tests) has none, and pages, images and documents cannot be made without."""
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Collection.get_first_root_node() is None:
        Collection.add_root(instance=Collection(name="Root"))
    return Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))


@transaction.atomic
def home() -> HomePage:
    page = HomePage.objects.first()
    if page is None:
        root = _wagtail_roots()
        # Wagtail's install leaves a bare "Welcome" page at the root; the portal's home replaces it.
        for stale in root.get_children().filter(content_type__model="page", content_type__app_label="wagtailcore"):
            if not stale.get_children().exists():
                stale.delete()
        page = root.add_child(instance=HomePage(title=settings.WAGTAIL_SITE_NAME, slug="trang-chu"))
        _publish(page)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=page, is_default_site=True,
                            site_name=settings.WAGTAIL_SITE_NAME)
    elif site.root_page_id != page.pk:
        site.root_page = page
        site.save(update_fields=["root_page"])
    return page


@transaction.atomic
def section(slug: str, title: str, intro: str = "", title_en: str = "", intro_en: str = "") -> SectionPage:
    parent = home()
    found = SectionPage.objects.child_of(parent).filter(slug=slug).first()
    if found:
        return found
    page = parent.add_child(instance=SectionPage(title=title, slug=slug, intro=f"<p>{intro}</p>" if intro else "",
                                                 title_en=title_en,
                                                 intro_en=f"<p>{intro_en}</p>" if intro_en else "",
                                                 show_in_menus=True))
    return _publish(page)


def news() -> SectionPage:
    return section(*NEWS)


def old_units() -> SectionPage:
    return section(*OLD_UNITS)


@transaction.atomic
def historic_page(unit: AdminUnit) -> HistoricUnitPage:
    """The page of an old unit (its lead sentence is read from the lineage each time it is shown)."""
    found = HistoricUnitPage.objects.filter(unit=unit).first()
    if found:
        return found
    parent = old_units()
    page = parent.add_child(instance=HistoricUnitPage(title=historic_title(unit), slug=f"{unit.level}-{unit.code}",
                                                      unit=unit))
    return _publish(page)
