"""`hopnhat directory …`: the electronic directory of the new organisation.

    hopnhat directory export --format vcard|ldif [AGENCY]   vCard 4.0 or LDIF of an agency's subtree (or all)
    hopnhat directory sync-ldap [--full] [--dry-run]        slapd made to say what the platform says; differences
    hopnhat directory carddav                               rewrite the CardDAV address book's files
"""

from django.core.management.base import CommandError

from hopnhat.core.json_output import HopnhatCommand, bad_input


class Command(HopnhatCommand):
    help = "Danh bạ điện tử / the directory: exports, LDAP sync, CardDAV"

    def add_arguments(self, parser):
        sub = self.add_subcommands(parser)
        p = sub.add_parser("export", help="xuất vCard hoặc LDIF / export vCard 4.0 or LDIF")
        p.add_argument("--format", choices=["vcard", "ldif"], default="vcard")
        p.add_argument("agency", nargs="?", help="mã định danh (or name) of the agency; default: everything")
        p.add_argument("--output", "-o", help="file to write (default: standard output)")
        p = sub.add_parser("sync-ldap", help="đồng bộ LDAP / synchronise slapd")
        p.add_argument("--full", action="store_true", help="compare every entry (the default; kept for clarity)")
        p.add_argument("--dry-run", action="store_true", help="only report the differences")
        sub.add_parser("carddav", help="ghi sổ địa chỉ CardDAV / write the CardDAV address book")

    def handle(self, *args, **options):
        return getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _agency(self, value):
        if not value:
            return None
        from hopnhat.org.agencies import resolve_agency

        found = resolve_agency(value)
        if len(found) != 1:
            raise bad_input(f"Cơ quan “{value}”: tìm thấy {len(found)} / agency {value!r} matches {len(found)}")
        return found[0]

    def _export(self, options):
        from hopnhat.mail import directory, ldap_sync

        agency = self._agency(options["agency"])
        if options["format"] == "vcard":
            text = directory.export_vcards(directory.Audience.STAFF, agency)
            count = text.count("BEGIN:VCARD")
        else:
            text = ldap_sync.export_ldif(agency=agency)
            count = text.count("\ndn")
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.write(text)
            self.emit({"format": options["format"], "entries": count, "file": options["output"]},
                      f"{count} mục / entries → {options['output']}")
        elif self.as_json:
            self.emit({"format": options["format"], "entries": count, "text": text})
        else:
            self.stdout.write(text, ending="")

    def _sync_ldap(self, options):
        from hopnhat.mail import ldap_sync

        if not ldap_sync.configured():
            raise CommandError("slapd của dự án chưa chạy (python -m hopnhat.mail.servers start) "
                               "/ the project's slapd is not running")
        result = ldap_sync.sync(full=True, dry_run=options["dry_run"])
        c = result["counts"]
        human = (f"{'(thử / dry run) ' if options['dry_run'] else ''}{result['entries']} mục / entries: "
                 f"thêm / added {c['added']}, sửa / modified {c['modified']}, xóa / deleted {c['deleted']}")
        self.emit(result, human)

    def _carddav(self, options):
        from hopnhat.mail import carddav

        self.emit(carddav.write_address_book())
