"""`fields_in_error`: the visible inputs of a form that hold an error, for the summary at
the form's top (`includes/form_errors.html`), each linking to its input."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def fields_in_error(form) -> list:
    """The bound fields of `form` shown to the user whose value was refused, in the form's
    order (hidden fields are left out: their errors are shown as they are)."""
    return [field for field in form.visible_fields() if field.errors]
