"""Exports of the member roll and the organisation list: the rows the user can see, with the
list page's filters, as rows for ``core.exports`` to stream as CSV or .xlsx (formula-like text
neutralised).

``members_export`` and ``organizations_export`` are the services a page calls: they decide
what is exported and revealed, and audit it before the first row goes out. ID numbers, phones
and home addresses are masked unless the user asks for them (a POST) and the reveal rule
allows it for that member (``Member.may_reveal``: REVEAL over the member's home
organisation), row by row: a member who only takes part in the user's subtree stays masked.
Either way the export is audited where each member's home is (``record_member_export``), so a
district sees who exported its members. Column names are the import's, so a full export can
be imported again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Value
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from jiceng.core import audit, tree
from jiceng.core.scoping import Action, Actor, scope_of
from jiceng.members import selectors as member_selectors
from jiceng.members.models import DatePrecision, Member, MemberQuerySet, reveal_q
from jiceng.members.phones import display_phone
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

MEMBER_HEADER = [
    "姓名", "性别", "民族", "出生日期", "公民身份号码", "学历", "联系电话", "党员类别", "入党日期",
    "转正日期", "工作状态", "工作单位", "家庭住址", "组织关系所在党组织代码",
    "组织关系所在党组织名称", "参加活动单位代码", "参加活动单位名称",
]  # fmt: skip
ORG_HEADER = [
    "组织代码", "组织名称", "组织类别", "上级党组织代码", "所属领域", "所在单位", "成立日期",
    "书记", "书记空缺起始", "组织状况",
]  # fmt: skip


def members_export(
    *,
    actor: Actor,
    filters: member_selectors.MemberFilters,
    reveal: bool,
    query: dict[str, str],
) -> Iterator[list[Any]]:
    """The rows of the member list ``actor`` sees with ``filters``, audited where the members'
    homes are before any row is read. ``reveal``: sensitive fields in clear for the members
    the actor may reveal, the others masked; refused to a role that may reveal no one.
    ``query``: the list's query string, kept in the audit."""
    if reveal and scope_of(actor, Action.REVEAL).is_empty:
        raise PermissionDenied(_("您的角色无权导出完整的敏感信息"))
    qs = member_selectors.member_list(actor, filters)
    record_member_export(
        actor=actor,
        qs=qs,
        reveal=reveal,
        filters=query,
        own_path=filters.org.path if filters.org else _first_path(actor),
    )
    return member_rows(
        qs.select_related("home_org", "participating_org")
        .order_by("home_path", "id")
        .iterator(chunk_size=2000),
        revealer=actor if reveal else None,
    )


def organizations_export(
    *, actor: Actor, root: Organization | None, query: dict[str, str]
) -> Iterator[list[Any]]:
    """The rows of the organisations ``actor`` sees (in ``root``'s subtree if given), in tree
    order, audited before any row is read."""
    qs = org_selectors.organization_list(actor).select_related("secretary")
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    qs = qs.order_by("path")
    total = qs.count()
    audit.record(
        actor=actor,
        verb="export",
        object_type="orgs.organization",
        object_repr=f"党组织导出（{total} 个）",
        org_path=_first_path(actor),
        after={"filters": query, "rows": total},
    )
    return organization_rows(qs.iterator(chunk_size=2000))


def _first_path(actor: Actor) -> str:
    """Where an export that names no organisation is filed: the first of the actor's
    subtrees."""
    paths = scope_of(actor, Action.VIEW).paths
    return paths[0] if paths else ""


def member_rows(qs: Iterable[Member], *, revealer: Actor = None) -> Iterator[list[Any]]:
    """Rows of the member export; sensitive fields in clear only for members ``revealer`` (the
    user who asked for them, else None) may reveal."""
    for m in qs:
        reveal = revealer is not None and m.may_reveal(revealer)
        yield [
            m.name,
            m.get_sex_display(),
            m.ethnicity,
            m.birth_date,
            m.id_number if reveal else m.id_number_masked,
            m.get_education_display() if m.education else "",
            (display_phone(m.phone) if reveal else m.phone_masked) or "",
            m.get_category_display(),
            _dated(m.joined_on, m.joined_on_precision),
            _dated(m.full_member_on, m.full_member_on_precision) if m.full_member_on else "",
            m.get_employment_status_display(),
            m.work_unit,
            m.home_address if reveal else "",
            m.home_org.code,
            m.home_org.name,
            m.participating_org.code if m.participating_org else "",
            m.participating_org.name if m.participating_org else "",
        ]


def _dated(day: Any, precision: str) -> Any:
    """A date as the record knows it: a month alone is written ``1998-06`` (not the 1st), so
    it reads back as a month."""
    return f"{day.year}-{day.month:02d}" if precision == DatePrecision.MONTH else day


def record_member_export(
    *, actor: Actor, qs: MemberQuerySet, reveal: bool, filters: dict[str, str], own_path: str
) -> int:
    """Audit a member export where the exported members' homes are: one row per home district,
    filed under the deepest organisation holding all of that district's exported members, so
    the district (and the unit, if the export is one unit's) reads who exported its members
    and how many were revealed; an empty export is filed under ``own_path``. Returns the
    number of rows exported."""
    district_len = tree.STEP * tree.DISTRICT_DEPTH
    per_district = (
        qs.order_by()
        .annotate(district=Substr("home_path", 1, district_len))
        .values("district")
        .annotate(
            rows=Count("pk"),
            revealed=Count("pk", filter=reveal_q(actor)) if reveal else Value(0),
            low=Min("home_path"),
            high=Max("home_path"),
        )
        .order_by("district")
    )
    groups: list[dict[str, Any]] = [dict(g) for g in per_district]
    total = 0
    empty: dict[str, Any] = {"rows": 0, "revealed": 0, "low": own_path, "high": own_path}
    for group in groups or [empty]:
        total += group["rows"]
        masked = group["rows"] - group["revealed"]
        audit.record(
            actor=actor,
            verb="export",
            object_type="members.member",
            object_repr=f"党员名册导出（{group['rows']} 人）",
            org_path=tree.common_path([group["low"], group["high"]]),
            after={"filters": filters, "rows": group["rows"], "revealed": group["revealed"]},
            note=(
                f"含完整身份证号、电话和住址 {group['revealed']} 人，掩码 {masked} 人"
                if reveal
                else "敏感信息已掩码"
            ),
        )
    return total


def organization_rows(qs: Iterable[Organization]) -> Iterator[list[Any]]:
    parents: dict[str, str] = {}
    for o in qs:
        parents[o.path] = o.code
        yield [
            o.code,
            o.name,
            o.get_org_type_display(),
            parents.get(tree.parent_path(o.path), ""),
            o.get_sector_display(),
            o.host_unit,
            o.founded_on or "",
            o.secretary.name if o.secretary else "",
            o.secretary_vacant_since or "",
            o.get_health_display(),
        ]
