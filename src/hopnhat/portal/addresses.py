"""What an imported old portal's own addresses answer, beyond its articles (issue 19, "Old addresses").

- Id-style URLs: WordPress's `/?p=4101`, `/?page_id=12`, `/?cat=7`, Joomla's `index.php?option=com_content&
  view=article&id=12`, DNN's `Default.aspx?tabid=57&ArticleID=9`. The site's significant query parameters are
  set from the first such URL an import meets, so `/?p=4101` is its own mapping instead of falling onto `/`.
- The home page and section index pages (every directory above an imported article: `/tin-tuc/`, `/2025/06/`,
  `/category/thong-bao/`) land on the old unit's page on the new portal ("nay thuộc …"), or the new home when the
  import names no unit — never on an article, never 404. A default only: a mapping someone already decided is
  never changed, and a source config `"index_pages": "home"` or `"none"` chooses otherwise for one site.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from .crosswalk.api import configure_site, decide, ensure_site
from .crosswalk.canonical import BadOldUrl, canonical_rule, prefix_candidates, split_url
from .crosswalk.models import Mapping, MappingType, OldSite

# Query parameters that pick a page, by the content system whose URLs carry them. A URL holding any of a system's
# markers makes all of that system's parameters significant for its site (names as the site spells them; the
# crosswalk lowers them on case-insensitive sites). Joomla's Itemid/catid name the menu, not the article.
ID_PARAMS = {
    "wordpress": ({"p", "page_id", "cat"}, {"p", "page_id", "cat", "attachment_id"}),
    "joomla": ({"option"}, {"option", "view", "id"}),
    "dnn": ({"tabid", "articleid", "newsid"}, {"tabid", "articleid", "newsid", "itemid", "mid", "ctl"}),
}
INDEX_CHOICES = ("unit", "home", "none")


def id_params(url: str) -> set[str]:
    """The significant parameters the content system behind `url` uses, if its query has one of its markers."""
    names = {k.lower() for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    found: set[str] = set()
    for markers, params in ID_PARAMS.values():
        if names & markers:
            found |= params
    return found


def prepare_site(urls: list[str], *, unit, system: str, actor) -> OldSite | None:
    """The old site of `urls` (created on first use), with the id-style parameters its URLs use made significant
    before any of them is mapped. Re-canonicalisation of existing mappings happens inside configure_site."""
    try:
        host = split_url(urls[0])[0]
    except (BadOldUrl, IndexError):
        return None
    site = ensure_site(host, actor=actor, unit=unit, system=system)
    wanted: set[str] = set()
    for url in urls:
        wanted |= id_params(url)
    have = set(site.significant_params())
    if site.case_insensitive:
        wanted = {w.lower() for w in wanted}
    if wanted - have:
        configure_site(site, actor=actor, significant_query=":".join(sorted(have | wanted)))
    return site


def index_paths(url: str) -> list[str]:
    """The home page and every directory above an article's path: /tin-tuc/2025/bai.html → /tin-tuc/2025, /tin-tuc, /.
    A query-string article (`/?p=1`, `/index.php?id=2`) has only the home page above it."""
    parts = urlsplit(url)
    path = parts.path or "/"
    parents = prefix_candidates(path)[1:]
    return parents or (["/"] if path != "/" or parts.query else [])


def land_index_pages(site: OldSite, urls: list[str], *, target, actor, extra: dict[str, object] | None = None) -> int:
    """Map the home and section index pages above `urls` to `target` (a page) where nothing is decided yet.
    `extra`: further old paths (category pages) → their own target page or URL. Returns how many it mapped."""
    wanted: dict[str, object] = {}
    for url in urls:
        for path in index_paths(url):
            wanted.setdefault(path, target)
    for path, where in (extra or {}).items():
        wanted.setdefault(path, where)
    made = 0
    for pattern, where in wanted.items():
        try:
            match, path = canonical_rule(site, pattern)
        except BadOldUrl:
            continue
        if Mapping.objects.filter(site=site, match=match, path=path).exclude(type=MappingType.UNRESOLVED).exists():
            continue  # decided already (an article lives there, or staff chose): the default never overrides
        fields = {"target_page": where, "target_url": ""} if not isinstance(where, str) else {
            "target_page": None, "target_url": where}
        _, changed = decide(site, pattern, actor=actor, action="crosswalk.map_url.index_page",
                            type=MappingType.REDIRECT, unit=site.unit, **fields)
        made += changed
    return made
