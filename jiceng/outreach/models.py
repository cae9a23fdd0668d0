"""Outreach (S19, S26–S28): the needy-people registry and visits; each workflow's models live in
its package and are registered here."""

from .registry.models import NeedyCategory, NeedyMerge, NeedyPerson, NeedyStatusChange
from .visits.models import NeedFollowUp, Visit, VisitNeed, VisitTally, VisitVisitor

__all__ = [
    "NeedFollowUp",
    "NeedyCategory",
    "NeedyMerge",
    "NeedyPerson",
    "NeedyStatusChange",
    "Visit",
    "VisitNeed",
    "VisitTally",
    "VisitVisitor",
]
