"""Admin of the product catalogue and directives, saving through `tasks.services`. A change
states its reason, which the services record with it in the audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from thuocdo.core.admin import ReadOnlyInline, ServiceAdmin, ServiceModelForm, reason_field
from thuocdo.core.forms import DecimalNumberField

from . import services
from .models import Directive, Product, ProductCoefficient

# -- products --------------------------------------------------------------------------


class ProductForm(ServiceModelForm):
    """A product with its coefficient. Coefficients are versioned: a change adds a version
    in force from a date, and tasks keep the one in force when they were assigned."""

    coefficient = DecimalNumberField(
        label=_("Coefficient"), max_digits=7, decimal_places=3, min_value=0, required=False,
        help_text=_("When changing a product: a new coefficient (leave empty to keep it)."),
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False,
        help_text=_("The first day the new coefficient applies (empty: today, or for a new "
                    "product, since always)."),
    )
    reason = reason_field()

    class Meta:
        model = Product
        fields = ("code", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.adding:
            self.fields["coefficient"].required = True
            self.fields["coefficient"].help_text = ""
            del self.fields["reason"]  # a new product is audited as created

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            return services.product_create(
                actor=actor, code=data["code"], name=data["name"],
                coefficient=data["coefficient"], valid_from=data["valid_from"],
            )
        return services.product_update(
            actor=actor, product=self.fresh(), name=data["name"],
            coefficient=data["coefficient"], valid_from=data["valid_from"],
            reason=data["reason"],
        )


class CoefficientInline(ReadOnlyInline):
    """Coefficient versions, newest first (added through the product form)."""

    model = ProductCoefficient
    fields = ("valid_from", "coefficient")
    readonly_fields = fields
    ordering = ("-valid_from",)


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    form = ProductForm
    inlines = (CoefficientInline,)
    list_display = ("code", "name", "current_coefficient")
    search_fields = ("code", "name")

    def get_fields(self, request, obj=None):
        fields = ("code", "name", "coefficient", "valid_from")
        return (*fields, "reason") if obj else fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else ()

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()

    @admin.display(description=_("coefficient"))
    def current_coefficient(self, obj):
        return obj.current_coefficient


# -- directives ------------------------------------------------------------------------


class DirectiveForm(ServiceModelForm):
    reason = reason_field()

    class Meta:
        model = Directive
        fields = ("code", "title", "issued_by", "issued_on", "answers")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.adding:
            del self.fields["reason"]  # a new directive is audited as created

    def apply(self, *, actor):
        data = self.cleaned_data
        if self.adding:
            return services.directive_create(
                actor=actor, code=data["code"], title=data["title"],
                issued_by=data["issued_by"], issued_on=data["issued_on"],
                answers=data["answers"],
            )
        return services.directive_update(
            actor=actor, directive=self.fresh(), title=data["title"],
            issued_by=data["issued_by"], issued_on=data["issued_on"], answers=data["answers"],
            reason=data["reason"],
        )


@admin.register(Directive)
class DirectiveAdmin(ServiceAdmin):
    form = DirectiveForm
    list_display = ("code", "title", "issued_by", "issued_on")
    list_filter = ("issued_on",)
    search_fields = ("code", "title")
    autocomplete_fields = ("issued_by", "answers")
    list_select_related = ("issued_by",)
    date_hierarchy = "issued_on"

    def get_fields(self, request, obj=None):
        fields = DirectiveForm.Meta.fields
        return (*fields, "reason") if obj else fields

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()
