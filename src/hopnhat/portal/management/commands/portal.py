"""hopnhat portal — bring the old portals in and keep every old URL answering.

  hopnhat portal import {wxr|feed|crawl|warc} SOURCE --site OLD_HOST [--unit UNIT] [--dry-run]
  hopnhat portal resolve OLD_URL
  hopnhat portal redirects import FILE.csv | export FILE.csv | nginx-map FILE
  hopnhat portal hits import LOGFILE [--site OLD_HOST]
  hopnhat portal bouncer [--bind HOST:PORT] [--workers N]
  hopnhat portal site OLD_HOST [--alias HOST]… [--unit UNIT] [--system CODE] [--significant-query id:cat]
                               [--[no-]case-insensitive]
                               [--[no-]trailing-slash-significant] [--[no-]pass-query]
                               [--global-redirect URL [--append-path] | --global-archive | --no-global]
  hopnhat portal allow HOST_OR_.DOMAIN [--note TEXT]
"""

import argparse
import sys
from pathlib import Path

from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input
from hopnhat.portal.crosswalk import csv_io, edge, hits
from hopnhat.portal.crosswalk.api import MappingError, allow_host, configure_site, ensure_site
from hopnhat.portal.crosswalk.canonical import BadOldUrl
from hopnhat.portal.crosswalk.models import GlobalType
from hopnhat.portal.crosswalk.resolve import resolve_url

IMPORT_KINDS = ["wxr", "feed", "crawl", "warc"]


