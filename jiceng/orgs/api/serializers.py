from __future__ import annotations

from rest_framework import serializers

from jiceng.orgs.models import BranchKind, Organization, OrgHealth, OrgType, Sector


class OrganizationOutput(serializers.ModelSerializer):
    parent_id = serializers.SerializerMethodField()
    secretary_name = serializers.CharField(source="secretary.name", default=None)
    district_code = serializers.CharField(source="district_id", default=None)

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
        return parents.get(obj.path[: -Organization.steplen])


class OrganizationCreateInput(serializers.Serializer):
    parent_id = serializers.IntegerField()
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=120)
    org_type = serializers.ChoiceField(choices=OrgType.choices)
    sector = serializers.ChoiceField(choices=Sector.choices, default=Sector.OTHER)
    kind = serializers.ChoiceField(choices=BranchKind.choices, default=BranchKind.STANDARD)
    host_unit = serializers.CharField(max_length=120, required=False, default="")
    founded_on = serializers.DateField(required=False)


class OrganizationUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    kind = serializers.ChoiceField(choices=BranchKind.choices, required=False)
    host_unit = serializers.CharField(max_length=120, required=False, allow_blank=True)
    health = serializers.ChoiceField(choices=OrgHealth.choices, required=False)
    lng = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    is_pilot = serializers.BooleanField(required=False)
