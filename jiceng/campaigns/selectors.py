"""Selectors of campaigns that other apps call, re-exported from ``progress.selectors``; new
callers import from the package."""

from __future__ import annotations

from .progress.selectors import campaign_get, campaign_subtree, unit_get

__all__ = ["campaign_get", "campaign_subtree", "unit_get"]