class Command(HopnhatCommand):
    help = "Cổng thông tin: nhập trang cũ, địa chỉ cũ, nhật ký truy cập / portal imports and the URL crosswalk"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        imp = sub.add_parser("import", help="nhập nội dung trang cũ / import an old portal's content")
        imp.add_argument("kind", choices=IMPORT_KINDS)
        imp.add_argument("source")
        imp.add_argument("--site", required=True, help="host of the old portal, e.g. phuongtrucbach.hanoi.gov.vn")
        imp.add_argument("--unit", help="old unit: node id VN/2025-06-30/ward/00004 or old code 00004")
        imp.add_argument("--dry-run", action="store_true")

        res = sub.add_parser("resolve", help="địa chỉ cũ này trả lời gì / what an old URL answers")
        res.add_argument("old_url")

        red = sub.add_parser("redirects", help="ánh xạ hàng loạt / mappings in bulk")
        red_sub = self.add_subcommands(red, dest="redirects_action")
        red_sub.add_parser("import", help="CSV → mappings").add_argument("file")
        red_sub.add_parser("export", help="mappings → CSV").add_argument("file")
        red_sub.add_parser("nginx-map", help="exact redirects → nginx map file").add_argument("file")

        hit = sub.add_parser("hits", help="nhật ký truy cập / access logs")
        hit_sub = self.add_subcommands(hit, dest="hits_action")
        hit_import = hit_sub.add_parser("import", help="combined / vhost_combined access log")
        hit_import.add_argument("logfile")
        hit_import.add_argument("--site", help="host the log belongs to (not needed for vhost_combined logs)")

        site = sub.add_parser("site", help="cách đọc địa chỉ của một trang cũ / an old site's options")
        site.add_argument("host")
        site.add_argument("--name")
        site.add_argument("--unit", help="old unit: node id VN/2025-06-30/ward/00004 or old code 00004")
        site.add_argument("--alias", action="append", default=[], help="another host of the same site")
        site.add_argument("--system", help="migration system whose cutover switches the site live (portal-…); "
                                           "'' for none")
        site.add_argument("--significant-query", help="query parameters that pick a page, e.g. id:cat")
        for flag in ("case-insensitive", "trailing-slash-significant", "normalise-encoding", "pass-query"):
            site.add_argument(f"--{flag}", action=argparse.BooleanOptionalAction, default=None)
        whole = site.add_mutually_exclusive_group()
        whole.add_argument("--global-redirect", metavar="URL", help="redirect every unmapped path of the host")
        whole.add_argument("--global-archive", action="store_true", help="archive (410) every unmapped path")
        whole.add_argument("--no-global", action="store_true")
        site.add_argument("--append-path", action=argparse.BooleanOptionalAction, default=None,
                          help="with --global-redirect: add the old path to the target")

        bounce = sub.add_parser("bouncer", help="máy chủ riêng cho các máy chủ cũ / serve the old hosts (ASGI)")
        bounce.add_argument("--bind", default="127.0.0.1:8001", help="HOST:PORT (default 127.0.0.1:8001)")
        bounce.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")

        allow = sub.add_parser("allow", help="cho phép chuyển hướng tới máy chủ / allow redirects to a host")
        allow.add_argument("pattern", help="host, or .domain for all its sub-domains")
        allow.add_argument("--note", default="")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def do_import(self, kind, source, site, unit=None, dry_run=False, **_):
        from hopnhat.portal.importing import run_import

        try:
            report = run_import(kind, source, site=site, unit=unit, dry_run=dry_run,
                                actor=f"system:portal-import-{kind}")
        except (LookupError, ValueError) as exc:
            raise bad_input(f"{source}: {exc}") from exc
        self.emit(report, "\n".join(f"{k}: {v}" for k, v in report.items()))

    def do_resolve(self, old_url, **_):
        try:
            outcome = resolve_url(old_url, not_live_too=True)   # what it answers, or will once live
        except BadOldUrl as exc:
            raise bad_input(str(exc)) from exc
        if outcome is None:
            raise bad_input(f"“{old_url}”: máy chủ không phải trang cũ đã đăng ký / host is not a known old site")
        data = {**outcome.as_dict(), "live": outcome.site.live}
        note = "" if outcome.site.live else " [chưa phục vụ: hệ thống chưa chuyển hẳn / not live yet]"
        self.emit(data, f"{data['status'] or 'proxy'} {data['type']} ({data['rule'] or '—'}) "
                        f"{data['target'] or data['archive_copy']}".rstrip() + note)

    def do_redirects(self, redirects_action, file, **_):
        path = Path(file)
        actor = "system:portal-redirects"
        if redirects_action == "import":
            try:
                report = csv_io.import_csv(path.read_text(encoding="utf-8-sig"), name=path.name, actor=actor)
            except (OSError, UnicodeDecodeError, MappingError) as exc:
                raise bad_input(f"{file}: {exc}") from exc
            human = (f"{report['rows']} dòng/rows: {report['created']} mới/created, {report['changed']} "
                     f"đổi/changed, {report['unchanged']} không đổi/unchanged, {len(report['errors'])} lỗi/errors")
            human += "".join(f"\n  {path.name}:{e['line']}: {e['old_url']}: {e['error']}" for e in report["errors"])
            report["ok"] = not report["errors"]
            self.emit(report, human)
            if report["errors"]:
                sys.exit(1)
            return
        with path.open("w", encoding="utf-8", newline="") as out:
            if redirects_action == "export":
                report = {"file": file, "rows": csv_io.export_csv(out)}
            else:
                report = {"file": file, **edge.write_nginx_map(out)}
        self.emit({"ok": True, **report}, "\n".join(f"{k}: {v}" for k, v in report.items()))

    def do_site(self, host, name=None, unit=None, alias=(), significant_query=None, global_redirect=None,
                global_archive=False, no_global=False, append_path=None, system=None, **flags):
        actor = "system:portal-site"
        try:
            old_unit = csv_io.unit_from_text(unit) if unit else None
            site = ensure_site(host, actor=actor, unit=old_unit)
            options = {k: v for k, v in {
                "name": name, "unit": old_unit, "significant_query": significant_query, "system": system,
                "global_append_path": append_path,
                **{k: flags.get(k) for k in ("case_insensitive", "trailing_slash_significant", "normalise_encoding",
                                             "pass_query")},
            }.items() if v is not None}
            if global_redirect:
                options.update(global_type=GlobalType.REDIRECT, global_url=global_redirect)
            elif global_archive or no_global:
                options.update(global_type=GlobalType.ARCHIVE if global_archive else GlobalType.NONE, global_url="")
            changes = configure_site(site, actor=actor, aliases=alias, **options)
        except MappingError as exc:
            raise CommandError(f"{host}: {exc}") from exc
        data = {"site": site.host, "hosts": list(site.hosts.order_by("host").values_list("host", flat=True)),
                "system": site.system, "live": site.live, "changed": sorted(changes)}
        self.emit(data, f"{site.host}: {', '.join(data['changed']) or 'không đổi / unchanged'}")

    def do_bouncer(self, bind, workers, **_):
        from hopnhat.portal.crosswalk import bouncer

        try:
            bouncer.parse_bind(bind)
        except ValueError as exc:
            raise bad_input(str(exc)) from exc
        info = {"bind": bind, "workers": workers, "server": "granian (asgi)", **bouncer.startup_info()}
        self.emit(info, f"bouncer: http://{bind} — {info['workers']} workers, {info['old_hosts']} old hosts, "
                        f"{info['mappings']} mappings, revision {info['revision']}")
        self.stdout.flush()
        bouncer.serve(bind, workers)

    def do_allow(self, pattern, note="", **_):
        allowed = allow_host(pattern, actor="system:portal-allow", note=note)
        self.emit({"pattern": allowed.pattern, "note": allowed.note}, allowed.pattern)

    def do_hits(self, hits_action, logfile, site=None, **_):
        try:
            report = hits.import_log(logfile, site_host=site)
        except OSError as exc:
            raise bad_input(f"{logfile}: {exc}") from exc
        if report["already_imported"]:
            human = f"{logfile}: đã nhập trước đây, không đổi gì / already imported, nothing changed"
        else:
            human = (f"{report['accepted']}/{report['lines']} dòng/lines, {report['new_unresolved']} địa chỉ cần "
                     f"quyết định mới / new unresolved, {report['bad_lines']} dòng lỗi / bad lines")
            human += "".join(f"\n  {e}" for e in report["errors"])
        report["ranking"] = hits.unmapped_ranking(limit=20)
        self.emit(report, human)
