"""How the organisation looks in the API: records named by `code`, never by database id.

Serializers here only read; they never save (writes go through `services`).
"""

from __future__ import annotations

from rest_framework import serializers

from .models import Membership, Official, TaskGroup, Unit


class UnitSerializer(serializers.ModelSerializer):
    """A unit in a list."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                          help_text="Code of the parent unit (null: a root).")

    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "kind_label", "parent", "depth", "is_active"]
        read_only_fields = fields


class UnitDetailSerializer(UnitSerializer):
    """A unit with the agency it belongs to and the number of children the caller can see."""

    agency = serializers.SerializerMethodField(
        help_text="Code of the agency (cơ quan) the unit belongs to: itself, or the nearest "
                  "city, province, department, district or commune above it."
    )
    child_count = serializers.IntegerField(
        read_only=True, help_text="Number of child units the caller can read."
    )

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "agency", "child_count"]
        read_only_fields = fields

    def get_agency(self, unit: Unit) -> str:
        return unit.agency.code


class TaskGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskGroup
        fields = ["code", "name"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer):
    """An official's place in a unit over an interval (`end` null: current; inclusive)."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    position_label = serializers.CharField(source="get_position_display", read_only=True)
    task_group = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Membership
        fields = ["unit", "unit_name", "position", "position_label", "task_group", "start", "end"]
        read_only_fields = fields


class UnitMemberSerializer(serializers.ModelSerializer):
    """A current membership of a unit, seen from the unit."""

    official = serializers.SlugRelatedField(slug_field="code", read_only=True)
    official_name = serializers.CharField(source="official.name", read_only=True)
    position_label = serializers.CharField(source="get_position_display", read_only=True)
    task_group = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Membership
        fields = ["official", "official_name", "position", "position_label", "task_group",
                  "start", "end"]
        read_only_fields = fields


class OfficialSerializer(serializers.ModelSerializer):
    """An official with the memberships in force today (prefetched by the selector)."""

    current_memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = Official
        fields = ["code", "name", "email", "phone", "is_active", "current_memberships"]
        read_only_fields = fields
