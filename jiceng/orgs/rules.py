"""Organisation-size rules, with their source.

Source: 《中国共产党章程》(2002) art. 29 and 《中国共产党基层组织选举工作暂行条例》(1990) art. 2 as
applied in the 2004 organisation-department guidance on setting up grassroots organisations:
a unit with 3 or more full members forms a branch; a branch normally has no more than 50
members; 50–100 members may form a general branch; over 100 members may form a primary
committee; units with fewer than 3 full members join others in a joint branch.
"""

from __future__ import annotations

BRANCH_MIN_FULL_MEMBERS = 3
BRANCH_MAX_MEMBERS = 50
GENERAL_BRANCH_MIN_MEMBERS = 50
GENERAL_BRANCH_MAX_MEMBERS = 100
PRIMARY_COMMITTEE_MIN_MEMBERS = 101  # "over 100"

# Secretary vacancy counts as long once it has lasted this many days (3 months).
SECRETARY_VACANCY_ALERT_DAYS = 90

# ----- Size rules turned into suggested actions (see ``health.size_suggestions``) ---------------
# A branch over BRANCH_MAX_MEMBERS is split into two branches, or, over SPLIT_MAX_MEMBERS, set up
# as a general branch holding branches (a general branch has 50–100 members; the same 2004
# guidance). Under BRANCH_MIN_FULL_MEMBERS full members it joins nearby small units in a joint
# branch. Members are counted as the size rules above count them (all members).
SPLIT_MAX_MEMBERS = GENERAL_BRANCH_MAX_MEMBERS

# ----- Weak and lax (软弱涣散) organisations: working thresholds (S12) ----------------------------
# Source: issue 4 of this project, after the 2005 campaign's requirement to "rectify weak and lax
# grassroots organisations" (S12: 623 rectified) and the organisation department's list of
# weak-and-lax situations (书记长期缺职; 组织生活不正常; 信访矛盾集中; 群众满意度低; 党员人数达不到
# 设置要求 …). The thresholds are the campaign's working criteria:
#  - secretary vacant for more than 3 months (SECRETARY_VACANCY_ALERT_DAYS above);
#  - public satisfaction below 60% in the appraisal (S23);
#  - fewer full members than the branch minimum (BRANCH_MIN_FULL_MEMBERS above).
WEAK_SATISFACTION_MIN_PERCENT = 60
