"""Rules of the needy-people registry (S26), each with where it comes from.

* Categories and health of a needy person are sensitive personal information (个人信息保护法
  art. 28: health, and the financial situation a category such as 低保户 reveals); they are
  shown only to an assignment given outreach rights (``Action.OUTREACH``), every reading of
  them in clear is audited, and lists show them masked (art. 28 and 29 ask for a specific
  purpose and strict protection).
* The categories are a table the city extends (``NeedyCategory``); the eight seeded are the
  groups the report names among those paired with branches (困难职工, 低保户, 老劳模, 军烈属 …).
* A person leaves the registry's active list by a dated status change with its reason, never
  by deletion: who was helped, and until when, stays on record.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# What a list or an unauthorised reader sees instead of a category or the health note.
MASK = "＊＊＊"

# Seeded categories (code, name); the city adds more on the categories page.
SEED_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("hardship_worker", "困难职工"),
    ("minimum_living", "低保户"),
    ("model_worker", "老劳模"),
    ("military_family", "军烈属"),
    ("elderly_alone", "独居老人"),
    ("disabled", "残疾人"),
    ("unemployed", "失业人员"),
    ("serious_illness", "重病患者"),
)


class NeedyStatus(models.TextChoices):
    ACTIVE = "active", _("在册帮扶")
    MOVED_AWAY = "moved_away", _("已迁出")
    DECEASED = "deceased", _("已去世")
    NO_LONGER_IN_NEED = "no_longer_in_need", _("已脱困")
    MERGED = "merged", _("重复登记已合并")


# The statuses an officer may set by hand (MERGED is set only by a merge), and which of them
# keep the person in the active registry.
SETTABLE_STATUSES = (
    NeedyStatus.ACTIVE,
    NeedyStatus.MOVED_AWAY,
    NeedyStatus.DECEASED,
    NeedyStatus.NO_LONGER_IN_NEED,
)
