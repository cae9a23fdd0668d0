from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

if TYPE_CHECKING:
    from .importer import Importer

# Rows of several sheets are numbered ``position × SHEET_STRIDE + row`` inside the engine (a CSV
# or a single sheet keeps its own row numbers); stored problems keep sheet and row.
SHEET_STRIDE = 1 << 32


def row_place(sheet: str, row: int) -> str:
    """How a message names a row: 第 12 行, or “退休党员”表第 12 行 when several sheets are read."""
    return f"“{sheet}”表第 {row} 行" if sheet else f"第 {row} 行"


class ImportJob(models.Model):
    """One uploaded file imported into the subtree of ``organization``.

    The run is split into batches (``settings.IMPORT_BATCH_SIZE`` rows, file order); each is
    written in one transaction together with ``batches_done``, so a killed worker leaves
    whole batches only and a re-run resumes after the last one.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", _("党员")
        ORGANIZATION = "organization", _("党组织")
        # registered by jiceng.outreach (``kinds.register``), which sits above imports
        NEEDY = "needy", _("帮扶对象名册")
        PAIRING = "pairing", _("结对关系")
        # registered by jiceng.petitions (``kinds.register``): a petition office's records
        PETITION = "petition", _("历史信访件")
        # registered by jiceng.development (``kinds.register``): each applicant's stage dates
        DEVELOPMENT = "development", _("发展党员记录")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATING = "validating", _("正在检查")
        VALIDATED = "validated", _("检查完成")
        IMPORTING = "importing", _("正在导入")
        DONE = "done", _("导入完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("导入内容"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("导入到（含下级）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    file_type = models.CharField(max_length=10)
    size = models.BigIntegerField(default=0)
    # The sheet the officer asked for (a hidden one too); blank: every visible sheet that
    # looks like a roster (issue 15).
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)
    # What the check did with each sheet: [{"name", "read", "reason", "header_row",
    # "mapping"}]; the job's header_row and mapping are those of the first sheet read.
    sheets = models.JSONField(default=list, blank=True)
    header_row = models.IntegerField(null=True, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    unknown_columns = models.JSONField(default=list, blank=True)
    skip_invalid = models.BooleanField(_("跳过有错误的行"), default=False)
    # Members registered under another name than the file's (issue 15): listed by the check,
    # renamed only when the officer confirms.
    rename_count = models.IntegerField(default=0)
    accept_renames = models.BooleanField(_("确认更名"), default=False)
    notice_count = models.IntegerField(default=0)  # rows imported as written, with a notice
    # Rows below the header that are not records (totals, notes, signatures, empty template
    # rows), set aside by kind with a count: {"合计行": 1, …}
    set_aside = models.JSONField(default=dict, blank=True)
    rows_total = models.IntegerField(default=0)
    rows_valid = models.IntegerField(default=0)
    rows_invalid = models.IntegerField(default=0)
    # Problems found, by column ("" for the whole row), counted exactly even when only the
    # first rows' problems are stored (``engine.MAX_STORED_PROBLEM_ROWS``).
    problem_counts = models.JSONField(default=dict, blank=True)
    rows_done = models.IntegerField(default=0)
    batches_done = models.IntegerField(default=0)
    created_count = models.IntegerField(default=0)
    updated_count = models.IntegerField(default=0)
    unchanged_count = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def importer(self) -> Importer[Any]:
        """What is particular to this job's kind of rows (``kinds.IMPORTERS``)."""
        from .kinds import IMPORTERS

        return IMPORTERS[self.kind]

    @property
    def mapped_labels(self) -> list[str]:
        """The recognised columns, by the officer's own header (else their usual name)."""
        names = self.importer.labels
        if self.sheets_read:
            names |= self.sheets_read[0].get("headers", {})
        return [names.get(f, f) for f in self.mapping.values()]

    @property
    def sheets_read(self) -> list[dict]:
        return [s for s in self.sheets if s.get("read")]

    def where(self, number: int) -> tuple[str, int]:
        """(sheet name, row number in that sheet) of an engine row number; the sheet is named
        only when several are read."""
        names = [s["name"] for s in self.sheets_read]
        position, row = divmod(number, SHEET_STRIDE)
        return (names[position] if len(names) > 1 else ""), row

    def row_label(self, number: int) -> str:
        """How a message names an engine row number (``row_place``)."""
        return row_place(*self.where(number))

    @property
    def problems_truncated(self) -> bool:
        """Whether more rows have problems than are stored (and listed)."""
        from .engine import MAX_STORED_PROBLEM_ROWS

        return self.rows_invalid > MAX_STORED_PROBLEM_ROWS

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.IMPORTING)

    @property
    def rows_per_second(self) -> float | None:
        if not self.started_at or not self.rows_done:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        seconds = max((end - self.started_at).total_seconds(), 0.001)
        return self.rows_done / seconds

    @property
    def percent(self) -> int:
        total = self.rows_valid if self.status != self.Status.VALIDATING else self.rows_total
        if self.status in (self.Status.DONE, self.Status.VALIDATED):
            return 100
        return int(100 * self.rows_done / total) if total else 0


class ImportRowError(models.Model):
    """A problem found in one cell (or row) of an import, in words an officer understands;
    or a notice on a row imported as written, or a name that differs from the registered
    one (``level``)."""

    class Level(models.TextChoices):
        PROBLEM = "problem", _("问题")
        NOTICE = "notice", _("提示")
        RENAME = "rename", _("姓名不一致")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="errors")
    sheet = models.CharField(_("工作表"), max_length=100, blank=True)  # when several are read
    row_number = models.IntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=100, blank=True)
    message = models.CharField(_("问题"), max_length=500)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.PROBLEM)

    class Meta:
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"])]

    def __str__(self) -> str:
        return f"{self.place} {self.column}: {self.message}"

    @property
    def place(self) -> str:
        """第 12 行, or “退休党员”表第 12 行 when the import read several sheets."""
        return row_place(self.sheet, self.row_number)


class ExportJob(models.Model):
    """A large export written by a background task into a private file
    (``settings.EXPORT_ROOT``, outside the web root) that only its creator downloads, until
    it expires (``settings.EXPORT_KEEP_DAYS``). The export is audited when the job is
    started, as a streamed export is; each download is audited again."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("党员名册")
        ORGANIZATIONS = "organizations", _("党组织")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("正在导出")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("导出内容"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("格式"), max_length=10, choices=Format.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    # The list page's query string as asked (kept for the audit and the job page) and the
    # filters it resolved to, which the task applies again (organisation by id).
    query = models.JSONField(default=dict, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    reveal = models.BooleanField(_("含完整敏感信息"), default=False)
    language = models.CharField(max_length=10, blank=True)  # of the labels in the file
    org_path = models.CharField(max_length=255, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)
    stored_name = models.CharField(max_length=100, blank=True, editable=False)
    size = models.BigIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)

    objects = ScopedManager()
    # Placed where the export was filed, like an import; the selectors add the owner.
    scope_path_fields: ClassVar[tuple[str, ...]] = ("org_path",)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="exportjob_owner")]

    def __str__(self) -> str:
        return self.filename

    @property
    def filename(self) -> str:
        return f"{self.get_kind_display()}.{self.format}"

    @property
    def path(self) -> Path:
        """Where the finished file is (nothing there unless the job is done)."""
        return Path(settings.EXPORT_ROOT) / (self.stored_name or f"{self.pk}.{self.format}")

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, int(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def rows_per_second(self) -> float | None:
        if not self.started_at or not self.rows_done:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return self.rows_done / max((end - self.started_at).total_seconds(), 0.001)
