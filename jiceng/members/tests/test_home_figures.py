"""The home page's members by sub-unit (S10): cached, but never showing a unit's old name."""

from __future__ import annotations

from django.core.cache import cache

from jiceng.members.selectors import members_by_child
from jiceng.orgs import services as org_services


def test_members_by_child_shows_a_renamed_unit_at_once(world, django_capture_on_commit_callbacks):
    cache.clear()
    old_name = world.huangpu.name
    assert old_name in {row["name"] for row in members_by_child(world.city)}
    with django_capture_on_commit_callbacks(execute=True):
        org_services.organization_update(
            actor=world.user("city.admin"), org=world.huangpu, name="黄浦区委（更名）"
        )
    after = {row["name"] for row in members_by_child(world.city)}
    assert "黄浦区委（更名）" in after
    assert old_name not in after


def test_the_unplaced_count_equals_the_members_the_user_sees_without_a_unit(world):
    """S10: the home page's "not placed" figure, read from the partial index alone, is the
    count of members the user can see (home or participating unit in scope) who are on the
    roll without a participating unit; for every demo role."""
    from jiceng.members.models import Member
    from jiceng.members.selectors import unplaced_count

    for username in ("city.admin", "huangpu.officer", "street.officer", "member.self"):
        user = world.user(username)
        expected = (
            Member.objects.visible_to(user)
            .filter(transferred_out_on__isnull=True, participating_org__isnull=True)
            .count()
        )
        assert unplaced_count(user) == expected, username
    assert unplaced_count(world.user("huangpu.officer")) > 0
