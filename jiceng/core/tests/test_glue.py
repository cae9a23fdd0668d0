"""The glue every app shares (issue 16): ``require`` and the actor, ``run_service`` for pages,
"visible from below" declared on the model and honoured by ``visible_to``."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from jiceng.campaigns.models import Campaign
from jiceng.core.scoping import Action, actor_name, actor_user, require
from jiceng.core.views import run_service


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_require_refuses_with_the_services_words_outside_the_scope(small):
    require(small.alice, Action.CHANGE, small.a.branches[1].path, "无权修改")
    with pytest.raises(PermissionDenied, match="无权修改该区"):
        require(small.alice, Action.CHANGE, small.b.org.path, "无权修改该区")
    with pytest.raises(PermissionDenied, match="只读"):
        require(small.dora, Action.CHANGE, small.a.org.path, "审计员只读")
    require(None, Action.CHANGE, small.b.org.path, "the system may act anywhere")


def test_the_actor_recorded_is_the_user_or_nobody_for_the_system(small):
    assert actor_user(small.alice) == small.alice
    assert actor_user(None) is None
    assert actor_name(None) == "系统"
    assert actor_name(small.alice) == str(small.alice)


class _Form(forms.Form):
    title = forms.CharField(required=False)


def test_run_service_passes_the_user_and_says_success(small):
    officer = small.alice
    request = _request(officer)
    outcome = run_service(request, lambda *, actor, n: (actor, n * 2), n=21, success="已保存")
    assert outcome.ok
    assert outcome.value == (officer, 42)
    assert [str(m) for m in get_messages(request)] == ["已保存"]


def test_run_service_puts_a_refusal_in_the_messages_or_on_the_form(small):
    request = _request(small.alice)

    def refuse(*, actor):
        raise PermissionDenied("该角色不能部署活动")

    def invalid(*, actor):
        raise ValidationError({"title": "标题不能为空", "other": "整体有误"})

    assert not run_service(request, refuse, success="never said")
    assert [str(m) for m in get_messages(request)] == ["该角色不能部署活动"]
    form = _Form({"title": ""})
    assert form.is_valid()
    assert not run_service(request, invalid, form=form)
    assert form.errors == {"title": ["标题不能为空"], "__all__": ["整体有误"]}


def test_a_campaign_issued_above_is_read_from_below_but_changed_only_from_above(world):
    """``scope_visible_from_below``: the city's batch is visible to a district officer, who
    may not change it; another model without the flag stays scoped the ordinary way."""
    campaign = Campaign.objects.filter(root__depth=1).first()
    assert campaign is not None, "the tiny world runs a city campaign"
    officer = world.user("huangpu.officer")
    assert Campaign.objects.visible_to(officer).filter(pk=campaign.pk).exists()
    assert not Campaign.objects.visible_to(officer, Action.CHANGE).filter(pk=campaign.pk).exists()
    assert (
        Campaign.objects.visible_to(world.user("city.admin"), Action.CHANGE)
        .filter(pk=campaign.pk)
        .exists()
    )
