"""Temporary re-export (issue 16): callers move to jiceng.members.transfers.rules."""

from jiceng.members.transfers.rules import *  # noqa: F403
