from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    """One photo or file of a record (``owner_key`` names the registered model, ``owner_id``
    the row). ``stored_name`` is generated; the name the user gave is kept as written in
    ``original_name`` and used only for display and download."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_key = models.CharField(max_length=60)
    owner_id = models.PositiveBigIntegerField()
    original_name = models.CharField(_("文件名"), max_length=200)
    stored_name = models.CharField(max_length=120, editable=False)
    thumb_name = models.CharField(max_length=120, blank=True, editable=False)
    mime = models.CharField(max_length=120)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    is_photo = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        app_label = "core"
        ordering = ["uploaded_at", "id"]
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["owner_key", "owner_id"], name="attachment_owner")]

    def __str__(self) -> str:
        return self.original_name
