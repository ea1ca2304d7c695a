"""`thuocdo audit verify`: walk every task's chain of event hashes; exit 1 on a broken link."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from thuocdo.tasks.audit import verify_chains
from thuocdo.tasks.models import TaskEvent


class Command(BaseCommand):
    help = "Verify the tamper-evident event log (kiểm tra chuỗi băm của nhật ký sự kiện)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk every chain and report broken links")
        verify.add_argument("--all", action="store_true",
                            help="report every broken chain, not only the first")

    def handle(self, *args, action: str, **options):
        if action != "verify":  # pragma: no cover - argparse restricts it
            raise CommandError(f"unknown action {action}")
        broken = list(verify_chains(first_only=not options["all"]))
        if broken:
            for link in broken:
                self.stderr.write(f"BROKEN {link}")
            raise CommandError(
                f"{len(broken)} broken chain(s) — nhật ký sự kiện đã bị sửa hoặc xóa"
            )
        count = TaskEvent.objects.count()
        self.stdout.write(f"OK: {count} events verified — chuỗi băm nguyên vẹn")
