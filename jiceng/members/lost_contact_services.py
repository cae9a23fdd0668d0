"""Temporary re-export (issue 16): callers move to jiceng.members.lost_contact.services."""

from jiceng.members.lost_contact.services import *  # noqa: F403
