"""Public satisfaction surveys (群众满意度测评, S23): a survey of an organisation, its questions,
the units surveyed, single-use tokens per unit, the anonymous responses and their free-text
comments (a record other apps link to: rectification items merge many comments into one)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.scoping import ScopedManager

from .rules import (
    DEFAULT_SATISFIED_LEVELS,
    DEFAULT_SCALE,
    DEFAULT_THRESHOLD_PERCENT,
    Channel,
    QuestionKind,
    SurveyState,
)


def default_scale() -> list[str]:
    return list(DEFAULT_SCALE)


class SatisfactionSurvey(models.Model):
    """A survey run by an organisation (``owner``) over units of its subtree; placed at the
    owner (``path``, copied for scoping). ``public_key`` names its open link, which works only
    while ``open_link`` is on."""

    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("测评名称"), max_length=120)
    intro = models.TextField(_("说明"), blank=True)
    opens_on = models.DateField(_("开始日期"))
    closes_on = models.DateField(_("截止日期"))
    state = models.CharField(
        _("状态"), max_length=10, choices=SurveyState.choices, default=SurveyState.DRAFT
    )
    scale = models.JSONField(_("评价等级"), default=default_scale)
    satisfied_levels = models.PositiveSmallIntegerField(
        _("计为满意的等级数"), default=DEFAULT_SATISFIED_LEVELS
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("补课线（满意率%）"), default=DEFAULT_THRESHOLD_PERCENT
    )
    open_link = models.BooleanField(_("开放公开链接"), default=False)
    public_key = models.CharField(max_length=32, unique=True, editable=False)
    # The version of the questions, kept by the database (``migrations/0002``): any insert,
    # change or removal of one of its questions adds one, whatever made it, and it never goes
    # back (a stale copy of the row saved again keeps the higher number). The public pages keep
    # the questions and the rendered form per process under it (``selectors.public_questions``).
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("群众满意度测评")
        verbose_name_plural = _("群众满意度测评")

    def __str__(self) -> str:
        return self.title

    def level_is_satisfied(self, level: int) -> bool:
        return 0 <= level < self.satisfied_levels


class Question(models.Model):
    """A question in order: a rating on the survey's scale, one choice among ``choices``, or
    free text (its answers become ``SurveyComment`` rows)."""

    survey = models.ForeignKey(
        SatisfactionSurvey, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("题型"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=200)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    required = models.BooleanField(_("必答"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("测评题目")
        verbose_name_plural = _("测评题目")

    def __str__(self) -> str:
        return self.text


class SurveyUnit(models.Model):
    """A unit surveyed (an organisation in the owner's subtree), placed at its own path."""

    survey = models.ForeignKey(SatisfactionSurvey, on_delete=models.CASCADE, related_name="units")
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("被测评单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        ordering = ["path", "id"]
        verbose_name = _("被测评单位")
        verbose_name_plural = _("被测评单位")
        constraints = [models.UniqueConstraint(fields=["survey", "org"], name="survey_unit_once")]

    def __str__(self) -> str:
        return str(self.org)


class SurveyToken(models.Model):
    """A single-use token of a unit. The token itself is never stored: it is derived from the
    server's key and ``nonce`` (so a sheet can be printed again) and found by its SHA-256
    (``token_hash``); ``used_at`` is set by the submitting POST only."""

    survey = models.ForeignKey(SatisfactionSurvey, on_delete=models.CASCADE, related_name="tokens")
    unit = models.ForeignKey(SurveyUnit, on_delete=models.CASCADE, related_name="tokens")
    nonce = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("生成时间"))
    used_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("测评码")
        verbose_name_plural = _("测评码")
        indexes = [models.Index(fields=["unit", "used_at"], name="survey_token_unit_used")]

    def __str__(self) -> str:
        return f"{self.unit} #{self.pk}"


class SurveyResponse(models.Model):
    """One anonymous response: the unit, when, through which channel, and the level given to
    the headline rating question (``overall_level``, for counting). No personal data."""

    survey = models.ForeignKey(
        SatisfactionSurvey, on_delete=models.CASCADE, related_name="responses"
    )
    unit = models.ForeignKey(SurveyUnit, on_delete=models.CASCADE, related_name="responses")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    token = models.OneToOneField(
        SurveyToken, null=True, blank=True, on_delete=models.PROTECT, related_name="response"
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    overall_level = models.PositiveSmallIntegerField(_("总体评价"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("测评答卷")
        verbose_name_plural = _("测评答卷")
        indexes = [
            models.Index(fields=["survey", "unit", "overall_level"], name="survey_resp_unit_lvl")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.submitted_at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    """The answer to a rating (``level``, an index into the scale) or a choice question
    (``choice``, an index into its choices). Free text is a ``SurveyComment``."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["question__position", "id"]
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.level if self.level is not None else self.choice}"


class SurveyComment(models.Model):
    """A free-text answer: what the public said about a unit. A stable record others link to
    (issue 21: rectification items are raised from survey comments, many comments one item);
    placed at the unit surveyed."""

    survey = models.ForeignKey(
        SatisfactionSurvey, on_delete=models.CASCADE, related_name="comments"
    )
    unit = models.ForeignKey(SurveyUnit, on_delete=models.CASCADE, related_name="comments")
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="comments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="comments")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    text = models.TextField(_("意见建议"))
    submitted_at = models.DateTimeField(_("提交时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("测评意见")
        verbose_name_plural = _("测评意见")
        indexes = [models.Index(fields=["survey", "unit"], name="survey_comment_unit")]

    def __str__(self) -> str:
        return self.text[:40]
