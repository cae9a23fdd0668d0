"""Temporary re-export (issue 16): callers move to jiceng.members.lost_contact.rules."""

from jiceng.members.lost_contact.rules import *  # noqa: F403
