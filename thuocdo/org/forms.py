"""Forms of the organisation pages: the filters of the officials list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from thuocdo.core.filters import FilterForm
from thuocdo.core.scope import Scope

from . import selectors
from .choices import Position
from .models import Official


class OfficialCodeField(forms.CharField):
    """An official the reader can see, by the code a person typed (any case:
    `selectors.official_typed`); empty is None. The form sets `scope` before validating.
    `error_messages["unknown"]` (with `%(code)s`) says a code matches nobody."""

    default_error_messages = {
        "unknown": _("No official you can see has the code “%(code)s”."),
    }

    def __init__(self, *, scope: Scope | None = None, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.scope = scope

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        try:
            return selectors.official_typed(scope=self.scope, code=code)
        except Official.DoesNotExist:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown_official",
                                        params={"code": code}) from None


class UnitChoiceField(forms.ModelChoiceField):
    """Units by code, indented by their depth below the shallowest unit offered."""

    def __init__(self, *args, base_depth: int = 0, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        # No-break spaces survive inside <option> and are not read aloud.
        indent = "\u00a0\u00a0\u00a0" * max(obj.depth - self.base_depth, 0)
        return f"{indent}{obj.name} ({obj.code})"


class OfficialFilterForm(FilterForm):
    """Search, filters and sort order of the officials list (and of its xlsx export).

    Always bound to the query string; every field is optional and its first choice is the
    default, so an empty query string means "active officials, by name".
    """

    SUBUNITS = [("1", _("Included")), ("0", _("Not included"))]
    STATUS = [("active", _("Active")), ("inactive", _("Inactive")), ("all", _("All"))]
    SORT = [
        ("name", _("Name (A to Z)")),
        ("-name", _("Name (Z to A)")),
        ("code", _("Code (ascending)")),
        ("-code", _("Code (descending)")),
    ]

    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        help_text=_("Name, code or e-mail. Tones are optional: “nguyen van duc” finds "
                    "“Nguyễn Văn Đức”."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    unit = UnitChoiceField(
        label=_("Unit"), required=False, queryset=None, to_field_name="code",
        empty_label=_("All units I can see"),
    )
    subunits = forms.ChoiceField(label=_("Sub-units of the unit"), required=False,
                                 choices=SUBUNITS)
    position = forms.ChoiceField(
        label=_("Position"), required=False,
        choices=[("", _("Any position")), *Position.choices],
    )
    task_group = forms.ModelChoiceField(
        label=_("Task group"), required=False, queryset=None, to_field_name="code",
        empty_label=_("Any task group"),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT)

    def __init__(self, data=None, *, scope: Scope, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)
        units = selectors.unit_list(scope=scope).select_related(None).only(
            "pk", "code", "name", "depth", "lft"
        )
        unit_field = self.fields["unit"]
        unit_field.queryset = units
        unit_field.base_depth = min((u.depth for u in units[:1]), default=0)
        self.fields["task_group"].queryset = selectors.task_group_list()

    def filters(self) -> dict:
        """Keyword arguments for `selectors.official_list`, from the fields that are valid
        (an invalid field is reported next to itself; the views then list nothing)."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or "active"
        return {
            "search": data.get("q") or None,
            "unit": data.get("unit"),
            "include_subunits": data.get("subunits") != "0",
            "position": data.get("position") or None,
            "task_group": data.get("task_group"),
            "active": {"active": True, "inactive": False}.get(status),
            "ordering": data.get("sort") or "name",
        }

    @property
    def is_filtered(self) -> bool:
        """True when anything narrows the list (for the "clear filters" link)."""
        self.is_valid()
        data = self.cleaned_data
        return any(data.get(name) for name in ("q", "unit", "position", "task_group")) or (
            data.get("status") not in (None, "", "active")
        )
