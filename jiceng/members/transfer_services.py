"""Temporary re-export (issue 16): callers move to jiceng.members.transfers.services."""

from jiceng.members.transfers.services import *  # noqa: F403
