"""The `thuocdo` console script: Django's management commands and ours, one entry point.

`thuocdo demo`, `thuocdo import FILE`, `thuocdo migrate`, ... all run here. The settings
module defaults to development settings (a generated secret key in the data dir);
`thuocdo serve` defaults to production settings. DJANGO_SETTINGS_MODULE overrides both.
`thuocdo serve` refuses to start without THUOCDO_SECRET_KEY, showing how to serve under the
key the other commands keep in the data dir when there is one, and warns when the variable
and that key differ (`serve_secret_key`).
`thuocdo demo` runs with debug off (the site's own Vietnamese error pages, as users see
them; WhiteNoise serves the static files either way) unless THUOCDO_DEBUG says otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import TextIO

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


def serve_secret_key(environ: Mapping[str, str], *, err: TextIO | None = None) -> None:
    """Warn when `thuocdo serve` is to run under another secret key than the data dir's.

    Production takes its key from THUOCDO_SECRET_KEY only, and refuses to start without it
    (`serve.secret_key_problem`, which then shows how to serve under the data dir's key when
    there is one); it never adopts the file a command wrote. The other commands, `thuocdo
    demo` first, use the variable too, or else the key they generated into the data dir's
    `secret_key` file. The public portal's access keys and the hashed addresses are keyed
    with it, so serving under another key than the one they were issued with makes every
    access key fail without a word ("no case matches"). Hence, with the variable and a file
    holding another key, stderr warns that what was issued under the file's key will not
    match."""
    from thuocdo.core.management.commands.serve import kept_secret_key

    err = err or sys.stderr
    given = environ.get("THUOCDO_SECRET_KEY", "")
    if not given.strip():
        return  # refused by `secret_key_problem` under production settings
    path, stored = kept_secret_key(environ)
    if stored and given != stored:
        print(f"thuocdo serve: warning: THUOCDO_SECRET_KEY differs from the secret key kept "
              f"in {path}: access keys of feedback and dossiers issued under that key (by "
              f"`thuocdo demo` or another command) will not match, nor will logins made "
              f"under it; set THUOCDO_SECRET_KEY to that key to keep them, or issue new "
              f"access keys (cảnh báo: THUOCDO_SECRET_KEY khác với khóa bí mật lưu trong "
              f"{path}: các mã truy cập đã cấp theo khóa đó sẽ không còn khớp).", file=err)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    set_defaults(command, os.environ)
    wants_help = "-h" in argv or "--help" in argv
    if command == "serve" and wants_help:
        # Printing the options serves nothing: a key made up for this process lets the
        # production settings load.
        import secrets

        os.environ.setdefault("THUOCDO_SECRET_KEY", secrets.token_urlsafe(50))
    elif command == "serve":
        serve_secret_key(os.environ)
        # Production settings refuse to load without a secret key; say so in one line
        # instead of a traceback from the settings module.
        from thuocdo.core.management.commands.serve import secret_key_problem

        problem = secret_key_problem(os.environ, argv[2:])
        if problem:
            print(problem, file=sys.stderr)
            return 2

    if command in DATA_COMMANDS and not wants_help:
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
