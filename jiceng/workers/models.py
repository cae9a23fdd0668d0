"""Recruiting full-time party-mass workers (党群工作者招聘, S3): a district's recruitment
round, its posts, the public's applications with their dated steps and objections, and the
hired worker (``PartyWorker``) with training and the organisation they serve in.

Every row is placed at the recruiting district committee's path (``path``), copied from the
round, so that scoping is one prefix filter."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jiceng.core import clock
from jiceng.core.fields import EncryptedTextField, PersonNameField
from jiceng.core.scoping import ScopedManager

from .rules import NOTICE_DAYS_DEFAULT, WEIGHT_DEFAULT, AppState, EducationLevel


class WorkerRecruitment(models.Model):
    """A district's recruitment round (its organisation department and personnel bureau):
    when applications are taken, the weights of the written test and interview, and how many
    working days the public notice runs."""

    district = models.ForeignKey(
        "orgs.Organization", verbose_name=_("招聘区县"), on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("招聘名称"), max_length=120)
    opens_on = models.DateField(_("报名开始"))
    closes_on = models.DateField(_("报名截止"))
    written_weight = models.DecimalField(
        _("笔试权重"), max_digits=3, decimal_places=2, default=WEIGHT_DEFAULT[0]
    )
    interview_weight = models.DecimalField(
        _("面试权重"), max_digits=3, decimal_places=2, default=WEIGHT_DEFAULT[1]
    )
    notice_days = models.PositiveSmallIntegerField(_("公示工作日数"), default=NOTICE_DAYS_DEFAULT)
    ranked_on = models.DateField(_("排名日期"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"))

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("党群工作者招聘")
        verbose_name_plural = _("党群工作者招聘")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="workers_round_dates"
            ),
            models.CheckConstraint(
                condition=Q(written_weight__gte=0, interview_weight__gte=0),
                name="workers_round_weights",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        """Taking applications today."""
        return self.opens_on <= clock.today() <= self.closes_on


class WorkerPost(models.Model):
    """A post of a round: how many places, what is asked (age, education, the text of the
    requirements) and the organisations the workers will serve (two-new organisations
    first)."""

    recruitment = models.ForeignKey(
        WorkerRecruitment, on_delete=models.CASCADE, related_name="posts"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    title = models.CharField(_("岗位名称"), max_length=120)
    places = models.PositiveIntegerField(_("招聘人数"))
    requirements = models.TextField(_("岗位要求"), blank=True)
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), default=18)
    max_age = models.PositiveSmallIntegerField(_("最高年龄"), default=40)
    min_education = models.CharField(
        _("最低学历"), max_length=16, choices=EducationLevel.choices, blank=True
    )
    serves = models.ManyToManyField(
        "orgs.Organization", verbose_name=_("服务的党组织"), blank=True, related_name="+"
    )
    ranked_on = models.DateField(_("排名日期"), null=True, blank=True, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["recruitment", "id"]
        verbose_name = _("招聘岗位")
        verbose_name_plural = _("招聘岗位")
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=1), name="workers_post_places"),
            models.CheckConstraint(
                condition=Q(max_age__gte=F("min_age")), name="workers_post_ages"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class WorkerApplication(models.Model):
    """One person's application to a post, made on the public page. The name is kept as
    written; the ID number and phone encrypted, with a blind index (one application per ID
    number per round) and a masked form for lists. ``receipt`` is what the applicant follows
    the application with (with the last four characters of the ID number)."""

    # No single-column indexes: (post, state), (path, state) and the one-per-round constraint
    # lead with them. Fewer indexes keep the ranking's UPDATE cheap.
    post = models.ForeignKey(
        WorkerPost, on_delete=models.CASCADE, related_name="applications", db_index=False
    )
    recruitment = models.ForeignKey(
        WorkerRecruitment, on_delete=models.CASCADE, related_name="applications", db_index=False
    )
    path = models.CharField(max_length=255, editable=False)
    receipt = models.CharField(_("报名回执号"), max_length=12, unique=True, editable=False)
    name = PersonNameField(_("姓名"), max_length=60)
    id_number = EncryptedTextField(_("公民身份号码"))
    id_number_index = models.CharField(max_length=40, editable=False)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, editable=False)
    phone = EncryptedTextField(_("联系电话"))
    phone_masked = models.CharField(_("联系电话"), max_length=20, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    education = models.CharField(_("学历"), max_length=16, choices=EducationLevel.choices)
    resume = models.TextField(_("个人简历"), blank=True)
    applied_on = models.DateField(_("报名日期"))
    applied_at = models.DateTimeField(_("报名时间"))
    state = models.CharField(
        _("状态"), max_length=14, choices=AppState.choices, default=AppState.APPLIED
    )
    ineligible_reason = models.CharField(_("不符合条件的原因"), max_length=300, blank=True)
    written_score = models.DecimalField(
        _("笔试成绩"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    interview_score = models.DecimalField(
        _("面试成绩"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    total_score = models.DecimalField(
        _("总成绩"), max_digits=5, decimal_places=2, null=True, blank=True, editable=False
    )
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True, editable=False)
    notice_from = models.DateField(_("公示开始"), null=True, blank=True, editable=False)
    notice_until = models.DateField(_("公示截止"), null=True, blank=True, editable=False)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path",)

    class Meta:
        ordering = ["post", "rank", "id"]
        verbose_name = _("招聘报名")
        verbose_name_plural = _("招聘报名")
        indexes = [
            models.Index(fields=["post", "state"], name="workers_app_post_state"),
            models.Index(fields=["path", "state"], name="workers_app_path_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recruitment", "id_number_index"], name="workers_app_one_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.receipt}）"

    @property
    def receipt_display(self) -> str:
        return "-".join(self.receipt[i : i + 4] for i in range(0, len(self.receipt), 4))


class WorkerApplicationStep(models.Model):
    """A step of an application taken on a day (the stage engine's record): the value it
    carries (training hours), the reason when late, who recorded it."""

    application = models.ForeignKey(
        WorkerApplication, on_delete=models.CASCADE, related_name="steps"
    )
    step = models.CharField(_("环节"), max_length=16)
    on = models.DateField(_("日期"))
    value = models.IntegerField(_("数值"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    late_reason = models.CharField(_("逾期原因"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("报名办理环节")
        verbose_name_plural = _("报名办理环节")

    def __str__(self) -> str:
        return f"{self.on} {self.step}"


class WorkerObjection(models.Model):
    """An objection raised during the public notice against a candidate, and how it was
    resolved (``upheld``: the candidate is not hired)."""

    application = models.ForeignKey(
        WorkerApplication, on_delete=models.CASCADE, related_name="objections"
    )
    received_on = models.DateField(_("收到日期"))
    content = models.TextField(_("反映内容"))
    resolved_on = models.DateField(_("核查日期"), null=True, blank=True)
    upheld = models.BooleanField(_("反映属实"), null=True, blank=True)
    resolution = models.CharField(_("核查结论"), max_length=300, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("application__path",)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")

    def __str__(self) -> str:
        return f"{self.received_on} {self.content[:20]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class PartyWorker(models.Model):
    """A hired full-time party-mass worker (党群工作者): in post at ``org`` since ``since``
    (an organisation the post serves), until ``until`` when they left. Placed at the
    recruiting district (``path``) and, once deployed, at the organisation served
    (``org_path``): its officers and secretary see who serves them."""

    application = models.OneToOneField(
        WorkerApplication, on_delete=models.PROTECT, related_name="worker"
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    name = PersonNameField(_("姓名"), max_length=60)
    hired_on = models.DateField(_("聘用日期"))
    certificate_no = models.CharField(_("培训合格证书编号"), max_length=40, blank=True)
    trained_on = models.DateField(_("培训合格日期"), null=True, blank=True)
    org = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("派驻党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    since = models.DateField(_("上岗日期"), null=True, blank=True)
    until = models.DateField(_("离岗日期"), null=True, blank=True)
    leave_reason = models.CharField(_("离岗原因"), max_length=300, blank=True)

    objects = ScopedManager()
    scope_path_fields: ClassVar[tuple[str, ...]] = ("path", "org_path")

    class Meta:
        ordering = ["path", "id"]
        verbose_name = _("党群工作者")
        verbose_name_plural = _("党群工作者")
        indexes = [models.Index(fields=["org", "until"], name="workers_worker_org_until")]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def in_post(self) -> bool:
        return self.org_id is not None and self.until is None

    @property
    def training_hours(self) -> int:
        return sum(t.hours for t in self.trainings.all())


class WorkerTraining(models.Model):
    """A course a hired worker took, with its hours."""

    worker = models.ForeignKey(PartyWorker, on_delete=models.CASCADE, related_name="trainings")
    course = models.CharField(_("课程"), max_length=120)
    hours = models.PositiveSmallIntegerField(_("学时"))
    finished_on = models.DateField(_("结业日期"))

    class Meta:
        ordering = ["finished_on", "id"]
        verbose_name = _("岗前培训")
        verbose_name_plural = _("岗前培训")

    def __str__(self) -> str:
        return f"{self.course}（{self.hours}）"
