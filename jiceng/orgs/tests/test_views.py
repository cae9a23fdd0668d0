"""Organisation pages: tree, children partial, detail, search and the write forms.

Every page is scoped: an officer of another district gets a 404 for a unit of district a.

Each test makes its own small world (``tests.factories.SmallWorld``): alice is the officer of
district a, bob of district b, dora the auditor; ``street_2`` adds a second street to district
a and ``named`` the units the searches look for, by the names they are searched by.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.roles import Role
from jiceng.core.models import AuditEvent
from jiceng.core.text import to_traditional
from jiceng.members.models import Member, MemberCategory
from jiceng.orgs import rules, services
from jiceng.orgs.models import Organization, OrgType
from jiceng.orgs.tests.factories import add_street, officer
from tests.factories import OrganizationFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
REQUIRED = "该字段是必填项。"  # Django's zh-hans message for a required field


def html(response) -> str:
    return response.content.decode()


def events(org: Organization, verb: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="orgs.organization", object_id=str(org.pk), verb=verb)
    )


def branches_of(street: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(
            path__startswith=street.path, org_type=OrgType.BRANCH, depth=street.depth + 1
        ).order_by("path")
    )


@pytest.fixture
def street_2(small) -> Organization:
    """A second street of district a, with one branch of three members."""
    return add_street(small.a, "甲区二街道党工委")


@pytest.fixture
def named(small) -> dict[str, Organization]:
    """Units named as the searches name them: 南京东路 and 外滩 streets in district a (the
    first with a residential branch), 天平路 street in district b."""
    nanjing = add_street(small.a, "南京东路街道党工委")
    return {
        "nanjing": nanjing,
        "nanjing_branch": OrganizationFactory(parent=nanjing, name="南京东路第一居民区党支部"),
        "bund": add_street(small.a, "外滩街道党工委"),
        "tianping": add_street(small.b, "天平路街道党工委"),
    }


def edit_data(org: Organization, **changes) -> dict:
    data = {
        "name": org.name,
        "sector": org.sector,
        "kind": org.kind,
        "host_unit": org.host_unit,
        "street": org.street_id or "",
        "lng": "" if org.lng is None else org.lng,
        "lat": "" if org.lat is None else org.lat,
        "health": org.health,
    }
    if org.is_pilot:
        data["is_pilot"] = "on"
    data.update(changes)
    return data


# ----- tree ------------------------------------------------------------------------------------


def test_tree_shows_only_the_users_own_roots(client, login, small):
    login("alice")

    response = client.get(reverse("orgs:tree"))

    assert response.status_code == 200
    roots = [root for root, _kids in response.context["roots"]]
    assert [r.code for r in roots] == [small.a.org.code]
    page = html(response)
    assert small.a.org.name in page
    assert small.b.org.name not in page
    assert small.city.name not in page
    assert small.a.street.name in page


def test_tree_of_the_city_admin_starts_at_the_city_committee(client, login, small):
    officer(Role.CITY_ADMIN, small.city, "frank")
    login("frank")

    response = client.get(reverse("orgs:tree"))

    roots = [root for root, _kids in response.context["roots"]]
    assert [r.code for r in roots] == [small.city.code]
    assert small.b.org.name in html(response)


def test_tree_of_a_committee_officer_starts_at_their_street(client, login, small):
    officer(Role.COMMITTEE_OFFICER, small.a.street, "erin")
    login("erin")

    response = client.get(reverse("orgs:tree"))

    roots = [root for root, _kids in response.context["roots"]]
    assert [r.code for r in roots] == [small.a.street.code]
    assert small.a.org.name not in html(response)


def test_children_endpoint_returns_the_children_partial(client, login, small, street_2):
    login("alice")
    street = small.a.street

    response = client.get(reverse("orgs:children", args=[street.pk]), **HTMX)

    assert response.status_code == 200
    assert response.templates[0].name == "orgs/_tree_children.html"
    page = html(response)
    assert "<html" not in page
    assert page.count("<li>") == street.numchild
    for branch in Organization.objects.filter(path__startswith=street.path, depth=street.depth + 1):
        assert branch.name in page
        assert reverse("orgs:detail", args=[branch.pk]) in page
    assert street_2.name not in page


def test_children_endpoint_marks_units_with_children_as_expandable(client, login, small):
    login("alice")

    page = html(client.get(reverse("orgs:children", args=[small.a.org.pk]), **HTMX))

    street = small.a.street
    assert f'hx-get="{reverse("orgs:children", args=[street.pk])}"' in page


def test_children_endpoint_query_count_does_not_grow_with_children(
    client, login, small, django_assert_max_num_queries
):
    login("alice")
    street = small.a.street
    url = reverse("orgs:children", args=[street.pk])

    # session, user, role assignments, the parent, its children (secretaries joined), and the
    # session save (savepoint, update, release), the second factor's device (issue 14), and
    # one query per badge registered by the apps above the tree (orgs.panels: workers, S3)
    with django_assert_max_num_queries(10):
        response = client.get(url, **HTMX)

    assert response.status_code == 200


# ----- detail ----------------------------------------------------------------------------------


def test_detail_shows_unit_counts_per_type_and_member_totals(client, login, small):
    login("alice")
    huangpu = small.a.org
    OrganizationFactory(parent=small.a.street, name="甲区联合党支部", org_type=OrgType.JOINT_BRANCH)

    response = client.get(reverse("orgs:detail", args=[huangpu.pk]))

    assert response.status_code == 200
    below = Organization.objects.filter(path__startswith=huangpu.path, depth__gt=huangpu.depth)
    expected = {
        t: below.filter(org_type=t).count()
        for t in (OrgType.STREET_COMMITTEE, OrgType.BRANCH, OrgType.JOINT_BRANCH)
    }
    assert {t: n for t, _label, n in response.context["unit_counts"]} == expected
    page = html(response)
    for org_type, n in expected.items():
        assert re.search(rf"<td>{OrgType(org_type).label}</td><td[^>]*>{n}</td>", page)
    total = Member.objects.filter(home_path__startswith=huangpu.path).count()
    assert f'data-testid="member-total">{total}<' in page
    counts = response.context["counts"]
    assert counts["full"] + counts["probationary"] == total


def test_detail_shows_a_vacant_secretary_and_the_long_vacancy_warning(client, login, small):
    """S11: a vacant secretary post shows as 空缺, and warns after three months."""
    login("alice")
    branch = small.a.branches[0]
    days = rules.SECRETARY_VACANCY_ALERT_DAYS + 5
    Organization.objects.filter(pk=branch.pk).update(
        secretary=None, secretary_vacant_since=timezone.localdate() - dt.timedelta(days=days)
    )

    page = html(client.get(reverse("orgs:detail", args=[branch.pk])))

    assert re.search(r'data-testid="secretary-vacant">空缺', page)
    assert f"书记已空缺 {days} 天" in page


def test_detail_shows_a_filled_secretary_by_name(client, login, small):
    login("alice")
    branch = small.a.branches[0]
    secretary = Member.objects.filter(home_org=branch, category=MemberCategory.FULL).first()
    Organization.objects.filter(pk=branch.pk).update(
        secretary=secretary, secretary_vacant_since=None
    )

    page = html(client.get(reverse("orgs:detail", args=[branch.pk])))

    assert 'data-testid="secretary-vacant"' not in page
    assert secretary.name in page


def test_detail_shows_the_small_branch_warning(client, login, small):
    login("alice")
    branch = small.a.branches[0]
    Member.objects.filter(home_org=branch).update(category=MemberCategory.PROBATIONARY)

    response = client.get(reverse("orgs:detail", args=[branch.pk]))

    assert any(
        f"正式党员不足 {rules.BRANCH_MIN_FULL_MEMBERS} 人（现有 0 人）" in w
        for w in response.context["warnings"]
    )
    assert 'data-testid="size-warning"' in html(response)


def test_detail_sizes_a_general_branch_by_the_members_of_its_branches(client, login, small):
    """A general branch holds its members through its branches: the size rule counts them."""
    officer = login("alice")
    street = small.a.street
    general = services.organization_found(
        actor=officer,
        parent=street,
        code="T-VIEW-G",
        name="测试党总支",
        org_type=OrgType.GENERAL_BRANCH,
    )
    for branch in branches_of(street)[:2]:
        services.organization_move(actor=officer, org=branch, new_parent=general)
    general.refresh_from_db()
    held = Member.objects.filter(home_path__startswith=general.path).count()
    assert 0 < held < rules.GENERAL_BRANCH_MIN_MEMBERS

    response = client.get(reverse("orgs:detail", args=[general.pk]))

    warnings = response.context["warnings"]
    assert f"党员 {held} 人，不足设立党总支的 {rules.GENERAL_BRANCH_MIN_MEMBERS} 人" in warnings


def test_detail_query_count_is_pinned(client, login, small, django_assert_max_num_queries):
    login("alice")
    url = reverse("orgs:detail", args=[small.a.org.pk])

    # session, user, assignments, the unit, member aggregate, members by status, ancestors,
    # units by type, direct sub-units, session save (3), the second factor's device, one per
    # panel registered by the apps above the tree (orgs.panels: workers, S3)
    with django_assert_max_num_queries(14):
        response = client.get(url)

    assert response.status_code == 200


def test_detail_query_count_does_not_grow_with_sub_units(
    client, login, small, django_assert_max_num_queries
):
    officer = login("alice")
    street = small.a.street
    for i in range(3):
        services.organization_found(
            actor=officer, parent=street, code=f"T-QC-{i}", name=f"新党支部{i}", org_type="branch"
        )

    with django_assert_max_num_queries(14):  # as above, with the workers' panel
        response = client.get(reverse("orgs:detail", args=[street.pk]))

    assert response.status_code == 200
    assert len(response.context["children"]) == street.numchild + 3


# ----- outsiders -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route", ["detail", "children", "edit", "found", "move", "merge", "abolish"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_officer_of_another_district_gets_404(client, login, small, route, method):
    login("bob")
    branch = small.a.branches[0]
    before = AuditEvent.objects.count()

    response = getattr(client, method)(
        reverse(f"orgs:{route}", args=[branch.pk]),
        {"name": "外区改名", "reason": "外区撤销", "target": small.b.org.pk},
    )

    assert response.status_code == 404
    branch.refresh_from_db()
    assert branch.name != "外区改名"
    assert not branch.is_abolished
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("route", ["edit", "found", "move", "merge", "abolish"])
def test_a_read_only_role_gets_404_on_the_write_pages(client, login, small, route):
    login("dora")

    response = client.get(reverse(f"orgs:{route}", args=[small.a.street.pk]))

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, small):
    response = client.get(reverse("orgs:detail", args=[small.a.org.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# ----- search ----------------------------------------------------------------------------------


def search(client, q: str, **extra) -> list[Organization]:
    response = client.get(reverse("orgs:search"), {"q": q}, **extra)
    assert response.status_code == 200
    return list(response.context["results"])


def test_search_finds_an_organisation_by_simplified_name(client, login, named):
    login("alice")

    results = search(client, "南京东路")

    assert named["nanjing"] in results
    assert all("南京东路" in o.name_simplified for o in results)


def test_search_finds_an_organisation_by_traditional_characters(client, login, small, named):
    login("alice")
    street = named["nanjing"]
    traditional = to_traditional("黄浦区南京东路")
    assert traditional == "黃浦區南京東路"

    assert to_traditional(small.a.org.name) == "甲區委"
    assert small.a.org in search(client, "甲區委")
    assert street in search(client, "南京東路街道")


def test_search_finds_an_organisation_by_pinyin_initials(client, login, named):
    login("alice")
    branch = named["nanjing_branch"]
    initials = branch.name_initials[:4]

    results = search(client, initials)
    assert branch in results
    assert all(o.name_initials.startswith(initials) or initials in o.name_pinyin for o in results)
    assert branch in search(client, initials.upper())


def test_search_never_returns_another_districts_organisations(client, login, small):
    login("alice")
    xuhui_branch = small.b.branches[0]

    assert search(client, xuhui_branch.name) == []
    assert search(client, xuhui_branch.name_initials) == []
    results = search(client, "党支部")
    assert results
    assert all(o.path.startswith(small.a.org.path) for o in results)


def test_search_with_htmx_returns_the_results_partial(client, login, named):
    login("alice")

    response = client.get(reverse("orgs:search"), {"q": "外滩"}, **HTMX)

    page = html(response)
    assert "<html" not in page
    assert 'data-testid="org-search-results"' in page
    assert named["bund"].name in page


def test_search_says_nothing_found_in_chinese(client, login, named):
    login("alice")
    assert Organization.objects.filter(name__startswith="天平路").exists()  # in district b

    response = client.get(reverse("orgs:search"), {"q": "天平路"}, **HTMX)

    assert "没有找到" in html(response)


# ----- writes through the pages ----------------------------------------------------------------


def test_found_through_the_page_creates_the_unit_and_audits_it(client, login, small):
    officer = login("alice")
    street = small.a.street

    response = client.post(
        reverse("orgs:found", args=[street.pk]),
        {
            "code": "T-PAGE-1",
            "name": "南京东路新建党支部",
            "org_type": OrgType.BRANCH,
            "sector": "street_community",
            "founded_on": "2005-07-01",
        },
    )

    org = Organization.objects.get(code="T-PAGE-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:detail", args=[org.pk])
    assert org.path[: -Organization.steplen] == street.path
    assert org.secretary_vacant_since == dt.date(2005, 7, 1)
    (event,) = events(org, "create")
    assert event.actor_id == officer.pk


def test_found_through_htmx_answers_with_hx_redirect(client, login, small):
    login("alice")
    street = small.a.street

    response = client.post(
        reverse("orgs:found", args=[street.pk]),
        {"code": "T-PAGE-2", "name": "htmx党支部", "org_type": OrgType.BRANCH, "sector": "other"},
        **HTMX,
    )

    org = Organization.objects.get(code="T-PAGE-2")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("orgs:detail", args=[org.pk])


def test_found_form_offers_only_the_allowed_child_types(client, login, small):
    login("alice")
    street = small.a.street

    response = client.get(reverse("orgs:found", args=[street.pk]))

    offered = {value for value, _label in response.context["form"].fields["org_type"].choices}
    assert offered == set(services.ALLOWED_CHILDREN[OrgType.STREET_COMMITTEE])


def test_found_form_shows_errors_in_chinese(client, login, small):
    login("alice")
    street = small.a.street
    taken = small.a.branches[0].code

    response = client.post(
        reverse("orgs:found", args=[street.pk]),
        {"code": taken, "name": "", "org_type": OrgType.GROUP, "sector": "other"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["code"] == [f"组织代码 {taken} 已被使用"]
    assert errors["name"] == [REQUIRED]
    assert "选择一个有效的选项" in errors["org_type"][0]
    page = html(response)
    assert f"组织代码 {taken} 已被使用" in page
    assert REQUIRED in page


def test_found_under_a_group_is_404(client, login, small):
    officer = login("alice")
    group = services.organization_found(
        actor=officer,
        parent=small.a.branches[0],
        code="T-GRP",
        name="第一党小组",
        org_type=OrgType.GROUP,
    )

    assert client.get(reverse("orgs:found", args=[group.pk])).status_code == 404


def test_edit_through_the_page_renames_and_audits(client, login, small):
    officer = login("alice")
    branch = small.a.branches[0]
    old = branch.name

    response = client.post(
        reverse("orgs:edit", args=[branch.pk]), edit_data(branch, name="改名后的党支部")
    )

    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.name == "改名后的党支部"
    (event,) = events(branch, "update")
    assert event.actor_id == officer.pk
    assert event.changes == {"name": [old, "改名后的党支部"]}


def test_edit_without_changes_writes_no_audit_row(client, login, small):
    login("alice")
    branch = small.a.branches[0]

    response = client.post(reverse("orgs:edit", args=[branch.pk]), edit_data(branch))

    assert response.status_code == 302
    assert events(branch, "update") == []


def test_edit_form_shows_errors_in_chinese(client, login, small):
    login("alice")
    branch = small.a.branches[0]

    response = client.post(
        reverse("orgs:edit", args=[branch.pk]), edit_data(branch, name="", lng="东经")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == [REQUIRED]
    assert "数字" in errors["lng"][0]
    assert events(branch, "update") == []


def test_move_through_the_page_moves_and_audits(client, login, small, street_2):
    officer = login("alice")
    branch = branches_of(small.a.street)[0]
    street_2 = street_2

    response = client.post(reverse("orgs:move", args=[branch.pk]), {"target": street_2.pk})

    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.path[: -Organization.steplen] == street_2.path
    assert set(Member.objects.filter(home_org=branch).values_list("home_path", flat=True)) == {
        branch.path
    }
    (event,) = events(branch, "move")
    assert event.actor_id == officer.pk


def test_move_page_offers_no_target_of_another_district_nor_inside_the_subtree(
    client, login, small
):
    login("alice")
    street = small.a.street

    response = client.get(reverse("orgs:move", args=[street.pk]))

    offered = list(response.context["form"].fields["target"].queryset)
    assert offered
    assert all(o.path.startswith(small.a.org.path) for o in offered)
    assert not any(o.path.startswith(street.path) for o in offered)


def test_move_to_a_forged_target_shows_a_chinese_error(client, login, small):
    login("alice")
    street = small.a.street
    own_branch = branches_of(street)[0]

    for target in (small.b.street, own_branch):
        response = client.post(reverse("orgs:move", args=[street.pk]), {"target": target.pk})

        assert response.status_code == 200
        assert "选择一个有效的选项" in response.context["form"].errors["target"][0]
    street.refresh_from_db()
    assert street.path[: -Organization.steplen] == small.a.org.path


def test_merge_through_the_page_moves_members_and_audits(client, login, small):
    login("alice")
    source, target = branches_of(small.a.street)[:2]
    moving = Member.objects.filter(home_org=source).count()
    held = Member.objects.filter(home_org=target).count()

    response = client.post(reverse("orgs:merge", args=[source.pk]), {"target": target.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:detail", args=[target.pk])
    source.refresh_from_db()
    assert source.is_abolished
    assert Member.objects.filter(home_org=target).count() == held + moving
    assert len(events(source, "merge")) == 1


def test_abolish_through_the_page_abolishes_an_empty_unit_and_audits(client, login, small):
    officer = login("alice")
    org = services.organization_found(
        actor=officer,
        parent=small.a.street,
        code="T-ABO-P",
        name="待撤销党支部",
        org_type=OrgType.BRANCH,
    )

    response = client.post(reverse("orgs:abolish", args=[org.pk]), {"reason": "单位关闭"})

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.abolished_on == timezone.localdate()
    (event,) = events(org, "abolish")
    assert event.note == "单位关闭"
    assert event.actor_id == officer.pk


def test_abolish_of_a_unit_with_members_shows_the_reason_in_chinese(client, login, small):
    login("alice")
    branch = small.a.branches[0]
    held = Member.objects.filter(home_org=branch).count()

    response = client.post(reverse("orgs:abolish", args=[branch.pk]), {"reason": "试图撤销"})

    assert response.status_code == 200
    page = html(response)
    assert 'data-testid="form-errors"' in page
    assert f"该组织还有 {held} 名党员的组织关系，请先转出" in page
    branch.refresh_from_db()
    assert not branch.is_abolished
    assert events(branch, "abolish") == []


def test_abolish_without_a_reason_is_a_form_error(client, login, small):
    login("alice")
    branch = small.a.branches[0]

    response = client.post(reverse("orgs:abolish", args=[branch.pk]), {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [REQUIRED]
