from __future__ import annotations

from rest_framework import serializers

from jiceng.core.api import IdField
from jiceng.members.models import (
    DatePrecision,
    Education,
    EmploymentStatus,
    Member,
    MemberCategory,
)


class MemberOutput(serializers.ModelSerializer):
    """A member as the API shows it: ID number and phone masked, never in clear."""

    home_org_name = serializers.CharField(source="home_org.name")
    participating_org_name = serializers.CharField(
        source="participating_org.name", default=None, allow_null=True
    )
    placed = serializers.BooleanField()

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "sex",
            "ethnicity",
            "birth_date",
            "id_number_masked",
            "education",
            "phone_masked",
            "category",
            "joined_on",
            "joined_on_precision",
            "full_member_on",
            "full_member_on_precision",
            "employment_status",
            "work_unit",
            "street_id",
            "lng",
            "lat",
            "home_org_id",
            "home_org_name",
            "participating_org_id",
            "participating_org_name",
            "placed",
            "entrusted",
        ]


class MemberInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=40)
    ethnicity = serializers.CharField(max_length=20, default="汉族")
    education = serializers.ChoiceField(choices=Education.choices, required=False, default="")
    phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)
    category = serializers.ChoiceField(choices=MemberCategory.choices)
    joined_on = serializers.DateField()
    joined_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="month: the roll gives the month alone; the date is then the month's 1st",
    )
    full_member_on = serializers.DateField(required=False, allow_null=True, default=None)
    full_member_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    employment_status = serializers.ChoiceField(
        choices=EmploymentStatus.choices, default=EmploymentStatus.AT_POST
    )
    work_unit = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    home_address = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    home_org_id = IdField()
    participating_org_id = IdField(required=False, allow_null=True, default=None)
    entrusted = serializers.BooleanField(default=False)


class MemberUpdateInput(MemberInput):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class RevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ReadOutput(serializers.Serializer):
    """One reveal of the caller's own record: when, by whom, under which role and unit."""

    at = serializers.DateTimeField()
    officer = serializers.CharField()
    role = serializers.CharField()
    unit = serializers.CharField()
    field = serializers.CharField()
