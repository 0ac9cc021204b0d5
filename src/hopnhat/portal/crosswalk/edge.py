"""Exact redirects as an nginx `map`, so the edge can answer the bulk of old URLs without the app.

Include the file in nginx's http{} context, then in the old hosts' server{}:
    if ($hopnhat_redirect) { return 301 $hopnhat_redirect; }
    location / { proxy_pass http://hopnhat; }     # everything else (410, API, prefix rules) to the app
The file sets map_hash_bucket_size / map_hash_max_size for its size: they must come before any other `map`
and not be set again elsewhere (nginx refuses a duplicate).

What the edge cannot do is left to the app and counted in the returned report: prefix, archive, API and
unresolved mappings, paths with significant query parameters, sites that pass the query string on, and
paths that are not UTF-8. nginx matches map strings case-insensitively and the file treats a trailing slash
as insignificant (the `$hopnhat_uri` map strips it). Sites that are not live (OldSite.live: their system has not
switched, or routed back) are not in the file at all; the report names them.
"""

from urllib.parse import unquote_to_bytes, urljoin

from django.conf import settings
from django.db.models import Max
from django.db.models.functions import Length

from .models import Mapping, MappingType, Match, OldHost, OldSite
from .resolve import page_url

VARIABLE = "$hopnhat_redirect"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key_path(canon: str) -> str | None:
    try:
        path = unquote_to_bytes(canon).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if any(ord(c) < 32 or c == "\x7f" for c in path) else path


def write_nginx_map(out) -> dict:
    """Write the map to the text stream `out`; return what was written and what was left to the app."""
    # Sites that are not live (their system has not switched, or routed back) are left out altogether.
    report = {"entries": 0, "mappings": 0, "left_to_app": 0,
              "not_live": sorted(OldSite.objects.filter(live=False).values_list("host", flat=True))}
    hosts_of: dict[int, list[str]] = {}
    for host in OldHost.objects.filter(site__live=True).order_by("host"):
        hosts_of.setdefault(host.site_id, []).append(host.host)
    rows = (Mapping.objects.filter(match=Match.EXACT, type=MappingType.REDIRECT, site__pass_query=False,
                                   site__live=True)
            .exclude(path__contains="?"))
    # Sized before writing so the file streams: the encoded path is never shorter than the decoded key.
    longest = (rows.aggregate(n=Max(Length("path")))["n"] or 0) + max(map(len, (h for hs in hosts_of.values()
                                                                               for h in hs)), default=0)
    upper = rows.count() * max(map(len, hosts_of.values()), default=1)
    # A bucket holds four of the longest keys (each with a pointer and alignment) and the hash may use four
    # times as many buckets as keys: nginx then finds a size without overflowing buckets at start-up, even
    # for millions of entries ("could not build optimal map_hash" otherwise).
    bucket = max(128, -(-4 * (longest + 16) // 64) * 64)
    out.write("# hopnhat: exact redirects of the old portals — generated, do not edit "
              "(hopnhat portal redirects nginx-map)\n")
    out.write(f"map_hash_bucket_size {bucket};\nmap_hash_max_size {max(2048, 4 * upper)};\n")
    out.write('map $uri $hopnhat_uri {\n    default $uri;\n    "~^(?<bare>.+?)/+$" $bare;\n}\n')
    out.write(f"map $host$hopnhat_uri {VARIABLE} {{\n    default \"\";\n")
    base = settings.WAGTAILADMIN_BASE_URL
    for m in (rows.select_related("target_page").order_by("site_id", "path")
              .only("site_id", "path", "target_url", "target_page").iterator(chunk_size=5000)):
        path = _key_path(m.path)
        target = page_url(m.target_page) if m.target_page_id else m.target_url
        if path is None or not target:
            continue
        # `$` would start a variable in an nginx value; %24 is the same URL.
        target = _quote(urljoin(base, target).replace("$", "%24"))
        report["mappings"] += 1
        for host in hosts_of.get(m.site_id, []):
            out.write(f"    {_quote(host + path)} {target};\n")
            report["entries"] += 1
    out.write("}\n")
    report["left_to_app"] = Mapping.objects.filter(site__live=True).count() - report["mappings"]
    return report


def standalone_conf(map_file, listen: str, prefix_dir) -> str:
    """A whole nginx.conf serving only the map (for `nginx -t`, the tests and bench/redirects_wrk.py)."""
    return f"""worker_processes auto;
pid {prefix_dir}/nginx.pid;
error_log {prefix_dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix_dir}/body;
    proxy_temp_path {prefix_dir}/proxy;
    fastcgi_temp_path {prefix_dir}/fastcgi;
    uwsgi_temp_path {prefix_dir}/uwsgi;
    scgi_temp_path {prefix_dir}/scgi;
    include {map_file};
    server {{
        listen {listen};
        location / {{
            if ($hopnhat_redirect) {{ return 301 $hopnhat_redirect; }}
            return 404;
        }}
    }}
}}
"""
