"""Staff curate search here (and in Wagtail's Snippets): synonyms and acronyms, best bets, protected words."""

from django.contrib import admin

from .models import BestBet, ProtectedWord, SearchDocument, Synonym


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["phrases", "note", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["phrases", "note"]


@admin.register(ProtectedWord)
class ProtectedWordAdmin(admin.ModelAdmin):
    list_display = ["word", "word_key"]
    search_fields = ["word", "word_key"]


@admin.register(SearchDocument)
class SearchDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "doc_type", "origin_unit", "date", "url"]
    list_filter = ["doc_type", "year"]
    search_fields = ["title_key", "title", "url"]  # folded titles too: staff may type without diacritics
    raw_id_fields = ["page", "origin_unit"]
    readonly_fields = ["title_key", "places_key", "body_key", "indexed_at"]


@admin.register(BestBet)
class BestBetAdmin(admin.ModelAdmin):
    list_display = ["query", "document", "position"]
    search_fields = ["query", "query_key"]
    autocomplete_fields = ["document"]
