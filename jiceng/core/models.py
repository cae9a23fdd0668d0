from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .attachments.models import Attachment  # noqa: F401  (so the core app registers it)
from .scoping import ScopedManager
from .text import initials_key, pinyin_key, search_terms, to_simplified


class NameSearchKeys:
    """A model with a ``name`` as written and the three keys search reads: the name in
    Simplified script (``name_simplified``), its pinyin initials and its full pinyin, each cut
    to its column's length. The name itself is never converted. ``PERSON_NAME`` reads
    surnames the way names are said (单 as Shàn)."""

    PERSON_NAME: ClassVar[bool] = False
    name: str
    name_simplified: str
    name_initials: str
    name_pinyin: str

    @classmethod
    def search_keys(cls, name: str) -> tuple[str, str, str]:
        """(simplified, initials, pinyin) of ``name``, as stored; for rows written without
        the model (COPY)."""
        meta: Any = cls._meta  # type: ignore[attr-defined]
        initials = initials_key(name, person_name=cls.PERSON_NAME)
        pinyin = pinyin_key(name, person_name=cls.PERSON_NAME)
        return (
            to_simplified(name),
            initials[: meta.get_field("name_initials").max_length],
            pinyin[: meta.get_field("name_pinyin").max_length],
        )

    def fill_search_keys(self) -> None:
        """Fill the keys from the name (``save`` does; call it before ``bulk_create``)."""
        self.name_simplified, self.name_initials, self.name_pinyin = self.search_keys(self.name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_search_keys()
        super().save(*args, **kwargs)  # type: ignore[misc]


def name_search_q(query: str) -> models.Q:
    """Rows of a ``NameSearchKeys`` model whose name matches ``query``: pinyin initials or
    full pinyin from the start for a Latin query (``zsm``, ``zhang``), else the Simplified
    name containing it (a Traditional query is converted first)."""
    term, is_pinyin = search_terms(query)
    if is_pinyin:
        return models.Q(name_initials__startswith=term) | models.Q(name_pinyin__startswith=term)
    return models.Q(name_simplified__contains=term)


class AuditEvent(models.Model):
    """One append-only audit row (see ``core.audit``)."""

    class Verb(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        MOVE = "move", _("迁移")
        MERGE = "merge", _("合并")
        ABOLISH = "abolish", _("撤销")
        REVEAL = "reveal", _("查看敏感信息")
        EXPORT = "export", _("导出")
        GRANT = "grant", _("授予角色")
        WITHDRAW = "withdraw", _("收回角色")
        DEACTIVATE = "deactivate", _("停用账号")
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    actor_repr = models.CharField(_("操作人"), max_length=150)
    verb = models.CharField(_("操作"), max_length=20, choices=Verb.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200)
    org_path = models.CharField(_("所属组织路径"), max_length=255, db_index=True, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True)

    objects = ScopedManager()

    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)
    scope_self_field: ClassVar[str | None] = None

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_repr} {self.verb} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit events are append-only")


class AuditArchive(models.Model):
    """One month of the audit log exported before its partition is dropped (PostgreSQL only,
    ``core.audit_partitions``): the compressed file, its SHA-256 and row count, when it was
    checked against the partition, and when the partition was dropped. The database function
    that drops a partition (``core_auditevent_retire_partition``, migration ``0006``) refuses
    one without a verified row here whose count matches the partition's."""

    partition_name = models.CharField(_("分区"), max_length=63, unique=True)
    month = models.DateField(_("月份"))
    path = models.CharField(_("归档文件"), max_length=500)
    row_count = models.BigIntegerField(_("行数"))
    sha256 = models.CharField(_("校验值"), max_length=64)
    exported_at = models.DateTimeField(_("导出时间"), auto_now_add=True)
    verified_at = models.DateTimeField(_("核对时间"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("删除分区时间"), null=True, blank=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")

    def __str__(self) -> str:
        return f"{self.partition_name} ({self.row_count})"


class WorkerHeartbeat(models.Model):
    """A running task worker's sign of life (``core.task_recovery``): ``run_worker`` writes its
    row when it starts, renews ``beat_at`` every ``TASK_WORKER_HEARTBEAT_SECONDS`` and removes
    it when it stops cleanly. A worker on another host is judged alive while its beat is
    younger than ``TASK_WORKER_HEARTBEAT_STALE_SECONDS``. Both times are the database's clock,
    so the hosts' clocks need not agree. Operational state like the task rows: not audited."""

    worker_id = models.CharField(_("进程标识"), max_length=64, unique=True)
    host = models.CharField(_("主机"), max_length=64)
    pid = models.PositiveIntegerField(_("进程号"))
    started_at = models.DateTimeField(_("启动时间"))
    beat_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        ordering = ["host", "pid"]
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return self.worker_id
