"""Filtered lists and their xlsx exports: one rule for a filter that is not valid.

A list narrowed by a filter that is not valid (a unit the reader cannot see, a range that
ends before it starts, a month that is not one) never shows or exports *more* than was
asked for: the list shows nothing, each error next to its field; the export exports
nothing and goes back to the list, whose message names the fields and their errors.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def problems(form: forms.Form) -> str:
    """The form's errors in one line, each after its field's label."""
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


def refuse_export(request: HttpRequest, form: forms.Form, *, list_url: str) -> HttpResponse:
    """Back to the list with the same query (which shows the errors on their fields) and a
    message saying that nothing was exported, and why."""
    messages.error(request, _("Nothing was exported: correct these filters first. "
                              "%(problems)s") % {"problems": problems(form)})
    query = request.GET.urlencode()
    return redirect(f"{list_url}?{query}" if query else list_url)
