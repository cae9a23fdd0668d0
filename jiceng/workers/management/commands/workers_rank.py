"""``manage.py workers_rank <round>``: rank every post of a recruitment round (S3) as the
system, the body of the post page's button (``services.post_rank``), with a progress bar."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.core.progress import command_bar
from jiceng.workers import services
from jiceng.workers.models import WorkerRecruitment


class Command(BaseCommand):
    help = "Rank the scored applicants of every post of a recruitment round."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", type=int, help="the round's id")

    def handle(self, *args: Any, **options: Any) -> None:
        r = WorkerRecruitment.objects.filter(pk=options["round"]).first()
        if r is None:
            raise CommandError(f"没有编号为 {options['round']} 的招聘")
        posts = list(r.posts.order_by("id"))
        ranked = 0
        with command_bar("排名") as progress:
            for i, post in enumerate(posts, 1):
                try:
                    ranked += services.post_rank(actor=None, post=post)
                except ValidationError as exc:
                    self.stderr.write(f"{post.title}：{'；'.join(exc.messages)}")
                progress(post.title, i / len(posts))
        self.stdout.write(f"{r.title}：{len(posts)} 个岗位，排名 {ranked} 人")
