"""Synonyms and protected words in Wagtail's admin too, where the portal's editors already work."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import ProtectedWord, Synonym


class SynonymViewSet(SnippetViewSet):
    model = Synonym
    icon = "list-ul"
    list_display = ["phrases", "note", "is_active"]
    search_fields = ["phrases", "note"]


class ProtectedWordViewSet(SnippetViewSet):
    model = ProtectedWord
    icon = "lock"
    list_display = ["word"]
    search_fields = ["word"]


class SearchViewSetGroup(SnippetViewSetGroup):
    items = (SynonymViewSet, ProtectedWordViewSet)
    menu_icon = "search"
    menu_label = "Tìm kiếm (Search)"
    menu_name = "portal-search"


register_snippet(SearchViewSetGroup)
