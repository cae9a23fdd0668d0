"""Planning rules as named constants with their sources.

* Branch sizes: a branch has 3 to 50 members (``orgs/rules.py``: Party Constitution art. 29
  and the 2004 guidance on setting up grassroots organisations).
* S17: Shanghai Electric formed 33 regional branches for 1,090 dispersed members — about 33
  members a branch, the default target size.
* S16: the members concerned are those "on the roll but not at post" and mobile members, and
  members whose relationship is entrusted (托管) to a branch; they take part near home (S10).
* S26: the city paired about 87,000 needy people with its branches (about 15,000 units): some
  six people a branch, the default of a pairing plan. The affinities pair a category of people
  with branches of a sector as if they lived nearer (this project's presets: model workers
  with state enterprises' branches, military families with agencies' and police branches).
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiceng.members.models import DISPERSED_STATUSES
from jiceng.optimize import BRANCHES_FULL, DEFAULT_TARGET_SIZE, OUT_OF_REACH
from jiceng.orgs import rules as org_rules
from jiceng.orgs.models import BRANCH_TYPES, OrgType, Sector

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

    PAIR = "pair", _("结对帮扶方案")


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


# ----- pairing plans (S26) ----------------------------------------------------------------------
# The units a needy person pairs with: branches (their members visit), as in the pairings.
PAIR_BRANCH_TYPES = tuple(BRANCH_TYPES)
PAIR_PER_BRANCH = 6  # S26: ~87,000 people over ~15,000 branches
PAIR_AFFINITY_KM = 2.0  # an affinity counts as living this much nearer, by default


class Affinity(models.TextChoices):
    """Preset affinities: (needy category code, branch sector) behind each choice."""

    MODEL_WORKER_ENTERPRISE = "model_worker", _("老劳模优先与国有企业支部结对")
    MILITARY_FAMILY_AGENCY = "military_family", _("军烈属优先与机关、公安支部结对")
    ILLNESS_HOSPITAL = "serious_illness", _("重病患者优先与医院支部结对")


AFFINITY_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    Affinity.MODEL_WORKER_ENTERPRISE: (("model_worker", Sector.STATE_ENTERPRISE),),
    Affinity.MILITARY_FAMILY_AGENCY: (
        ("military_family", Sector.GOVERNMENT),
        ("military_family", Sector.POLICE),
    ),
    Affinity.ILLNESS_HOSPITAL: (("serious_illness", Sector.HOSPITAL),),
}

# Why a person stays unpaired (``jiceng.optimize.pair``'s reasons), in the officers' words.
UNPAIRED_REASONS: dict[str, str | Promise] = {
    OUT_OF_REACH: _("允许范围内没有支部"),
    BRANCHES_FULL: _("附近支部名额已满"),
}
