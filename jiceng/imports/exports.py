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

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, Field, Max, Min, QuerySet, TextField, Value, When
from django.db.models.functions import Substr
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiceng.core import audit, tree
from jiceng.core.crypto import decrypt
from jiceng.core.exports import write_csv, write_xlsx
from jiceng.core.scoping import Action, Actor, actor_user, scope_of
from jiceng.members import selectors as member_selectors
from jiceng.members.models import DatePrecision, Member, MemberQuerySet, reveal_q
from jiceng.members.phones import display_phone
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from .models import ExportJob

logger = logging.getLogger(__name__)

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
    return member_export_rows(qs, revealer=actor if reveal else None)


def organizations_export(
    *, actor: Actor, root: Organization | None, query: dict[str, str]
) -> Iterator[list[Any]]:
    """The rows of the organisations ``actor`` sees (in ``root``'s subtree if given), in tree
    order, audited before any row is read."""
    qs = _organization_queryset(actor, root)
    record_organization_export(actor=actor, qs=qs, filters=query)
    return organization_rows(qs.iterator(chunk_size=2000))


def _organization_queryset(actor: Actor, root: Organization | None) -> QuerySet[Organization]:
    qs = org_selectors.organization_list(actor).select_related("secretary")
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return qs.order_by("path")


def record_organization_export(
    *, actor: Actor, qs: QuerySet[Organization], filters: dict[str, str]
) -> int:
    """Audit an export of the organisations in ``qs``; returns their number."""
    total = qs.count()
    audit.record(
        actor=actor,
        verb="export",
        object_type="orgs.organization",
        object_repr=f"党组织导出（{total} 个）",
        org_path=_first_path(actor),
        after={"filters": filters, "rows": total},
    )
    return total


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


# What the fast export reads of a member (no model instances, no decryption of what is not
# shown): the masked forms, and the ciphertexts of the sensitive fields only for the members
# the user may reveal (``reveal_q``, the same rule as ``Member.may_reveal``).
_MEMBER_VALUES = (
    "name", "sex", "ethnicity", "birth_date", "id_number_masked", "education", "phone_masked",
    "category", "joined_on", "joined_on_precision", "full_member_on",
    "full_member_on_precision", "employment_status", "work_unit", "home_org_id",
    "participating_org_id",
)  # fmt: skip
EXPORT_CHUNK = 5000


def member_export_rows(qs: MemberQuerySet, *, revealer: Actor = None) -> Iterator[list[Any]]:
    """The rows of ``member_rows`` for the members of ``qs`` in export order (home
    organisation's path, then id), read as plain values in chunks: one query per chunk for
    the rows and one for the organisations not seen yet, the ID number and phone decrypted
    only for the members ``revealer`` may reveal."""
    qs = qs.order_by("home_path", "id")
    columns: tuple[str, ...] = _MEMBER_VALUES
    if revealer is not None:
        may = reveal_q(revealer)
        qs = qs.annotate(
            id_cipher=Case(When(may, then=F("id_number")), default=Value(""), output_field=TEXT),
            phone_cipher=Case(When(may, then=F("phone")), default=Value(""), output_field=TEXT),
            address_shown=Case(
                When(may, then=F("home_address")), default=Value(""), output_field=TEXT
            ),
        )
        columns += ("id_cipher", "phone_cipher", "address_shown")
    labels = _member_labels()
    sex, education, category, status = (
        labels["sex"], labels["education"], labels["category"], labels["employment_status"],
    )  # fmt: skip
    month = DatePrecision.MONTH
    orgs: dict[int, tuple[str, str]] = {}
    no_org = ("", "")
    for chunk in _chunks(qs.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK)):
        missing = {r[14] for r in chunk} | {r[15] for r in chunk if r[15] is not None}
        missing -= orgs.keys()
        if missing:
            orgs.update(
                (pk, (code, name))
                for pk, code, name in Organization.objects.filter(pk__in=missing).values_list(
                    "pk", "code", "name"
                )
            )
        for r in chunk:
            if revealer is not None and r[16]:
                id_number, phone, address = decrypt(r[16]), r[17], r[18]
                phone = _national(decrypt(phone)) if phone else ""
            else:
                id_number, phone, address = r[4], r[6], ""
            home = orgs[r[14]]
            part = orgs[r[15]] if r[15] is not None else no_org
            yield [
                r[0],
                sex.get(r[1], r[1]),
                r[2],
                r[3],
                id_number,
                education.get(r[5], r[5]) if r[5] else "",
                phone or "",
                category.get(r[7], r[7]),
                f"{r[8].year}-{r[8].month:02d}" if r[9] == month else r[8],
                ("" if r[10] is None else
                 f"{r[10].year}-{r[10].month:02d}" if r[11] == month else r[10]),
                status.get(r[12], r[12]),
                r[13],
                address,
                home[0],
                home[1],
                part[0],
                part[1],
            ]  # fmt: skip


