"""Every write of unit appraisal: the city's weights (a new version from a date), a run
queued, a run computed (all units of the campaign in one transaction, or nothing), and
``appraisal_recompute``, the whole of it without a request (the demo build, the command, the
benchmark). Keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.campaigns.progress.models import Campaign
from jiceng.core import audit, tree
from jiceng.core.progress import tracked_run
from jiceng.core.scoping import Action, Actor, actor_user, can, require
from jiceng.orgs.models import Organization

from . import compute, rules
from .models import AppraisalRun, UnitScore, WeightSet
from .rules import RunState

Progress = Callable[[str, float], None]
WRITE_BATCH = 5000
REFUSE_WEIGHTS = gettext_lazy("只有市委组织部可以设定考核权重")
REFUSE_RUN = gettext_lazy("只有活动的组织单位（全市活动为市委组织部）可以重新计算考核")


def _roots() -> list[str]:
    return list(
        Organization.objects.filter(depth=1).order_by("path").values_list("path", flat=True)
    )


def may_set_weights(user: Actor) -> bool:
    """Whether ``user`` is a city officer: CHANGE over the top of the tree."""
    return any(can(user, Action.CHANGE, p) for p in _roots())


def city_path(actor: Actor = None) -> str:
    """Where the city's weights are placed: the top of the tree (the one ``actor`` holds)."""
    roots = _roots()
    if not roots:
        raise ValidationError(_("组织树为空，不能设定权重"))
    if actor is None:
        return roots[0]
    for path in roots:
        if can(actor, Action.CHANGE, path):
            return path
    raise PermissionDenied(str(REFUSE_WEIGHTS))


def weights_in_force(on: dt.date) -> WeightSet | None:
    """The weight set in force on ``on`` (the latest to take effect by then), or None: the
    default weights of ``rules.RULES``."""
    return WeightSet.objects.filter(effective_on__lte=on).order_by("-effective_on").first()


@transaction.atomic
def weight_set_create(
    *, actor: Actor, effective_on: dt.date, weights: Mapping[str, Any], note: str = ""
) -> WeightSet:
    """A new version of the weights, in force from ``effective_on``. Only the city sets them
    (CHANGE over the top of the tree); runs already made keep the weights they used."""
    path = city_path(actor)
    clean = {k: weights.get(k) for k in rules.KEYS}
    problems = rules.check_weights(dict(weights))
    if problems:
        raise ValidationError({"weights": problems})
    if WeightSet.objects.filter(effective_on=effective_on).exists():
        raise ValidationError(
            {"effective_on": _("%(d)s 已有一套权重，请另选生效日期") % {"d": effective_on}}
        )
    ws = WeightSet(
        effective_on=effective_on,
        weights=clean,
        note=note.strip(),
        path=path,
        created_by=actor_user(actor),
    )
    ws.full_clean()
    ws.save()
    audit.record(
        actor=actor,
        verb="create",
        obj=ws,
        org_path=path,
        after={"effective_on": str(effective_on), **clean},
        note=_("设定考核权重，%(d)s 起施行") % {"d": effective_on},
    )
    return ws


def default_campaign() -> Campaign | None:
    """The campaign a recompute without one appraises: the latest city-wide batch."""
    return (
        Campaign.objects.filter(root__depth=1).order_by("-starts_on", "-id").first()
        or Campaign.objects.order_by("-starts_on", "-id").first()
    )


@transaction.atomic
def run_queue(*, actor: Actor, campaign: Campaign, as_of: dt.date | None = None) -> AppraisalRun:
    """A run of ``campaign`` as of ``as_of`` (the campaign's reference date by default), with
    the weights in force that day, waiting to be computed (the caller enqueues the task after
    the commit, or computes it at once)."""
    require(actor, Action.CHANGE, campaign.root_path, str(REFUSE_RUN))
    as_of = as_of or campaign.reference_date()
    if as_of < campaign.starts_on:
        raise ValidationError(
            {"as_of": _("统计日期不能早于活动启动日期 %(d)s") % {"d": campaign.starts_on}}
        )
    busy = AppraisalRun.objects.select_for_update().filter(
        campaign=campaign, state__in=(RunState.QUEUED, RunState.RUNNING)
    )
    if busy.exists():
        raise ValidationError(_("该活动的考核正在计算，请等待完成后再重新计算"))
    ws = weights_in_force(as_of)
    run = AppraisalRun.objects.create(
        campaign=campaign,
        path=campaign.root_path,
        as_of=as_of,
        period_from=campaign.starts_on,
        weight_set=ws,
        weights=dict(ws.weights) if ws else dict(rules.DEFAULT_WEIGHTS),
        stage="排队中",
        created_by=actor_user(actor),
    )
    audit.record(
        actor=actor,
        verb="create",
        obj=run,
        org_path=campaign.root_path,
        note=_("发起考核计算：%(c)s，统计日期 %(d)s") % {"c": campaign, "d": as_of},
    )
    return run


