"""Pages of satisfaction surveys (S23).

Officers (login, scoped): the list, create and edit, a survey with its questions, units and
tokens, the printable sheet of a unit's QR codes, open and close, the results per unit with the
units to redo the work (补课), and the comments.

The public (no login, phone-sized): the token link (GET shows the survey and never consumes the
token: mail scanners open links; only the submitting POST does), the open link (rate limit per
address, honeypot, captcha), its captcha image, and the thank-you page."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from threading import Lock
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from jiceng.core.clients import client_address, qr_data_uri
from jiceng.core.middleware import unmark
from jiceng.core.scoping import Action, can, require_somewhere
from jiceng.core.views import form_errors_from, run_posted_form, run_service
from jiceng.orgs import selectors as org_selectors

from . import guard, selectors, services
from .forms import (
    HONEYPOT,
    AnswerForm,
    FilterForm,
    OwnerForm,
    QuestionForm,
    SurveyForm,
    TokensForm,
    UnitsForm,
)
from .models import Question, SatisfactionSurvey, SurveyToken
from .rules import TRANSITIONS

PAGE_SIZE = 50


def _back(survey: SatisfactionSurvey) -> HttpResponse:
    return redirect(reverse("satisfaction:detail", args=[survey.pk]))


# ----- officers --------------------------------------------------------------------------------


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    under = org_selectors.subtree_root(request.user, request.GET.get("under"))
    form = FilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    surveys = selectors.survey_list(request.user, under=under, **filters)
    page = Paginator(surveys, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "satisfaction/list.html",
        {
            "under": under,
            "form": form,
            "page_obj": page,
            "may_create": can(request.user, Action.CHANGE, under.path),
        },
    )


@login_required
def survey_create(request: HttpRequest) -> HttpResponse:
    require_somewhere(request.user, Action.CHANGE, _("您的角色不能组织满意度测评"))
    top = org_selectors.tree_roots(request.user).first()
    owner_form = OwnerForm(
        request.POST or None, user=request.user, initial={"owner": top.code if top else ""}
    )
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and owner_form.is_valid() and form.is_valid():
        done = run_service(
            request,
            services.survey_create,
            form=form,
            success=_("已登记测评，请添加题目和被测评单位"),
            owner=owner_form.cleaned_data["owner"],
            **form.cleaned_data,
        )
        if done.value is not None:
            return _back(done.value)
    return render(
        request,
        "satisfaction/form.html",
        {"form": form, "owner_form": owner_form, "survey": None},
    )


@login_required
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk, Action.CHANGE)
    initial = {f: getattr(survey, f) for f in services.EDITABLE}
    initial["scale"] = "，".join(survey.scale)
    form = SurveyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            request,
            services.survey_edit,
            form=form,
            success=_("已保存"),
            survey=survey,
            **form.cleaned_data,
        )
        if done:
            return _back(survey)
    return render(
        request, "satisfaction/form.html", {"form": form, "owner_form": None, "survey": survey}
    )


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey: its settings, questions in order, units with their tokens (made, used), the
    open link, and the forms and buttons the user may use."""
    survey = selectors.survey_get(request.user, pk)
    rights = services.survey_rights(request.user, survey)
    open_url = (
        request.build_absolute_uri(reverse("satisfaction:open-answer", args=[survey.public_key]))
        if survey.open_link
        else ""
    )
    return render(
        request,
        "satisfaction/detail.html",
        {
            "survey": survey,
            "rights": rights,
            "questions": selectors.questions_of(survey),
            "units": selectors.units_of(survey),
            "question_form": QuestionForm(),
            "units_form": UnitsForm(user=request.user, survey=survey),
            "tokens_form": TokensForm(),
            "open_url": open_url,
            "open_qr": qr_data_uri(open_url, scale=4) if open_url else "",
        },
    )


@login_required
@require_POST
def survey_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    if action not in TRANSITIONS:
        raise Http404
    ok = {"open": _("测评已开始"), "close": _("测评已结束")}
    run_service(request, services.survey_act, success=ok[action], survey=survey, action=action)
    return _back(survey)


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    run_posted_form(
        request,
        QuestionForm(request.POST),
        services.question_add,
        success=_("已添加题目"),
        survey=survey,
    )
    return _back(survey)