TEXT = TextField()


def _national(e164: str) -> str:
    """``display_phone`` with a shortcut for mainland mobiles (+86 1xx xxxx xxxx, most of the
    roll), which libphonenumber formats 138 1234 5678 at a hundred times the cost.

    >>> _national("+8613812345678"), _national("+862112345678")
    ('138 1234 5678', '021 1234 5678')
    """
    if len(e164) == 14 and e164.startswith("+861") and e164[1:].isdigit():
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    return display_phone(e164)


def _member_labels() -> dict[str, dict[str, str]]:
    """The display labels of the member's choice fields in the active language (what
    ``get_FOO_display`` says), looked up once per export."""
    fields = ("sex", "education", "category", "employment_status")
    return {f: {k: str(v) for k, v in _choices(f)} for f in fields}


def _choices(name: str) -> list[tuple[str, Any]]:
    field = Member._meta.get_field(name)
    return list(field.flatchoices) if isinstance(field, Field) else []


def _chunks(rows: Iterator[Any], size: int = EXPORT_CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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


# ----- large exports as background jobs (issue 17 item 8) ----------------------------------

HEADERS: dict[str, list[str]] = {
    ExportJob.Kind.MEMBERS: MEMBER_HEADER,
    ExportJob.Kind.ORGANIZATIONS: ORG_HEADER,
}
TITLES: dict[str, str] = {
    ExportJob.Kind.MEMBERS: "党员名册",
    ExportJob.Kind.ORGANIZATIONS: "党组织",
}
WRITERS: dict[str, Callable[[Any, list[str], Iterable[list[Any]], str], None]] = {
    ExportJob.Format.CSV: lambda fh, header, rows, _title: write_csv(fh, header, rows),
    ExportJob.Format.XLSX: write_xlsx,
}


def member_export_size(actor: Actor, filters: member_selectors.MemberFilters) -> int:
    """How many rows the member export of ``filters`` would have (whether it runs as a job)."""
    return member_selectors.member_list(actor, filters).count()


def organization_export_size(actor: Actor, root: Organization | None) -> int:
    return _organization_queryset(actor, root).count()


@transaction.atomic
def export_start(
    *,
    actor: Actor,
    kind: str,
    fmt: str,
    query: dict[str, str],
    filters: member_selectors.MemberFilters | None = None,
    root: Organization | None = None,
    reveal: bool = False,
) -> ExportJob:
    """Queue an export of what ``actor`` sees (members with ``filters``, or organisations
    under ``root``) as a file, audited now exactly as the streamed export is, before any row
    is written; the task (``tasks.run_export``) writes it with ``export_run``. ``reveal``
    as in ``members_export`` (members only)."""
    user = actor_user(actor)
    if user is None:
        raise PermissionDenied(_("导出须由登录用户发起"))
    if fmt not in ExportJob.Format.values or kind not in ExportJob.Kind.values:
        raise ValidationError(_("不支持的导出格式"))
    stored: dict[str, Any] = {}
    if kind == ExportJob.Kind.MEMBERS:
        filters = filters or member_selectors.MemberFilters()
        if reveal and scope_of(actor, Action.REVEAL).is_empty:
            raise PermissionDenied(_("您的角色无权导出完整的敏感信息"))
        org_path = filters.org.path if filters.org else _first_path(actor)
        total = record_member_export(
            actor=actor,
            qs=member_selectors.member_list(actor, filters),
            reveal=reveal,
            filters=query,
            own_path=org_path,
        )
        stored = {f.name: getattr(filters, f.name) for f in fields(filters) if f.name != "org"}
        stored["org"] = filters.org.pk if filters.org else None
    else:
        reveal = False
        org_path = root.path if root is not None else _first_path(actor)
        total = record_organization_export(
            actor=actor, qs=_organization_queryset(actor, root), filters=query
        )
        stored = {"org": root.pk if root is not None else None}
    return ExportJob.objects.create(
        kind=kind,
        format=fmt,
        query=query,
        filters=stored,
        reveal=reveal,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        org_path=org_path,
        created_by=user,
        rows_total=total,
        expires_at=timezone.now() + dt.timedelta(days=settings.EXPORT_KEEP_DAYS),
    )


def export_run(*, job: ExportJob, on_progress: Callable[[int], None] | None = None) -> ExportJob:
    """Write the file of ``job`` as its creator sees the rows now, saving the rows done every
    ``settings.EXPORT_PROGRESS_ROWS`` (and telling ``on_progress``). The file is written under
    a temporary name and renamed when complete, so a failed or killed run leaves no partial
    file; a failure marks the job failed with a message. Not atomic on purpose: the progress
    is read while it runs. (Run again on a job still queued or running, it starts over.)"""
    if job.status not in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
        return job
    job.status, job.started_at, job.rows_done = ExportJob.Status.RUNNING, timezone.now(), 0
    job.save(update_fields=["status", "started_at", "rows_done"])
    root = Path(settings.EXPORT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{job.pk}.{job.format}"
    part = final.with_name(final.name + ".part")
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            rows = _counted(_job_rows(job), job, on_progress)
            with part.open("wb") as fh:
                WRITERS[job.format](fh, HEADERS[job.kind], rows, TITLES[job.kind])
        part.replace(final)
    except Exception as exc:
        part.unlink(missing_ok=True)
        logger.exception("export %s failed", job.pk)
        job.status, job.finished_at = ExportJob.Status.FAILED, timezone.now()
        job.message = (
            str(exc.messages[0])
            if isinstance(exc, ValidationError)
            else _("导出失败，未生成文件，请重新导出；如仍失败请联系管理员")
        )
        job.save(update_fields=["status", "finished_at", "message"])
        return job
    job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
    job.stored_name, job.size = final.name, final.stat().st_size
    job.save(update_fields=["status", "finished_at", "stored_name", "size", "rows_done"])
    return job


def _job_rows(job: ExportJob) -> Iterator[list[Any]]:
    """The rows of ``job`` as its creator may see them now (not audited again)."""
    actor = job.created_by
    org = None
    if job.filters.get("org") is not None:
        org = (
            Organization.objects.visible_to(actor, Action.VIEW)
            .filter(pk=job.filters["org"])
            .first()
        )
        if org is None:
            raise ValidationError(_("所选组织已不在您的管辖范围内，无法导出"))
    if job.kind == ExportJob.Kind.ORGANIZATIONS:
        return organization_rows(_organization_queryset(actor, org).iterator(chunk_size=2000))
    values = {k: v for k, v in job.filters.items() if k != "org"}
    filters = member_selectors.MemberFilters(org=org, **values)
    return member_export_rows(
        member_selectors.member_list(actor, filters), revealer=actor if job.reveal else None
    )


def _counted(
    rows: Iterator[list[Any]], job: ExportJob, on_progress: Callable[[int], None] | None
) -> Iterator[list[Any]]:
    """``rows``, saving ``job.rows_done`` every ``settings.EXPORT_PROGRESS_ROWS`` rows."""
    every = max(1, settings.EXPORT_PROGRESS_ROWS)
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done)
            if on_progress is not None:
                on_progress(done)
    job.rows_done = done


@transaction.atomic
def export_download(*, actor: Actor, job: ExportJob) -> Path:
    """The finished file of ``job`` for its creator (the selector has checked who), audited
    as a download where the export was filed."""
    if job.status != ExportJob.Status.DONE or not job.path.is_file():
        raise ValidationError(_("该导出文件不存在或已过期，请重新导出"))
    audit.record(
        actor=actor,
        verb="export",  # a download hands the rows out again
        object_type="imports.exportjob",
        object_id=str(job.pk),
        object_repr=f"下载{job.get_kind_display()}导出文件（{job.rows_done} 行）",
        org_path=job.org_path,
        after={"format": job.format, "rows": job.rows_done, "reveal": job.reveal},
        note="含完整敏感信息" if job.reveal else "敏感信息已掩码",
    )
    return job.path


def exports_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Remove the files of export jobs past their expiry (and of jobs that failed or were
    abandoned before it); the jobs stay, marked expired. Returns the number of jobs."""
    now = now or timezone.now()
    jobs = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    count = 0
    for job in jobs.iterator():
        for path in (job.path, job.path.with_name(f"{job.pk}.{job.format}.part")):
            path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.EXPIRED, stored_name="", size=0
        )
        count += 1
    return count
