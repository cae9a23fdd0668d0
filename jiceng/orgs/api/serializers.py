from __future__ import annotations

from rest_framework import serializers

from jiceng.core import tree
from jiceng.core.api import IdField
from jiceng.orgs.models import (
    BranchKind,
    Organization,
    OrgType,
    Rectification,
    RectificationNote,
    RectificationState,
    RectificationStep,
    Sector,
    WeakCriterion,
)


class OrganizationOutput(serializers.ModelSerializer):
    parent_id = serializers.SerializerMethodField()
    secretary_name = serializers.CharField(source="secretary.name", default=None, allow_null=True)
    district_code = serializers.CharField(source="district_id", default=None, allow_null=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "code",
            "name",
            "org_type",
            "sector",
            "kind",
            "host_unit",
            "district_code",
            "street_id",
            "lng",
            "lat",
            "coord_source",
            "founded_on",
            "approved_on",
            "approval_no",
            "first_secretary_id",
            "abolished_on",
            "secretary_id",
            "secretary_name",
            "secretary_vacant_since",
            "health",
            "is_pilot",
            "depth",
            "numchild",
            "parent_id",
        ]

    def get_parent_id(self, obj: Organization) -> int | None:
        parents = self.context.get("parent_ids", {})
        return parents.get(tree.parent_path(obj.path))


class OrganizationCreateInput(serializers.Serializer):
    parent_id = IdField()
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=120)
    org_type = serializers.ChoiceField(choices=OrgType.choices)
    sector = serializers.ChoiceField(choices=Sector.choices, default=Sector.OTHER)
    kind = serializers.ChoiceField(choices=BranchKind.choices, default=BranchKind.STANDARD)
    host_unit = serializers.CharField(max_length=120, required=False, default="")
    founded_on = serializers.DateField(required=False)
    approved_on = serializers.DateField(required=False)
    approval_no = serializers.CharField(max_length=60, required=False, default="")


class OrganizationUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    kind = serializers.ChoiceField(choices=BranchKind.choices, required=False)
    host_unit = serializers.CharField(max_length=120, required=False, allow_blank=True)
    lng = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    is_pilot = serializers.BooleanField(required=False)


# ----- Organisation health (S11, S12) ------------------------------------------------------------


class OrgRef(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    org_type = serializers.CharField()


class ReasonOutput(serializers.Serializer):
    criterion = serializers.ChoiceField(choices=WeakCriterion.choices)
    criterion_label = serializers.CharField()
    detail = serializers.CharField()


class WeakCandidateOutput(OrgRef):
    full_members = serializers.IntegerField(allow_null=True)
    secretary_vacant_since = serializers.DateField(allow_null=True)
    reasons = ReasonOutput(many=True)


class SecretaryVacancyOutput(OrgRef):
    secretary_vacant_since = serializers.DateField()
    days_vacant = serializers.IntegerField()
    months_vacant = serializers.IntegerField()


class SizeSuggestionOutput(serializers.Serializer):
    org = OrgRef()
    kind = serializers.CharField(help_text="split, upgrade or join (a joint branch)")
    message = serializers.CharField()
    total_members = serializers.IntegerField(source="total")
    full_members = serializers.IntegerField(source="full")
    target_type = serializers.CharField()
    partners = OrgRef(many=True)


class RectificationNoteOutput(serializers.ModelSerializer):
    class Meta:
        model = RectificationNote
        fields = ["id", "on", "author_name", "text", "created_at"]


class RectificationOutput(serializers.ModelSerializer):
    org = OrgRef()
    overdue = serializers.BooleanField()
    measures = serializers.ListField(child=serializers.CharField(), source="measure_lines")

    class Meta:
        model = Rectification
        fields = [
            "id",
            "org",
            "state",
            "overdue",
            "criteria",
            "designated_on",
            "note",
            "measures",
            "owner",
            "deadline",
            "closed_on",
            "criteria_at_close",
            "result",
        ]


class RectificationDetailOutput(RectificationOutput):
    notes = RectificationNoteOutput(many=True)

    class Meta(RectificationOutput.Meta):
        fields = [*RectificationOutput.Meta.fields, "notes"]


class DesignateInput(serializers.Serializer):
    org_id = IdField()
    entered = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="entered criteria (irregular_life, petition_cluster, low_satisfaction, "
        "weak_leadership) → the note that supports each",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class RectificationStepInput(serializers.Serializer):
    """Fields by step: plan (measures, owner, deadline), note (text, on), close (result,
    still_met, on), revoke and reopen (reason)."""

    measures = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)
    text = serializers.CharField(required=False, allow_blank=True)
    result = serializers.CharField(required=False, allow_blank=True)
    still_met = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True)


RECTIFICATION_STATES = RectificationState.choices
RECTIFICATION_STEPS = RectificationStep.choices
