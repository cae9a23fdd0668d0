"""Adding and removing attachments: every file checked before any is kept (a batch is kept
whole or not at all), photos written again without their EXIF block, every write audited
where the record lives."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from jiceng.core import audit
from jiceng.core.scoping import Actor, actor_user

from . import owners, rules
from .models import Attachment

AUDIT_FIELDS = ("owner_key", "owner_id", "original_name", "mime", "size", "sha256")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def root() -> Path:
    return Path(settings.ATTACHMENT_ROOT)


def path_of(name: str) -> Path:
    return root() / name


@dataclass
class _Checked:
    name: str
    kind: rules.Kind
    data: bytes
    thumb: bytes | None


def clean_name(name: str) -> str:
    """The file's own name as the user's device gave it, without folders or control
    characters, cut to the column (the extension kept)."""
    name = _UNSAFE.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip() or "附件"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 199 - len(ext)] + dot + ext if dot and len(ext) < 10 else name[:200]
    return name


def _photo(kind: rules.Kind, data: bytes, name: str) -> tuple[bytes, bytes]:
    """The photo upright, no larger than PHOTO_MAX_SIDE, without its metadata; and its
    thumbnail (JPEG)."""
    unreadable = _("照片“%(name)s”无法打开，文件可能已损坏") % {"name": name}
    try:
        opened = Image.open(io.BytesIO(data))
        width, height = opened.size
        if width * height > rules.MAX_PIXELS:
            raise ValidationError(
                _("照片“%(name)s”像素过大（%(w)s×%(h)s），请缩小后再上传")
                % {"name": name, "w": width, "h": height}
            )
        opened.load()
        image: Image.Image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(unreadable) from exc
    image.thumbnail((rules.PHOTO_MAX_SIDE, rules.PHOTO_MAX_SIDE))
    out = io.BytesIO()
    if kind.mime == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif kind.mime == "image/png":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=88)
    thumb = image.copy()
    thumb.thumbnail((rules.THUMB_SIDE, rules.THUMB_SIDE))
    small = io.BytesIO()
    thumb.convert("RGB").save(small, "JPEG", quality=75)
    return out.getvalue(), small.getvalue()


def check_file(upload: UploadedFile) -> _Checked:
    """One uploaded file, checked: size, kind by its first bytes, a photo decoded. Refused
    with the reason in the user's words."""
    name = clean_name(upload.name or "")
    limit = settings.ATTACHMENT_MAX_BYTES
    if not upload.size:
        raise ValidationError(_("文件“%(name)s”是空的") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("文件“%(name)s”有 %(size)s，超过了每个文件 %(limit)s 的上限")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    data = upload.read()
    if rules.is_heic(data):
        raise ValidationError(
            _(
                "照片“%(name)s”是 HEIC 格式，请在手机相册中选择照片上传（会自动转为 JPG），"
                "或先转成 JPG"
            )
            % {"name": name}
        )
    kind = rules.kind_of(name, data)
    if kind is None:
        raise ValidationError(
            _("“%(name)s”不能上传：只能上传%(allowed)s，且文件内容须与扩展名一致")
            % {"name": name, "allowed": rules.ALLOWED_TEXT}
        )
    thumb = None
    if kind.photo:
        data, thumb = _photo(kind, data, name)
    return _Checked(name, kind, data, thumb)


def _write(relative: str, data: bytes) -> None:
    target = path_of(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        if name:
            path_of(name).unlink(missing_ok=True)


def attachments_add(
    *, actor: Actor, record: models.Model, files: Sequence[UploadedFile]
) -> list[Attachment]:
    """Attach ``files`` to ``record``: refused unless the actor may change the record (its
    owner's ``may_attach``); every file checked first, so one bad file keeps none."""
    owner = owners.owner_of(record)
    if actor is not None and not owner.may_attach(actor, record):
        raise PermissionDenied(_("您无权为这条记录上传附件"))
    if not files:
        raise ValidationError({"uploads": _("请选择要上传的照片或文件")})
    existing = Attachment.objects.filter(owner_key=owner.key, owner_id=record.pk).count()
    limit = settings.ATTACHMENT_MAX_PER_RECORD
    if existing + len(files) > limit:
        raise ValidationError(
            {
                "uploads": _("每条记录最多 %(limit)s 个附件，已有 %(n)s 个")
                % {"limit": limit, "n": existing}
            }
        )
    errors = []
    checked = []
    for upload in files:
        try:
            checked.append(check_file(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"uploads": errors})
    written: list[str] = []
    month = timezone.localdate().strftime("%Y/%m")
    try:
        with transaction.atomic():
            made = []
            for item in checked:
                pk = uuid.uuid4()
                ext = item.kind.extensions[0]
                stored = f"{month}/{pk.hex}.{ext}"
                thumb = f"{month}/{pk.hex}.thumb.jpg" if item.thumb else ""
                _write(stored, item.data)
                written.append(stored)
                if item.thumb:
                    _write(thumb, item.thumb)
                    written.append(thumb)
                attachment = Attachment.objects.create(
                    id=pk,
                    owner_key=owner.key,
                    owner_id=record.pk,
                    original_name=item.name,
                    stored_name=stored,
                    thumb_name=thumb,
                    mime=item.kind.mime,
                    size=len(item.data),
                    sha256=hashlib.sha256(item.data).hexdigest(),
                    is_photo=item.kind.photo,
                    uploaded_by=actor_user(actor),
                )
                audit.record(
                    actor=actor,
                    verb="create",
                    obj=attachment,
                    org_path=owner.path_of(record),
                    after=audit.snapshot(attachment, AUDIT_FIELDS),
                )
                made.append(attachment)
    except BaseException:
        _delete_files(written)
        raise
    return made


@transaction.atomic
def attachment_remove(*, actor: Actor, attachment: Attachment, record: models.Model) -> None:
    """Remove one attachment of ``record`` (the same right as adding one); the files go once
    the removal is committed."""
    owner = owners.owner_of(record)
    if actor is not None and not owner.may_attach(actor, record):
        raise PermissionDenied(_("您无权删除这条记录的附件"))
    before = audit.snapshot(attachment, AUDIT_FIELDS)
    names = [attachment.stored_name, attachment.thumb_name]
    audit.record(
        actor=actor, verb="delete", obj=attachment, org_path=owner.path_of(record), before=before
    )
    attachment.delete()
    transaction.on_commit(lambda: _delete_files(names))


def orphans_sweep(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> int:
    """Delete stored files no attachment names (left by a transaction that rolled back after
    the files were written), if older than ``older_than``; returns how many."""
    if not root().exists():
        return 0
    known: set[Any] = set()
    for stored, thumb in Attachment.objects.values_list("stored_name", "thumb_name"):
        known.update((stored, thumb))
    cutoff = timezone.now().timestamp() - older_than.total_seconds()
    removed = 0
    for path in root().rglob("*"):
        stale = path.is_file() and path.stat().st_mtime < cutoff
        if stale and path.relative_to(root()).as_posix() not in known:
            path.unlink()
            removed += 1
    return removed
