from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jiceng.core.attachments import services


class Command(BaseCommand):
    help = (
        "Delete stored attachment files that no attachment names (left by a write that was "
        "rolled back after its files were saved) and that are older than a day. Run daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = services.orphans_sweep()
        self.stdout.write(f"已删除 {removed} 个无主附件文件")
