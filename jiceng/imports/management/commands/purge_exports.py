from typing import Any

from django.core.management.base import BaseCommand

from jiceng.imports import exports


class Command(BaseCommand):
    help = "Remove the files of export jobs past their expiry (run daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = exports.exports_purge_expired()
        self.stdout.write(f"已删除 {count} 个过期导出文件")
