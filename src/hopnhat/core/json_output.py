"""Every CLI command takes --json; this base class gives them one way to print an answer."""

import argparse
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def bad_input(message: str) -> CommandError:
    """A mistake in what the command was given — an argument, a file, a name or number that names nothing: exit
    status 2 with the reason, as argparse's own errors. 1 stays for a refusal or a failure of the work itself,
    3 for a run that does not balance."""
    return CommandError(message, returncode=2)


def _json_wanted() -> bool:
    return "--json" in sys.argv[1:]


def _answer_argparse_errors_in_json(parser) -> None:
    """Under --json on the command line a wrong argument is one JSON document on stdout too ({"ok": false,
    "error": …, "usage": …}), exit status 2; the usage and the reason still go to stderr."""
    plain = parser.error

    def error(message):
        if getattr(parser, "called_from_command_line", False) and _json_wanted():
            sys.stdout.write(json.dumps({"ok": False, "error": message, "usage": parser.format_usage().strip()},
                                        ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
        plain(message)

    parser.error = error


class HopnhatCommand(BaseCommand):
    """A management command that prints either human text or one JSON document (with --json)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON document")
        _answer_argparse_errors_in_json(parser)
        return parser

    def add_subcommands(self, parser, dest: str = "action"):
        """Sub-commands (`hopnhat units load`) that each accept --json after their own arguments too."""
        subparsers = parser.add_subparsers(dest=dest, required=True)
        add_parser = subparsers.add_parser

        def add_parser_with_json(name, **kwargs):
            sub = add_parser(name, **kwargs)
            sub.add_argument("--json", action="store_true", dest="as_json", default=argparse.SUPPRESS,
                             help="print one JSON document")
            _answer_argparse_errors_in_json(sub)
            return sub

        subparsers.add_parser = add_parser_with_json
        return subparsers

    def execute(self, *args, **options):
        self.as_json = options.get("as_json", False)
        from .audit import acting_as, current_actor

        # Audited changes a command makes through the ORM name the command (and the OS account that ran it)
        # unless the command already acts as someone (--actor / a user).
        actor = current_actor()
        if actor.startswith("system:") and ":" not in actor[len("system:"):]:
            actor = f"system:{self.__module__.rsplit('.', 1)[-1]}:{_os_user()}"
        try:
            with acting_as(actor):
                return super().execute(*args, **options)
        except CommandError as exc:
            if self.as_json:
                self.emit({"ok": False, "error": str(exc)})
                sys.exit(exc.returncode or 1)
            raise

    def emit(self, data: Any, human: str | None = None) -> None:
        """Print `data` as JSON under --json, otherwise `human` (or a readable dump of `data`)."""
        if self.as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))
        else:
            self.stdout.write(human if human is not None else json.dumps(data, ensure_ascii=False, indent=2,
                                                                         cls=DjangoJSONEncoder))
