"""Shared test fixtures: the tiny scenario built once per test database, and its users.

Every test sees the same small Shanghai (黄浦, 徐汇, 崇明县 and the sector committees) with one
account per role; a test that writes runs inside a transaction that is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

SEED = 7


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from jiceng.scenario.build import build

    with django_db_blocker.unblock():
        # without the public's voice (petitions, surveys, rectification items): those apps'
        # tests start from empty tables; scenario/tests/test_voice.py builds it on top
        build("tiny", SEED, voice=False)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: its rows are rolled back after it and their ids
    are reused by the next test, so a summary cached by one test (keyed by ids and paths)
    would be read by another as its own."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _site_language() -> Any:
    """Each test starts in the site's language (Simplified Chinese) and leaves it so: a test
    that switches language (``translation.activate``) must not change the messages the next
    test's services give in the same worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class World:
    """Handy handles on the tiny scenario."""

    def user(self, username: str) -> Any:
        from jiceng.accounts.models import User

        return User.objects.get(username=username)

    def org(self, code: str) -> Any:
        from jiceng.orgs.models import Organization

        return Organization.objects.get(code=code)

    @property
    def city(self) -> Any:
        return self.org("310000")

    @property
    def huangpu(self) -> Any:
        return self.org("310101")

    @property
    def xuhui(self) -> Any:
        return self.org("310104")

    def branch_in(self, district: Any) -> Any:
        from jiceng.orgs.models import Organization

        return (
            Organization.objects.filter(path__startswith=district.path, org_type="branch")
            .order_by("path")
            .first()
        )

    def member_in(self, org: Any) -> Any:
        from jiceng.members.models import Member

        return Member.objects.filter(home_path__startswith=org.path).order_by("id").first()


@pytest.fixture
def world(db: Any) -> World:
    return World()


def mark_verified(client: Any, user: Any) -> Any:
    """Give ``user`` a confirmed authenticator and mark the client's session verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def login(client: Any, world: World) -> Any:
    """``login("huangpu.officer")`` logs the test client in as that demo user, with the second
    factor passed (a confirmed authenticator, the session marked verified as django-otp does).
    ``login(name, verified=False)`` stops after the password."""

    def _login(username: str, *, verified: bool = True) -> Any:
        user = world.user(username)
        client.force_login(user)
        if verified:
            mark_verified(client, user)
        return user

    return _login


@pytest.fixture
def small(db: Any) -> Any:
    """A small world of the test's own (``tests.factories.SmallWorld``): districts a and b,
    alice and bob their officers, charlie a branch secretary in a, dora an auditor."""
    from tests.factories import SmallWorld

    return SmallWorld.make()
