"""Pages of worker recruitment (S3): the district's rounds, posts, applications (screening,
scores, ranking, public notice, objections, hiring), the hired workers (training,
deployment, leaving), the figures per district; and the public's pages (no login): the open
posts, the application form and following an application by its receipt."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from jiceng.core import clock
from jiceng.core.clients import client_address
from jiceng.core.scoping import Action, require_somewhere
from jiceng.core.views import form_errors_from, run_posted_form, run_service
from jiceng.satisfaction import guard

from . import selectors, services
from .forms import (
    HONEYPOT,
    ApplyForm,
    CertificateForm,
    DateForm,
    DeployForm,
    FollowForm,
    LeaveForm,
    ObjectionForm,
    PostForm,
    RecruitmentCreateForm,
    RecruitmentForm,
    ResolveForm,
    ScreenForm,
    TrainingForm,
)
from .models import WorkerApplication, WorkerPost
from .rules import TIE_RULE, TRAINING_HOURS_MIN, AppState

PAGE_SIZE = 100
REFUSED = _("您不能办理党群工作者招聘")


def _post_url(post: WorkerPost) -> str:
    return reverse("workers:post-detail", args=[post.pk])


def _app_url(a: WorkerApplication) -> str:
    return reverse("workers:application-detail", args=[a.pk])


# ----- rounds and posts -----------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = selectors.recruitment_list(request.user)
    return render(
        request,
        "workers/round_list.html",
        {"rounds": rounds, "may_create": services.may_change_anywhere(request.user)},
    )


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, REFUSED)
    form = RecruitmentCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.recruitment_create,
            form=form,
            success=_("已登记招聘"),
            **form.cleaned_data,
        )
        if done.value is not None:
            return redirect(reverse("workers:round-detail", args=[done.value.pk]))
    return render(request, "workers/form.html", {"form": form, "title": _("登记招聘")})


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.recruitment_get(request.user, pk)
    return render(
        request,
        "workers/round_detail.html",
        {
            "round": r,
            "posts": selectors.post_list(r),
            "can_change": services.may_change(request.user, r.path),
        },
    )


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.recruitment_get(request.user, pk, Action.CHANGE)
    initial = {f: getattr(r, f) for f in RecruitmentForm.base_fields}
    form = RecruitmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.recruitment_update,
            form=form,
            success=_("已保存"),
            recruitment=r,
            **form.cleaned_data,
        )
        if done:
            return redirect(reverse("workers:round-detail", args=[r.pk]))
    return render(request, "workers/form.html", {"form": form, "title": r.title})


@login_required
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    r = selectors.recruitment_get(request.user, pk, Action.CHANGE)
    form = PostForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.post_create,
            form=form,
            success=_("已增加岗位"),
            recruitment=r,
            **form.cleaned_data,
        )
        if done.value is not None:
            return redirect(_post_url(done.value))
    return render(request, "workers/form.html", {"form": form, "title": _("增加岗位"), "round": r})


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(request.user, pk, Action.CHANGE)
    initial: dict[str, Any] = {f: getattr(post, f) for f in PostForm.base_fields if f != "serves"}
    initial["serves"] = " ".join(post.serves.order_by("path").values_list("code", flat=True))
    form = PostForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.post_update,
            form=form,
            success=_("已保存"),
            post=post,
            **form.cleaned_data,
        )
        if done:
            return redirect(_post_url(post))
    return render(request, "workers/form.html", {"form": form, "title": post.title})


@login_required
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's applicants, filtered by state, in ranking order, with the district's buttons."""
    post = selectors.post_get(request.user, pk)
    state = request.GET.get("state", "")
    state = state if state in AppState.values else ""
    apps = selectors.application_list(request.user, post=post, state=state)
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "workers/post_detail.html",
        {
            "post": post,
            "round": post.recruitment,
            "served": selectors.served_orgs(post),
            "page_obj": page,
            "state": state,
            "states": AppState.choices,
            "rights": services.post_rights(request.user, post),
            "tie_rule": TIE_RULE,
            "today": clock.today(),
        },
    )


