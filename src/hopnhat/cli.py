"""The `hopnhat` console script: Django's management commands under the project's settings.

`hopnhat units lineage "Tỉnh Hà Giang" --json` is the management command `units` with its own sub-commands.
`hopnhat` or `hopnhat --help` lists the platform's own commands grouped by area (the app they belong to);
Django's and the libraries' commands stay behind `hopnhat django --help`, and still run as before
(`hopnhat migrate`, or `hopnhat django migrate`).
"""

import os
import sys

HELP_ARGS = ({"--help"}, {"-h"}, {"help"}, set())


def platform_help() -> str:
    """The platform's commands by area, in Vietnamese (the CLI's language)."""
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import get_commands, load_command_class

    from hopnhat.core.lang import pick

    groups: dict[str, list[tuple[str, str]]] = {}
    for name, app_name in sorted(get_commands().items()):
        if not app_name.startswith("hopnhat"):
            continue
        config = next((c for c in apps.get_app_configs() if c.name == app_name), None)
        area = str(config.verbose_name) if config else app_name
        text = pick(str(load_command_class(app_name, name).help or "")).strip()
        groups.setdefault(area, []).append((name, text))
    width = max((len(name) for rows in groups.values() for name, _ in rows), default=8) + 2
    lines = ["hopnhat — một nền tảng cho đơn vị hành chính sau hợp nhất", "",
             "Cách dùng: hopnhat <lệnh> [tham số] [--json]    (hopnhat <lệnh> --help: chi tiết từng lệnh)", ""]
    for area in sorted(groups):
        lines.append(f"{area}:")
        lines += [f"  {name:<{width}}{text}" for name, text in groups[area]]
        lines.append("")
    lines.append("Lệnh của Django và các thư viện (migrate, createsuperuser, collectstatic, db_worker…): "
                 "hopnhat django --help")
    return "\n".join(lines) + "\n"


def unknown_command(args: list[str]) -> None:
    """A command name that names nothing: the reason and where the list is, exit status 2 (as every other
    mistake on the command line), one JSON document under --json."""
    import django

    django.setup()   # execute_from_command_line does it again, a no-op by then
    from django.core.management import get_commands

    if args[0] in get_commands():
        return
    import difflib
    import json

    close = difflib.get_close_matches(args[0], get_commands(), n=3)
    hint = f" Có phải / did you mean: {', '.join(close)}?" if close else ""
    message = (f"Không có lệnh “{args[0]}” / unknown command “{args[0]}”.{hint} "
               f"Danh sách lệnh / the commands: hopnhat --help")
    if "--json" in args:
        sys.stdout.write(json.dumps({"ok": False, "error": message}, ensure_ascii=False, indent=2) + "\n")
    sys.stderr.write(message + "\n")
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if set(args) in HELP_ARGS and len(args) <= 1:
        sys.stdout.write(platform_help())
        return
    if args and args[0] == "django":   # hopnhat django --help | hopnhat django migrate …
        args = args[1:]
    elif args and not args[0].startswith("-") and args[0] not in {"help", "version"}:
        unknown_command(args)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hopnhat", *args])


if __name__ == "__main__":
    main()
