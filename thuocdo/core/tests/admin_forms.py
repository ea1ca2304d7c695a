"""Build the POST data of a Django admin page, as a browser would send it unchanged."""

from __future__ import annotations

import datetime as dt


def _put(data: dict, form) -> None:
    for name, field in form.fields.items():
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is None:
            data[key] = ""
        elif isinstance(value, dt.date):
            data[key] = value.isoformat()
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)
        if field.show_hidden_initial and key in data:
            data[form.add_initial_prefix(name)] = data[key]


def admin_form_data(response, **changes) -> dict:
    """The main form and every inline formset (with its management form) of an admin
    add/change page `response`, updated with `changes` (POST keys, e.g. `grants-2-0-role`)."""
    context = response.context
    data: dict = {}
    _put(data, context["adminform"].form)
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        _put(data, formset.management_form)
        for form in formset.forms:
            _put(data, form)
    data.update(changes)
    return data
