"""Demo plans (S16, S17): Shanghai Electric's dispersed members formed into regional branches,
computed (ready for review, not applied), so the planning pages are alive on the demo."""

from __future__ import annotations

from jiceng.accounts.models import User
from jiceng.orgs.models import Organization
from jiceng.planning import services
from jiceng.planning.rules import PlanKind


def build_plans(scale: str) -> int:
    officer = User.objects.filter(username="dianqi.officer").first()
    electric = Organization.objects.filter(code="31SDQ").first()
    if officer is None or electric is None:
        return 0
    plan = services.plan_create(
        actor=officer,
        root=electric,
        kind=PlanKind.FORM,
        name="上海电气在册不在岗党员区域党支部组建方案",
    )
    services.plan_queue(actor=officer, plan=plan)
    services.plan_run(plan_id=plan.pk, progress=lambda _stage, _fraction: None)
    return 1
