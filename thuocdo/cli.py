"""The `thuocdo` console script: Django's management commands and ours, one entry point.

`thuocdo demo`, `thuocdo import FILE`, `thuocdo migrate`, ... all run here. The settings
module defaults to development settings (a generated secret key in the data dir);
`thuocdo serve` defaults to production settings. DJANGO_SETTINGS_MODULE overrides both.
`thuocdo demo` runs with debug off (the site's own Vietnamese error pages, as users see
them; WhiteNoise serves the static files either way) unless THUOCDO_DEBUG says otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

DEV_SETTINGS = "thuocdo.config.settings.dev"
PRODUCTION_SETTINGS = "thuocdo.config.settings.production"
#: Our commands that read or write the organisation's data: on a database not set up (a new
#: data directory) they say to run `thuocdo migrate` instead of failing with a traceback.
DATA_COMMANDS = frozenset({"import", "export", "score", "signals", "audit"})
NOT_MIGRATED = ("the database is not set up, or not up to date: run `thuocdo migrate` first "
                "(cơ sở dữ liệu chưa được khởi tạo hoặc chưa cập nhật: hãy chạy "
                "`thuocdo migrate` trước).")


def unapplied_migrations() -> bool:
    """Does the database lack migrations (Django set up)?"""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def set_defaults(command: str, environ: MutableMapping[str, str]) -> None:
    """The settings module for `command`, and debug off for the demo, where `environ` does
    not set them (before Django reads its settings)."""
    default = PRODUCTION_SETTINGS if command == "serve" else DEV_SETTINGS
    environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    if command == "demo":
        environ.setdefault("THUOCDO_DEBUG", "0")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    set_defaults(command, os.environ)
    if command == "serve":
        # Production settings refuse to load without a secret key; say so in one line
        # instead of a traceback from the settings module.
        from thuocdo.core.management.commands.serve import secret_key_problem

        problem = secret_key_problem(os.environ)
        if problem:
            print(problem, file=sys.stderr)
            return 2

    if command in DATA_COMMANDS and "-h" not in argv and "--help" not in argv:
        import django

        django.setup()
        if unapplied_migrations():
            print(NOT_MIGRATED, file=sys.stderr)
            return 2

    from django.core.management import execute_from_command_line

    argv[0] = "thuocdo"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
