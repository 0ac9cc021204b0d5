"""`hopnhat search QUERY [--type procedure] [--unit ID] [--year 2025] [--page 2] [--json]`: the portal search from
the console; `hopnhat search --reindex` indexes every live public page again and recounts the vocabulary."""

from wagtail.models import Page

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.portal.search.engine import SearchError, search
from hopnhat.portal.search.indexing import index_page, rebuild_vocabulary


class Command(HopnhatCommand):
    help = "Tìm kiếm trên cổng / search the portal (or --reindex)"

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="*", help="câu tìm / the query")
        parser.add_argument("--type", action="append", default=[], help="procedure, news, notice, document, page")
        parser.add_argument("--unit", action="append", default=[], help="id đơn vị / unit id (repeatable)")
        parser.add_argument("--year", action="append", default=[])
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--per-page", type=int, default=10)
        parser.add_argument("--reindex", action="store_true", help="index every live public page again")

    def handle(self, *args, **options):
        if options["reindex"]:
            return self._reindex()
        query = " ".join(options["query"]).strip()
        if not query:
            raise bad_input("Cần câu tìm, ví dụ: hopnhat search \"cấp đổi CCCD\" / a query is required")
        try:
            results = search(query, facets={"type": options["type"], "unit": options["unit"],
                                            "year": options["year"]},
                             page=options["page"], per_page=options["per_page"])
        except SearchError as exc:
            raise bad_input(str(exc)) from None
        self.emit({"ok": True, **results.as_dict()}, self._human(results))

    def _human(self, results) -> str:
        lines = []
        if results.suggestion:
            lines.append(f"Có phải bạn muốn tìm / did you mean: {results.suggestion}")
        for group in results.parsed.groups if results.parsed else []:
            if group.kind == "place":
                lines.append(f"Địa danh “{group.text}” gồm / place includes: "
                             + ", ".join(u.name for u in group.units[:8]) + ("…" if len(group.units) > 8 else ""))
        more = "+" if results.total_is_lower_bound else ""
        lines.append(f"{results.total}{more} kết quả / results ({results.took_ms} ms), trang / page "
                     f"{results.page}/{results.pages}")
        start = (results.page - 1) * results.per_page
        for n, hit in enumerate(results.hits, start + 1):
            flag = " [đề xuất / pinned]" if hit.pinned else " [liên quan / related]" if hit.related else ""
            where = f" — {hit.unit}" if hit.unit else ""
            lines.append(f"{n:>3}. {hit.title}{flag}\n     {hit.url} · {hit.doc_type_label}{where} · {hit.date or ''}")
        return "\n".join(lines)

    def _reindex(self):
        indexed = skipped = 0
        for page in Page.objects.live().filter(depth__gt=1).specific().iterator():
            if index_page(page) is None:
                skipped += 1
            else:
                indexed += 1
        terms = rebuild_vocabulary()
        self.emit({"ok": True, "indexed": indexed, "skipped": skipped, "terms": terms},
                  f"Đã lập chỉ mục {indexed} trang ({skipped} bỏ qua: không công khai), {terms} từ. "
                  f"/ Indexed {indexed} pages ({skipped} skipped: not public), {terms} terms.")
