"""The `hopnhat` console script: Django's management commands under the project's settings.

`hopnhat units lineage "Tỉnh Hà Giang" --json` is the management command `units` with its own sub-commands.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopnhat.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hopnhat", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
