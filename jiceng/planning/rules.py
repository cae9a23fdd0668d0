"""Planning rules as named constants with their sources.

* Branch sizes: a branch has 3 to 50 members (``orgs/rules.py``: Party Constitution art. 29
  and the 2004 guidance on setting up grassroots organisations).
* S17: Shanghai Electric formed 33 regional branches for 1,090 dispersed members — about 33
  members a branch, the default target size.
* S16: the members concerned are those "on the roll but not at post" and mobile members, and
  members whose relationship is entrusted (托管) to a branch; they take part near home (S10).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.members.models import DISPERSED_STATUSES
from jiceng.optimize import DEFAULT_TARGET_SIZE
from jiceng.orgs import rules as org_rules
from jiceng.orgs.models import OrgType

SIZE_MIN = org_rules.BRANCH_MIN_FULL_MEMBERS
SIZE_MAX = org_rules.BRANCH_MAX_MEMBERS
TARGET_SIZE = DEFAULT_TARGET_SIZE  # S17: 1,090 members → 33 branches

# Units members can be assigned to, and how many members each can hold (the size rules).
TARGET_TYPES = (OrgType.BRANCH, OrgType.JOINT_BRANCH, OrgType.GENERAL_BRANCH)
CAPACITY: dict[str, int] = {
    OrgType.BRANCH: org_rules.BRANCH_MAX_MEMBERS,
    OrgType.JOINT_BRANCH: org_rules.BRANCH_MAX_MEMBERS,
    OrgType.GENERAL_BRANCH: org_rules.GENERAL_BRANCH_MAX_MEMBERS,
}

# Where new regional branches may be set up: under units that may hold branches.
PARENT_TYPES = (
    OrgType.DISTRICT_COMMITTEE,
    OrgType.STREET_COMMITTEE,
    OrgType.TOWN_COMMITTEE,
    OrgType.SECTOR_COMMITTEE,
    OrgType.PRIMARY_COMMITTEE,
)

# Community party-service centres stand at the street and town committees: the candidate
# sites of regional branches when the plan asks for sites.
SITE_TYPES = (OrgType.STREET_COMMITTEE, OrgType.TOWN_COMMITTEE)

# Members shown on the map at most (the rest are counted, not drawn).
MAP_MEMBERS = 4000


class PlanKind(models.TextChoices):
    FORM = "form", _("组建区域党支部")
    ASSIGN = "assign", _("就近转入现有支部")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("待计算")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    READY = "ready", _("方案已生成")
    FAILED = "failed", _("无法生成")
    APPLIED = "applied", _("已实施")
    REVERTED = "reverted", _("已撤回")


class Selection(models.TextChoices):
    DISPERSED = "dispersed", _("在册不在岗、流动和托管党员")
    UNPLACED = "unplaced", _("尚未落实参加活动单位的党员")
    ALL = "all", _("全部党员")


def is_dispersed_q() -> models.Q:
    """S16: members who take part away from their home unit."""
    return models.Q(employment_status__in=DISPERSED_STATUSES) | models.Q(entrusted=True)
