from typing import Any

from django.core.management.base import BaseCommand

from jiceng.geo.services import gazetteer_load


class Command(BaseCommand):
    help = "Load Shanghai's 2005 districts, streets/towns and later changes (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        d, s, h = gazetteer_load()
        self.stdout.write(self.style.SUCCESS(f"{d} districts, {s} streets/towns, {h} changes"))
