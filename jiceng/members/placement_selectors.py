"""Temporary re-export (issue 16): callers move to jiceng.members.placement.selectors."""

from jiceng.core.tree import DISTRICT_DEPTH  # noqa: F401
from jiceng.members.placement.selectors import *  # noqa: F403
