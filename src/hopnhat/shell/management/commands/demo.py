"""`hopnhat demo`: a working platform on http://127.0.0.1:8000 from an empty database, in one command.

Migrates, loads the national units, the demo organisation and users, then each module's demo data, and serves.
Every step is idempotent, so running it again only starts the server.
"""

import importlib
import io
import os

from django.conf import settings
from django.core.management import call_command

from hopnhat.core.json_output import HopnhatCommand
from hopnhat.org import demo

# Order matters: org → consolidation → portal → dossiers → documents → mail → reports (docs/contributing.md).
# A module not written yet is skipped.
MODULE_DEMOS = [
    "hopnhat.consolidation.inventory.demo",
    "hopnhat.consolidation.demo",
    "hopnhat.portal.demo",
    "hopnhat.dossiers.demo",
    "hopnhat.dossiers.citizen_demo",
    "hopnhat.documents.demo",
    "hopnhat.mail.demo",
    "hopnhat.reports.demo",
]


def _module_demo(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only a missing demo module (or its missing app) is skipped; a broken import inside one is an error.
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


class Command(HopnhatCommand):
    help = "Dựng bản demo và chạy máy chủ / set up the demo data and serve it on http://127.0.0.1:8000"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load the data only (tests, CI)")
        parser.add_argument("--addr", default="127.0.0.1:8000",
                            help="địa chỉ máy chủ, ví dụ --addr 127.0.0.1:8100 khi cổng 8000 đang bận / address to "
                                 "serve on, e.g. --addr 127.0.0.1:8100 when port 8000 is taken (default "
                                 "127.0.0.1:8000)")

    def handle(self, *args, **options):
        # Progress goes to the terminal for people; under --json it is collected and left out of the answer.
        log = io.StringIO() if self.as_json else self.stdout
        log.write("1/4 Cơ sở dữ liệu / database: migrate\n")
        call_command("migrate", interactive=False, verbosity=0)
        log.write("2/4 Đơn vị hành chính / administrative units\n")
        from hopnhat.org.units_load import load_national_units

        units = load_national_units(stdout=log)
        log.write("\n3/4 Cơ quan và người dùng demo / demo agencies and users\n")
        org = demo.load_demo(log)
        modules = {}
        log.write("4/4 Dữ liệu demo của các phân hệ / module demo data\n")
        for name in MODULE_DEMOS:
            module = _module_demo(name)
            if module is None:
                modules[name] = None
                continue
            log.write(f"  {name}\n")
            modules[name] = module.load_demo(log)

        base = f"http://{options['addr']}"
        if not os.environ.get("HOPNHAT_BASE_URL"):
            # The platform's public address is where the demo serves (issue 19): old portals' redirects and
            # links in mail point there, not at 127.0.0.1:8000 when --addr names another port.
            settings.WAGTAILADMIN_BASE_URL = base
        urls = {
            "home": f"{base}/",
            "sign_in": f"{base}/dang-nhap/",
            "staff": f"{base}/can-bo/",
            "unit_lookup": f"{base}/don-vi/tra-cuu/?q=%C4%90%E1%BB%99i%20C%E1%BA%A5n",
            "django_admin": f"{base}/django-admin/",
            "wagtail_admin": f"{base}/cms/",
        }
        logins = demo_logins(org, modules)
        self.emit({"units": units, "org": org, "modules": modules, "urls": urls, "logins": logins,
                   "serving": not options["no_serve"]}, self._human(logins, urls))
        if options["no_serve"]:
            return
        if not settings.DEBUG:
            self.stderr.write("HOPNHAT_DEBUG=1 chưa bật: trang sẽ thiếu CSS và không đăng nhập được qua http "
                              "/ HOPNHAT_DEBUG=1 is not set: no static files and no sign-in over plain http "
                              "(scripts/dev demo sets it)")
        call_command("runserver", options["addr"], use_reloader=False)

    def _human(self, logins: list[dict], urls: dict) -> str:
        width = max(len(u["username"]) for u in logins)
        users = "\n".join(f"  {u['username']:<{width}}  {u['password']}  {u['shows']}" for u in logins)
        return (
            "\nBản demo đã sẵn sàng / the demo is ready\n"
            f"  Trang chủ / home:                 {urls['home']}\n"
            f"  Đăng nhập / sign in:              {urls['sign_in']}\n"
            f"  Khu vực cán bộ / staff area:      {urls['staff']}\n"
            f"  Tra cứu đơn vị / unit look-up:    {urls['unit_lookup']}\n"
            f"  Django admin:                     {urls['django_admin']}\n"
            f"  Wagtail (CMS):                    {urls['wagtail_admin']}\n"
            "Tài khoản demo (tên đăng nhập, mật khẩu) / demo logins (user name, password):\n"
            f"{users}\n"
            "Cổng khác / another port: hopnhat demo --addr 127.0.0.1:8100\n"
        )


def demo_logins(org: dict, modules: dict) -> list[dict]:
    """Every demo login, the organisation's and each module's team (a module's demo may return "team": [{username,
    password, shows, …}]), once each, in that order."""
    rows, seen = [], set()
    for row in [*org["users"], *(row for result in modules.values() if isinstance(result, dict)
                                 for row in result.get("team", []))]:
        if row["username"] not in seen:
            seen.add(row["username"])
            rows.append({"username": row["username"], "password": row["password"],
                         "shows": row.get("shows") or _role_shows(row)})
    return rows


def _role_shows(row: dict) -> str:
    """What a team row without "shows" gives its user: the role's name in both languages (never the code
    `doc_clerk`), and the pages it starts from."""
    from hopnhat.org.models import Role

    role = row.get("role", "")
    label = Role(role).label if role in Role.values else role
    text = f"{label} / {label.en}" if hasattr(label, "en") else str(label)
    return f"{text} ({row['pages']})" if row.get("pages") else text
