"""Creating and starting import jobs. The page, the API and ``manage.py import_members`` all
come through here; the work itself runs in a task (``tasks.py``) or in-process (command)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core import audit
from jiceng.core.scoping import Action, Actor, actor_user, require
from jiceng.orgs.models import Organization

from .models import ImportJob
from .readers import MAX_UPLOAD_BYTES, UnreadableFileError, sniff


def _safe_name(name: str) -> str:
    base = Path(name).name
    return re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base)[:120] or "upload"


@transaction.atomic
def import_job_create(
    *,
    actor: Actor,
    organization: Organization,
    kind: str,
    original_name: str,
    chunks: Iterable[bytes],
    sheet: str = "",
) -> ImportJob:
    """Store the uploaded file and create its job. Refuses wrong types, oversize files and
    zip bombs with a message the officer understands; nothing is kept of a refused file.
    ``sheet``: the one sheet to read (a hidden one too); blank reads every visible sheet that
    looks like a roster."""
    officer = actor_user(actor)  # the rows are checked against the scope of who imports
    if officer is None:
        raise PermissionDenied(_("无权向该组织导入数据"))
    require(actor, Action.CHANGE, organization.path, _("无权向该组织导入数据"))
    from .kinds import IMPORTERS

    if kind not in ImportJob.Kind.values or kind not in IMPORTERS:
        raise ValidationError(_("不支持的导入内容"))
    job_id = uuid.uuid4()
    folder = Path(settings.IMPORT_ROOT) / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(original_name)
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                folder.rmdir()
                raise ValidationError(
                    _("文件超过 %(mb)d MB，请分批导入") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
                )
            out.write(chunk)
    try:
        file_type = sniff(path, original_name)
    except UnreadableFileError as exc:
        path.unlink(missing_ok=True)
        folder.rmdir()
        raise ValidationError(exc.message) from exc
    job = ImportJob.objects.create(
        id=job_id,
        kind=kind,
        organization=organization,
        org_path=organization.path,
        created_by=officer,
        original_name=original_name[:255],
        stored_path=str(path),
        file_type=file_type,
        size=size,
        sheet=sheet.strip()[:100],
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=job,
        org_path=organization.path,
        after={"file": original_name, "size": size, "kind": kind},
    )
    return job


def import_job_start(
    *, actor: Actor, job: ImportJob, skip_invalid: bool = False, accept_renames: bool = False
) -> ImportJob:
    """Allow the real run (after a dry run); rows with problems are skipped only when the
    officer says so, and stay listed in the error report. Members registered under another
    name than the file's are renamed only with ``accept_renames`` (audited with the batch);
    otherwise their rows are skipped with ``skip_invalid``, or the start is refused."""
    require(actor, Action.CHANGE, job.org_path, _("无权向该组织导入数据"))
    if job.status != ImportJob.Status.VALIDATED:
        raise ValidationError(_("请先完成检查（试运行），再开始导入"))
    if job.rows_valid == 0:
        raise ValidationError(_("没有可以导入的行"))
    if job.rows_invalid and not skip_invalid:
        raise ValidationError(
            _("有 %(count)d 行存在问题：请修改文件后重新上传，或选择跳过这些行")
            % {"count": job.rows_invalid}
        )
    if job.rename_count and not (accept_renames or skip_invalid):
        raise ValidationError(
            _("有 %(count)d 人的身份证号已登记在另一姓名下：请核对后确认更名，或选择跳过这些行")
            % {"count": job.rename_count}
        )
    job.skip_invalid = skip_invalid
    job.accept_renames = accept_renames
    # Queued: the page shows progress (and polls) from now on, until the worker finishes.
    job.status = ImportJob.Status.IMPORTING
    job.rows_done = 0
    job.message = "等待后台处理"
    job.save(update_fields=["skip_invalid", "accept_renames", "status", "rows_done", "message"])
    audit.record(
        actor=actor,
        verb="update",
        obj=job,
        org_path=job.org_path,
        note=f"开始导入{'（跳过有问题的行）' if skip_invalid else ''}"
        + (f"（确认更名 {job.rename_count} 人）" if accept_renames and job.rename_count else ""),
    )
    return job