@login_required
@require_POST
def question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    question = selectors.question_get(survey, question_pk)
    run_service(request, services.question_remove, success=_("已删除题目"), question=question)
    return _back(survey)


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, question_pk: int, direction: str) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    question = selectors.question_get(survey, question_pk)
    if direction not in ("up", "down"):
        raise Http404
    run_service(request, services.question_move, question=question, direction=direction)
    return _back(survey)


@login_required
@require_POST
def units_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    form = UnitsForm(request.POST, user=request.user, survey=survey)
    if form.is_valid():
        done = run_service(request, services.units_add, survey=survey, orgs=form.orgs())
        if done.value is not None:
            messages.success(request, _("已添加 %(n)d 个被测评单位") % {"n": len(done.value)})
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(survey)


@login_required
@require_POST
def unit_remove(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    unit = selectors.unit_get(survey, unit_pk)
    run_service(request, services.unit_remove, success=_("已移出"), unit=unit)
    return _back(survey)


@login_required
@require_POST
def tokens_generate(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    unit_pk = request.POST.get("unit")
    units = [selectors.unit_get(survey, unit_pk)] if unit_pk else None
    form = TokensForm(request.POST)
    if form.is_valid():
        done = run_service(
            request, services.tokens_generate, survey=survey, units=units, **form.cleaned_data
        )
        if done.value is not None:
            messages.success(request, _("已生成测评码 %(n)d 个") % {"n": done.value})
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(survey)


@login_required
@never_cache
def token_sheet(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """A unit's unused tokens as a printable sheet: a QR code and the link of each, to cut and
    hand out. Printing is audited (whoever holds a sheet can answer for the unit)."""
    survey = selectors.survey_get(request.user, pk, Action.CHANGE)
    unit = selectors.unit_get(survey, unit_pk)
    done = run_service(request, services.tokens_print, survey=survey, unit=unit)
    if not done:
        return _back(survey)
    cards = []
    for token in done.value or []:
        url = request.build_absolute_uri(reverse("satisfaction:answer", args=[token]))
        cards.append({"token": token, "url": url, "qr": qr_data_uri(url)})
    return render(
        request, "satisfaction/sheet.html", {"survey": survey, "unit": unit, "cards": cards}
    )


@login_required
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    """Results per unit: responses, the satisfied share with its 95 % interval, the units below
    the threshold flagged to redo the work, a bar chart, and each question's distribution."""
    survey = selectors.survey_get(request.user, pk)
    rows = selectors.results_by_unit(survey)
    chart = {
        "threshold": survey.threshold_percent,
        "labelShare": _("满意率"),
        "labelThreshold": _("补课线"),
        "rows": [
            {
                "name": r.name,
                "value": round(r.share * 100, 1) if r.share is not None else None,
                "redo": r.redo,
                "n": r.rated,
            }
            for r in rows
        ],
    }
    return render(
        request,
        "satisfaction/results.html",
        {
            "survey": survey,
            "rows": rows,
            "total": selectors.results_total(survey, rows),
            "chart": chart,
            "distributions": selectors.distributions(survey),
        },
    )


@login_required
def survey_comments(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(request.user, pk)
    unit = selectors.unit_get(survey, request.GET["unit"]) if request.GET.get("unit") else None
    comments = selectors.comment_list(request.user, survey=survey, unit=unit)
    page = Paginator(comments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "satisfaction/comments.html",
        {"survey": survey, "unit": unit, "page_obj": page, "units": selectors.units_of(survey)},
    )


# ----- the public (no login) ---------------------------------------------------------------------


def _public(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    # The token is in the address: the site's Referrer-Policy (same-origin) keeps it from other
    # sites. Not "no-referrer": browsers then send "Origin: null" with the form, which the CSRF
    # check refuses.
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


# ----- the blank form, kept per process (issue 21: hundreds of answers a second) ---------------
# A survey's blank page is the same for every visitor but for the CSRF token, the address (the
# language form returns to it) and the unit's name: it is rendered once per process for each
# survey, version of its questions, language, title, introduction and scale, with markers in
# those three places, which each request fills in. The markers are drawn at random when the
# process starts, so no text typed into a survey can contain one. Kept in the process, not in
# Django's cache, which is the database here: a cache read would cost about what the rendering
# saves. Filled-in forms (their values and errors are the person's own) are rendered as usual.
_MARK = secrets.token_hex(12)
_CSRF_MARK, _PATH_MARK, _UNIT_MARK = (f"{name}{_MARK}" for name in ("csrf", "path", "unit"))
_PAGES: OrderedDict[tuple, str] = OrderedDict()
_QUESTIONS_HTML: OrderedDict[tuple, SafeString] = OrderedDict()
_KEPT_MAX = 256
_KEPT_LOCK = Lock()


def _kept(store: OrderedDict, key: tuple, make: Callable[[], Any]) -> Any:
    """``store[key]``, made by ``make`` and kept (the least recently used beyond ``_KEPT_MAX``
    dropped) when missing."""
    with _KEPT_LOCK:
        value = store.get(key)
        if value is not None:
            store.move_to_end(key)
            return value
    value = make()
    with _KEPT_LOCK:
        store[key] = value
        while len(store) > _KEPT_MAX:
            store.popitem(last=False)
    return value


def _form_key(survey: SatisfactionSurvey) -> tuple:
    """Everything a blank form's questions show: the survey's questions (by their version),
    its scale and the reader's language."""
    return (survey.public_key, survey.version, get_language(), tuple(survey.scale))


def _questions_html(form: AnswerForm, survey: SatisfactionSurvey) -> SafeString | None:
    """The rendered questions of a blank form, kept per process; ``None`` for a filled-in
    form."""
    if form.is_bound:
        return None
    return _kept(
        _QUESTIONS_HTML,
        _form_key(survey),
        lambda: mark_safe(  # noqa: S308  (rendered by the template engine, escaped there)
            render_to_string("satisfaction/public/_questions.html", {"form": form})
        ),
    )


class _MarkedRequest:
    """What the public base template reads of the request (the address the language form
    returns to), as a marker."""

    def get_full_path(self) -> str:
        return _PATH_MARK


def _blank_page(
    request: HttpRequest,
    survey: SatisfactionSurvey,
    unit_name: str,
    questions: Sequence[Question],
) -> HttpResponse:
    """The token link's blank form: the kept page of this survey with this request's CSRF
    token, address and unit filled in."""

    def render_page() -> str:
        form = AnswerForm(survey=survey, questions=list(questions))
        page = render_to_string(
            "satisfaction/public/answer.html",
            {
                "survey": survey,
                "unit_name": _UNIT_MARK,
                "form": form,
                "open": False,
                "questions_html": _questions_html(form, survey),
                "csrf_token": _CSRF_MARK,
                "request": _MarkedRequest(),
            },
        )
        # The marks around text the zh-Hant conversion must leave alone (the language menu's
        # names): taken out here once, as the middleware would on every page, except for a
        # zh-Hant page, whose conversion needs them.
        return page if get_language() == "zh-hant" else unmark(page)

    key = (*_form_key(survey), survey.title, survey.intro)
    page = (
        _kept(_PAGES, key, render_page)
        .replace(_CSRF_MARK, get_token(request))
        .replace(_PATH_MARK, escape(request.get_full_path()))
        .replace(_UNIT_MARK, escape(unit_name))
    )
    response = HttpResponse(page)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The token link. GET shows the survey (the token is not consumed: mail scanners and link
    previews open links); the submitting POST consumes it, once. Every page it shows carries
    the CSRF token (the form, and the language switch of the public base page), which sets
    the cookie; the answers go straight to the service, which accepts exactly what the form
    does, and the form is built only to show a refusal."""
    row: SurveyToken | None = selectors.token_find(token)
    if row is None:
        return _public(
            request,
            "satisfaction/public/notice.html",
            {"message": _("测评码无效，请核对链接或二维码")},
            status=404,
        )
    survey = row.survey
    if row.used_at is not None:
        return _public(
            request,
            "satisfaction/public/notice.html",
            {"survey": survey, "message": _("此问卷已提交，感谢您的参与"), "done": True},
            status=409 if request.method == "POST" else 200,
        )
    reason = services.survey_accepts(survey)
    if reason:
        return _public(
            request, "satisfaction/public/notice.html", {"survey": survey, "message": reason}
        )
    questions = selectors.public_questions(survey)
    if request.method != "POST":
        return _blank_page(request, survey, row.unit_name, questions)
    try:
        services.response_submit(
            actor=None,  # the public: no account
            token=row,
            answers={q.pk: request.POST.get(f"q{q.pk}") for q in questions},
            questions=questions,
        )
    except services.AlreadySubmittedError as exc:
        return _public(
            request,
            "satisfaction/public/notice.html",
            {"survey": survey, "message": exc.messages[0], "done": True},
            status=409,
        )
    except ValidationError as exc:
        refused = exc
    else:
        return redirect(reverse("satisfaction:thanks"))
    # The form says what is wrong in its words, field by field, and keeps the person's
    # answers; what only the service knows (the survey just closed) is added to it.
    form = AnswerForm(request.POST, survey=survey, questions=list(questions))
    if form.is_valid():
        form_errors_from(form, refused)
    return _public(
        request,
        "satisfaction/public/answer.html",
        {
            "survey": survey,
            "unit_name": row.unit_name,
            "form": form,
            "open": False,
            "questions_html": None,
        },
    )


@never_cache
@ensure_csrf_cookie
def open_answer(request: HttpRequest, key: str) -> HttpResponse:
    """The open link (only while the survey enables it): anyone may answer, choosing the unit;
    guarded by a rate limit per address, a honeypot and a self-hosted captcha."""
    survey = selectors.survey_by_key(key)
    reason = services.survey_accepts(survey)
    if reason:
        return _public(
            request, "satisfaction/public/notice.html", {"survey": survey, "message": reason}
        )
    questions = list(selectors.public_questions(survey))
    units = list(survey.units.select_related("org").order_by("path"))
    initial = {"unit": request.GET.get("unit", "")}
    form = AnswerForm(
        request.POST or None,
        survey=survey,
        questions=questions,
        units=units,
        captcha=True,
        initial=initial,
    )
    if request.method == "POST":
        if guard.rate_limited(f"open:{survey.pk}", client_address(request)):
            return _public(
                request,
                "satisfaction/public/notice.html",
                {"survey": survey, "message": _("提交过于频繁，请稍后再试")},
                status=429,
            )
        if request.POST.get(HONEYPOT):
            # A robot filled the field a person never sees: thanked, nothing stored.
            return redirect(reverse("satisfaction:thanks"))
        if form.is_valid():
            if not guard.captcha_check(
                form.cleaned_data["challenge"], form.cleaned_data["captcha"]
            ):
                form.add_error("captcha", _("验证码不正确或已过期，请重新填写"))
            else:
                unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
                try:
                    services.response_submit_open(
                        actor=request.user,
                        survey=survey,
                        unit=unit,
                        answers=form.answers(),
                        questions=questions,
                    )
                except ValidationError as exc:
                    form_errors_from(form, exc)
                else:
                    return redirect(reverse("satisfaction:thanks"))
    # a fresh challenge each time the form is shown (a challenge is spent by its check)
    challenge = guard.captcha_new()
    data = form.data.copy() if form.is_bound else None
    if data is not None:
        data["challenge"] = challenge
        data["captcha"] = ""
        form.data = data
    else:
        form.initial["challenge"] = challenge
    return _public(
        request,
        "satisfaction/public/answer.html",
        {
            "survey": survey,
            "form": form,
            "open": True,
            "challenge": challenge,
            "questions_html": _questions_html(form, survey),
        },
    )


@never_cache
def captcha_image(request: HttpRequest, challenge: str) -> HttpResponse:
    png = guard.captcha_image(challenge)
    if png is None:
        raise Http404
    response = HttpResponse(png, content_type="image/png")
    response["X-Robots-Tag"] = "noindex"
    return response


def thanks(request: HttpRequest) -> HttpResponse:
    return _public(request, "satisfaction/public/thanks.html", {})
