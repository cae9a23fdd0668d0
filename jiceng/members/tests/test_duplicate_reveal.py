"""Comparing likely duplicates (issue 17): the fields in which the two records differ are
marked even when their masks look alike, and one audited action shows both records' ID
numbers and phones in clear side by side; a role that may not reveal is not offered it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from jiceng.core.models import AuditEvent
from jiceng.members.duplicates import services

from .factories_records import sign_in, twin
from .test_duplicates import original_in


def test_the_differences_are_marked_and_revealed_together_with_one_audit_per_member(client, small):
    keep = original_in(small.a)
    drop = twin(keep, small.a.branches[1])
    sign_in(client, small.alice)
    url = reverse("members:duplicate-compare", args=[keep.pk, drop.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="masked-id_number"' in page
    assert 'data-testid="masked-phone"' in page
    assert keep.id_number not in page
    assert drop.id_number not in page
    before = AuditEvent.objects.filter(verb="reveal").count()
    page = client.post(url, {"action": "reveal"}).content.decode()
    assert keep.id_number in page
    assert drop.id_number in page
    assert 'data-testid="masked-id_number"' not in page
    reveals = AuditEvent.objects.filter(verb="reveal").order_by("id")[before:]
    assert {e.object_id for e in reveals} == {str(keep.pk), str(drop.pk)}
    assert all("身份号码" in e.note for e in reveals)
    assert keep.id_number not in " ".join(e.note for e in reveals)  # who read what, not the value


def test_a_role_that_may_not_reveal_is_refused_and_not_offered(client, small):
    """charlie, a branch secretary, compares two records of his branch but may not reveal."""
    keep = original_in(small.a)
    drop = twin(keep, keep.home_org)
    with pytest.raises(PermissionDenied):
        services.pair_reveal(actor=small.charlie, keep=keep, drop=drop)
    sign_in(client, small.charlie)
    page = client.get(reverse("members:duplicate-compare", args=[keep.pk, drop.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="masked-id_number"' in body  # still told the numbers differ
    assert 'data-testid="reveal-both"' not in body
