"""Songnan town's "four lets" coverage indicators (S8)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Coverage(models.TextChoices):
    """Songnan town's "four lets" (S8). The first two are computed from the data; the other
    two are entered by the unit (marked so) until satisfaction surveys provide them."""

    SECRETARY = "secretary", _("支部书记到位")
    MEMBERS = "members", _("党员参与")
    OWNERS = "owners", _("业主支持")
    RESIDENTS = "residents", _("居民知晓")


ENTERED_COVERAGE = (Coverage.OWNERS, Coverage.RESIDENTS)
