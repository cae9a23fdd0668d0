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