@login_required
@require_POST
def post_screen(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(request.user, pk, Action.CHANGE)
    form = DateForm(request.POST)
    on = form.cleaned_data["on"] if form.is_valid() else None
    done = run_service(request, services.applications_screen_auto, post=post, on=on)
    if done:
        messages.success(
            request,
            _("资格审查：符合 %(eligible)s 人，不符合 %(ineligible)s 人") % done.value,
        )
    return redirect(_post_url(post))


@login_required
def post_scores(request: HttpRequest, pk: int) -> HttpResponse:
    """The score sheet of a post: every eligible applicant's written and interview scores,
    saved all or nothing."""
    post = selectors.post_get(request.user, pk, Action.CHANGE)
    rows = list(
        selectors.application_list(request.user, post=post)
        .filter(state__in=[AppState.ELIGIBLE, AppState.WRITTEN, AppState.SCORED])
        .order_by("id")
    )
    form = DateForm(request.POST or None, initial={"on": clock.today()})
    if request.method == "POST" and form.is_valid():
        scores = {
            a.pk: (request.POST.get(f"w{a.pk}", ""), request.POST.get(f"i{a.pk}", "")) for a in rows
        }
        done = run_service(
            request,
            services.scores_enter,
            form=form,
            post=post,
            scores=scores,
            on=form.cleaned_data["on"] or clock.today(),
        )
        if done:
            messages.success(request, _("已保存 %(n)s 人的成绩") % {"n": done.value})
            return redirect(_post_url(post))
        for a in rows:  # show what was typed again
            a.written_score = request.POST.get(f"w{a.pk}", "")
            a.interview_score = request.POST.get(f"i{a.pk}", "")
    return render(request, "workers/scores.html", {"post": post, "rows": rows, "form": form})


@login_required
@require_POST
def post_rank(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(request.user, pk, Action.CHANGE)
    run_service(request, services.post_rank, post=post, success=_("已排名"))
    return redirect(_post_url(post) + "?state=scored")


@login_required
@require_POST
def post_notice(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(request.user, pk, Action.CHANGE)
    form = DateForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            services.notice_publish,
            post=post,
            on=form.cleaned_data["on"],
            success=_("已公示拟聘用人员"),
        )
    return redirect(_post_url(post))


# ----- one application ------------------------------------------------------------------------


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.application_get(request.user, pk)
    can_change = services.may_change(request.user, a.path)
    return render(
        request,
        "workers/application_detail.html",
        {
            "a": a,
            "steps": a.steps.select_related("recorded_by"),
            "objections": a.objections.all(),
            "open_steps": services.open_steps(a) if can_change else [],
            "can_change": can_change,
            "reasons": services.screening_reasons(a),
            "worker": getattr(a, "worker", None),
            "labels": services.step_labels(),
            "screen_form": ScreenForm(),
            "objection_form": ObjectionForm(),
            "resolve_form": ResolveForm(),
            "date_form": DateForm(initial={"on": clock.today()}),
        },
    )


@login_required
@require_POST
def application_screen(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.application_get(request.user, pk, Action.CHANGE)
    run_posted_form(
        request,
        ScreenForm(request.POST),
        services.application_screen,
        application=a,
        success=_("已记录资格审查结论"),
    )
    return redirect(_app_url(a))


@login_required
@require_POST
def objection_add(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.application_get(request.user, pk, Action.CHANGE)
    run_posted_form(
        request,
        ObjectionForm(request.POST),
        services.objection_record,
        application=a,
        success=_("已登记异议"),
    )
    return redirect(_app_url(a))


@login_required
@require_POST
def objection_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    o = selectors.objection_get(request.user, pk, Action.CHANGE)
    run_posted_form(
        request,
        ResolveForm(request.POST),
        services.objection_resolve,
        objection=o,
        success=_("已记录核查结论"),
    )
    return redirect(_app_url(o.application))


@login_required
@require_POST
def application_hire(request: HttpRequest, pk: int) -> HttpResponse:
    a = selectors.application_get(request.user, pk, Action.CHANGE)
    done = run_posted_form(
        request,
        DateForm(request.POST),
        services.application_hire,
        application=a,
        success=_("已聘用"),
    )
    if done:
        return redirect(reverse("workers:worker-detail", args=[done.value.pk]))  # type: ignore[union-attr]
    return redirect(_app_url(a))


# ----- hired workers --------------------------------------------------------------------------


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    workers = selectors.worker_list(request.user)
    page = Paginator(workers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workers/worker_list.html", {"page_obj": page})


@login_required
def worker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    w = selectors.worker_get(request.user, pk)
    can_change = services.may_change(request.user, w.path) and w.until is None
    return render(
        request,
        "workers/worker_detail.html",
        {
            "w": w,
            "a": w.application,
            "trainings": w.trainings.all(),
            "hours": w.training_hours,
            "hours_min": TRAINING_HOURS_MIN,
            "can_change": can_change,
            "open_steps": services.open_steps(w.application) if can_change else [],
            "training_form": TrainingForm(),
            "certificate_form": CertificateForm(),
            "deploy_form": DeployForm(user=request.user),
            "leave_form": LeaveForm(),
        },
    )


def _worker_act(
    request: HttpRequest, pk: int, form: Any, service: Any, success: str
) -> HttpResponse:
    w = selectors.worker_get(request.user, pk, Action.CHANGE)
    run_posted_form(request, form, service, worker=w, success=success)
    return redirect(reverse("workers:worker-detail", args=[w.pk]))


@login_required
@require_POST
def training_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _worker_act(
        request, pk, TrainingForm(request.POST), services.training_record, _("已记录培训")
    )


@login_required
@require_POST
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    return _worker_act(
        request, pk, CertificateForm(request.POST), services.certificate_issue, _("已发证")
    )


@login_required
@require_POST
def deploy(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeployForm(request.POST, user=request.user)
    return _worker_act(request, pk, form, services.worker_deploy, _("已派驻上岗"))


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    return _worker_act(request, pk, LeaveForm(request.POST), services.worker_leave, _("已离岗"))


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    rows = selectors.figures(request.user)
    return render(
        request,
        "workers/figures.html",
        {"rows": rows, "total": selectors.figures_total(rows)},
    )


# ----- the public (no login) ------------------------------------------------------------------

RECEIPT_SESSION_KEY = "workers_receipt"


def _public(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def public_posts(request: HttpRequest) -> HttpResponse:
    return _public(
        request,
        "workers/public/posts.html",
        {"posts": selectors.public_open_posts(clock.today())},
    )


@never_cache
@ensure_csrf_cookie
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """The application form of a post, guarded like the open survey (a rate limit per
    address, a honeypot, a self-hosted captcha); success shows the receipt number."""
    post = selectors.public_post(pk)
    r = post.recruitment
    if not r.is_open:
        return _public(
            request,
            "workers/public/notice.html",
            {
                "post": post,
                "message": _("报名时间为 %(a)s 至 %(b)s，现在不能报名")
                % {"a": r.opens_on, "b": r.closes_on},
            },
        )
    form = ApplyForm(request.POST or None)
    if request.method == "POST":
        if guard.rate_limited(f"workers-apply:{r.pk}", client_address(request)):
            return _public(
                request,
                "workers/public/notice.html",
                {"post": post, "message": _("提交过于频繁，请稍后再试")},
                status=429,
            )
        if request.POST.get(HONEYPOT):
            # a robot filled the field a person never sees: nothing stored
            return redirect(reverse("workers:follow"))
        if form.is_valid():
            data = form.cleaned_data
            if not guard.captcha_check(data["challenge"], data["captcha"]):
                form.add_error("captcha", _("验证码不正确或已过期，请重新填写"))
            else:
                try:
                    a = services.application_submit(
                        actor=request.user,
                        post=post,
                        name=data["name"],
                        id_number=data["id_number"],
                        phone=data["phone"],
                        education=data["education"],
                        resume=data["resume"],
                    )
                except ValidationError as exc:
                    form_errors_from(form, exc)
                else:
                    request.session[RECEIPT_SESSION_KEY] = a.receipt
                    return redirect(reverse("workers:applied"))
    challenge = guard.captcha_new()
    if form.is_bound:
        data = form.data.copy()
        data["challenge"], data["captcha"] = challenge, ""
        form.data = data
    else:
        form.initial["challenge"] = challenge
    return _public(
        request,
        "workers/public/apply.html",
        {"post": post, "served": selectors.served_orgs(post), "form": form, "challenge": challenge},
    )


@never_cache
def applied(request: HttpRequest) -> HttpResponse:
    """The receipt of the application just made (kept in the applicant's session)."""
    receipt = request.session.get(RECEIPT_SESSION_KEY)
    a = WorkerApplication.objects.filter(receipt=receipt).first() if receipt else None
    return _public(request, "workers/public/applied.html", {"a": a})


@never_cache
def follow(request: HttpRequest) -> HttpResponse:
    """Follow an application: the receipt and the last four characters of the ID number →
    its state and dates, nothing personal."""
    form = FollowForm(request.POST or None)
    found = None
    if request.method == "POST":
        if guard.rate_limited("workers-follow", client_address(request)):
            return _public(
                request,
                "workers/public/notice.html",
                {"message": _("查询过于频繁，请稍后再试")},
                status=429,
            )
        if form.is_valid():
            found = services.application_follow(
                form.cleaned_data["receipt"], form.cleaned_data["id_last4"]
            )
            if found is None:
                form.add_error(None, _("没有找到该报名，请核对回执号和身份证号码后四位"))
    return _public(
        request,
        "workers/public/follow.html",
        {
            "form": form,
            "a": found,
            "steps": found.steps.all() if found else [],
            "labels": services.step_labels(),
        },
    )