# The stored columns of a score, in order (``_write_batch``).
COLUMNS = (
    "run_id",
    "unit_id",
    "org_id",
    "org_path",
    "district_path",
    "sector",
    "score",
    "figures",
    "lets",
    "rank_district",
    "rank_sector",
)


def _scores(run: AppraisalRun, units: list[compute.UnitFigures]) -> list[tuple[Any, ...]]:
    """The stored rows (``COLUMNS``): score over the indicators present, ranks in district
    and sector. Plain tuples: 80,000 model instances would cost seconds."""
    scored: list[tuple[compute.UnitFigures, str, dict[str, list[float]], float | None]] = []
    by_district: dict[str, list[tuple[int, float | None, str]]] = defaultdict(list)
    by_sector: dict[str, list[tuple[int, float | None, str]]] = defaultdict(list)
    for u in units:
        figures = u.figures()
        s = rules.score({k: (v[0], v[1]) for k, v in figures.items()}, run.weights)
        district = tree.district_path(u.path)
        by_district[district].append((u.unit_id, s, u.code))
        by_sector[u.sector].append((u.unit_id, s, u.code))
        scored.append((u, district, figures, s))
    ranks_d: dict[int, int] = {}
    for group in by_district.values():
        ranks_d.update(rules.rank(group))
    ranks_s: dict[int, int] = {}
    for group in by_sector.values():
        ranks_s.update(rules.rank(group))
    return [
        (
            run.pk,
            u.unit_id,
            u.org_id,
            u.path,
            district,
            u.sector,
            s,
            figures,
            u.lets,
            ranks_d.get(u.unit_id),
            ranks_s.get(u.unit_id),
        )
        for u, district, figures, s in scored
    ]


def _write_batch(rows: list[tuple[Any, ...]]) -> None:
    """Write scores: PostgreSQL's COPY (far faster than INSERTs at city scale), else
    bulk_create."""
    if connection.vendor == "postgresql":
        table = UnitScore._meta.db_table
        sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row[:7], json.dumps(row[7]), json.dumps(row[8]), row[9], row[10]))
        return
    UnitScore.objects.bulk_create(UnitScore(**dict(zip(COLUMNS, r, strict=True))) for r in rows)


def run_compute(*, run_id: int, progress: Progress | None = None) -> AppraisalRun:
    """Compute a queued run (the task body; the command and ``appraisal_recompute`` call it in
    process): gather every unit's figures with a few grouped queries, score and rank them,
    and write every score with the run's state in one transaction. A fault leaves no score of
    the run written, the run ``failed`` with the reason, and the previous run in place
    (``core.progress.tracked_run``), and the caller (worker, command) sees the error."""
    run = AppraisalRun.objects.select_related("campaign", "created_by").get(pk=run_id)
    if run.state not in (RunState.QUEUED, RunState.FAILED):
        return run
    with tracked_run(
        AppraisalRun.objects.filter(pk=run.pk),
        first_stage="开始计算",
        stage_length=60,
        failure=_("计算出错，未写入任何结果，上一次的考核结果不变；请稍后重新计算"),
        progress=progress,
    ) as tracked:
        units = compute.gather(
            run.campaign, as_of=run.as_of, period_from=run.period_from, report=tracked.step
        )
        rows = _scores(run, units)
        with transaction.atomic():
            for start in range(0, len(rows), WRITE_BATCH):
                tracked.step("写入结果", 0.8 + 0.19 * start / max(len(rows), 1))
                _write_batch(rows[start : start + WRITE_BATCH])
            run.units = len(rows)
            run.scored = sum(1 for r in rows if r[COLUMNS.index("score")] is not None)
            tracked.done(run, RunState.DONE)
            run.save()
            audit.record(
                actor=run.created_by,
                verb="update",
                obj=run,
                org_path=run.path,
                note=_("考核计算完成：%(n)s 个单位，%(s)s 个有得分")
                % {"n": run.units, "s": run.scored},
            )
    return run


def appraisal_recompute(
    *,
    actor: Actor,
    campaign: Campaign | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> AppraisalRun:
    """Appraise every unit of ``campaign`` (the latest city-wide batch by default) now, in
    this process: queue a run and compute it. Usable without a request (``actor=None`` is the
    system: the demo build, the benchmark)."""
    campaign = campaign or default_campaign()
    if campaign is None:
        raise ValidationError(_("没有可考核的活动"))
    run = run_queue(actor=actor, campaign=campaign, as_of=as_of)
    return run_compute(run_id=run.pk, progress=progress)
