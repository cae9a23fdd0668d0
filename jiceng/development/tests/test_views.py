"""Pages of membership development: registering through the form, the case page's open
steps with who may take them (the same ``step_rights`` the services use), a step taken from
the page, the branch secretary refused the approval, the worklist and the documents, and
another district's officer's 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import mark_verified
from jiceng.core.models import AuditEvent
from jiceng.development.models import Development

from .conftest import APPLICANT_ID, register, walk


def _as(client: Any, user: Any) -> Any:
    client.force_login(user)
    mark_verified(client, user)
    return client


def test_register_through_the_form_and_under_18_refused(client, small):
    _as(client, small.charlie)
    url = reverse("development:create")
    data = {
        "org": small.a.branches[0].code,
        "name": "李曉明",
        "id_number": APPLICANT_ID,
        "applied_on": "1998-05-19",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "十八岁" in response.content.decode()
    ours = Development.objects.filter(path__startswith=small.city.path)
    assert not ours.exists()
    response = client.post(url, {**data, "applied_on": "2003-01-10"})
    d = ours.get()
    assert response.url == reverse("development:detail", args=[d.pk])
    page = client.get(response.url).content.decode()
    assert "李曉明" in page
    assert APPLICANT_ID not in page
    assert 'data-testid="development-open-talk"' in page


def test_branch_secretary_sees_the_approval_refused_and_cannot_post_it(client, small):
    d = walk(small, register(small), "upper_talk")
    _as(client, small.charlie)
    page = client.get(reverse("development:detail", args=[d.pk])).content.decode()
    assert 'data-testid="development-refusal-upper_talk"' in page
    assert 'data-testid="development-do-upper_talk"' not in page
    response = client.post(
        reverse("development:step", args=[d.pk, "upper_talk"]), {"on": "2004-06-15"}, follow=True
    )
    assert "上级党委" in response.content.decode()
    assert not d.steps.filter(step="upper_talk").exists()
    _as(client, small.alice)
    page = client.get(reverse("development:detail", args=[d.pk])).content.decode()
    assert 'data-testid="development-do-upper_talk"' in page
    client.post(reverse("development:step", args=[d.pk, "upper_talk"]), {"on": "2004-06-15"})
    assert d.steps.filter(step="upper_talk").exists()


def test_general_meeting_from_the_page_with_counts(client, small):
    d = walk(small, register(small), "general_meeting")
    _as(client, small.charlie)
    url = reverse("development:step", args=[d.pk, "general_meeting"])
    failed = {"on": "2004-06-01", "due": 10, "present": 9, "votes_for": 5, "against": 4}
    response = client.post(url, failed, follow=True)
    assert "表决未通过" in response.content.decode()
    client.post(url, {**failed, "votes_for": 8, "against": 1})
    step = d.steps.get(step="general_meeting")
    assert step.details == {"due": 10, "present": 9, "for": 8, "against": 1}


def test_other_district_gets_404(client, small):
    d = register(small)
    _as(client, small.bob)
    assert client.get(reverse("development:detail", args=[d.pk])).status_code == 404
    response = client.post(reverse("development:step", args=[d.pk, "talk"]), {"on": "2003-02-01"})
    assert response.status_code == 404
    page = client.get(reverse("development:list")).content.decode()
    assert "李曉明" not in page


def test_worklist_and_documents(client, small, settings):
    d = register(small)
    _as(client, small.alice)
    page = client.get(reverse("development:worklist"), {"kind": "overdue"}).content.decode()
    assert reverse("development:detail", args=[d.pk]) in page  # talk overdue since 2003-02-10
    response = client.get(reverse("development:document", args=["register", "csv"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "李曉明" in body
    assert "2003-01-10" in body
    page = client.get(reverse("development:document", args=["forms", "print"]))
    assert page.status_code == 200
    assert client.get(reverse("development:document", args=["nope", "csv"])).status_code == 404


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_reveal_is_a_post_and_audited(client, small, field):
    d = register(small)
    _as(client, small.alice)
    assert client.get(reverse("development:reveal", args=[d.pk, field])).status_code == 405
    response = client.post(reverse("development:reveal", args=[d.pk, field]))
    shown = {"id_number": APPLICANT_ID, "phone": "138"}[field]
    assert shown in response.content.decode()
    assert AuditEvent.objects.filter(verb="reveal", object_id=str(d.pk)).count() == 1
    _as(client, small.dora)  # the auditor reads but may not reveal
    assert client.post(reverse("development:reveal", args=[d.pk, field])).status_code == 403
