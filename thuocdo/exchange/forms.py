"""Forms of the exchange pages: upload a document, confirm the import previewed, export
(the whole installation or a unit's part).

The confirmation carries a signed token of what was previewed (the file's SHA-256, size and
name, the day changes take effect, who checked it, the counts it gave); see
`thuocdo.exchange.views` for why the file is chosen again rather than kept on the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from thuocdo.core.forms import DateInput, DayField, MonthField

#: The largest document the pages take, in bytes, unless settings.EXCHANGE_UPLOAD_MAX_BYTES
#: says otherwise. An import runs inside the web request (gunicorn ends a request after 30
#: seconds): larger documents, a city's history above all, go through `thuocdo import`.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
#: How long a preview may be confirmed, in seconds.
TOKEN_MAX_AGE = 60 * 60
TOKEN_SALT = "thuocdo.exchange.import-preview"  # noqa: S105 - a signing namespace, no secret
#: What the file picker offers: the two suffixes and their media types.
ACCEPT = ",".join((".json", ".xlsx", "application/json",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))


def upload_max_bytes() -> int:
    return int(getattr(settings, "EXCHANGE_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES))


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def outcome(report: Any) -> dict[str, Any]:
    """What an import would do, to compare a preview with the import confirmed: the counts
    of each key, and a digest of the records named (created, and changed old → new; the
    first `importer.DETAIL_LIMIT` of each key). Written in one language, whatever the
    page's, so the same outcome always gives the same digest."""
    with translation.override("en"):
        named = "\n".join(report.details())
    return {"counts": report.as_dict()["counts"],
            "named": hashlib.sha256(named.encode("utf-8")).hexdigest()}


@dataclass(frozen=True)
class Previewed:
    """What a preview showed: the exact file (`sha256`, `size`, `name`), the day changes take
    effect, who checked it, and what the dry run said it would do (`outcome`: its counts and
    a digest of the records it named, created and changed old → new)."""

    sha256: str
    size: int
    name: str
    on: dt.date
    user_id: int
    outcome: dict[str, Any]

    def token(self) -> str:
        return signing.dumps({"sha256": self.sha256, "size": self.size, "name": self.name,
                              "on": self.on.isoformat(), "user": self.user_id,
                              "outcome": self.outcome}, salt=TOKEN_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str, *, max_age: int = TOKEN_MAX_AGE) -> Previewed:
        """Raises signing.BadSignature (and its SignatureExpired) for a token that was
        changed or is too old."""
        found = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
        return cls(sha256=found["sha256"], size=found["size"], name=found["name"],
                   on=dt.date.fromisoformat(found["on"]), user_id=found["user"],
                   outcome=found["outcome"])


class DocumentField(forms.FileField):
    """An exchange document (.json or .xlsx) no larger than `upload_max_bytes()`; its bytes
    are read once, here (`cleaned_data[name]` is `(name, bytes)`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.FileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("error_messages", {
            "required": _("Document: choose a .json or .xlsx file."),
            "empty": _("Document: the file is empty."),
            "invalid": _("Document: no file was received; choose it again."),
        })
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not upload:
            return upload
        limit = upload_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("Document: the file is %(size)s; this page takes documents up to %(limit)s. "
                  "Import a larger document with the command thuocdo import on the server."),
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)})
        return (upload.name, upload.read())


class ImportForm(forms.Form):
    document = DocumentField(
        label=_("Document"),
        help_text=_("An exchange document: a .json file or an Excel workbook (.xlsx), as "
                    "docs/exchange-format.md describes it."))
    on = DayField(
        label=_("Changes take effect on"), required=False, widget=DateInput,
        help_text=_("The day a changed place of an official or a changed coefficient starts, "
                    "unless the document says so (empty: today)."),
        error_messages={"invalid": _("Changes take effect on: give a day as dd/mm/yyyy.")})


class ConfirmForm(forms.Form):
    """The file checked, chosen again, and the token of its preview: valid only when the
    token is sound, recent, the caller's own, and the file is the very one checked."""

    document = DocumentField(
        label=_("The same document again"),
        help_text=_("Choose the file you checked once more: it is imported only if it is "
                    "exactly that file."))
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.previewed: Previewed | None = None

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        try:
            previewed = Previewed.from_token(token)
        except signing.SignatureExpired as error:
            raise forms.ValidationError(
                _("The check is more than an hour old: check the document again."),
                code="expired") from error
        except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
            raise forms.ValidationError(
                _("The check could not be read: check the document again."),
                code="bad_token") from error
        if previewed.user_id != self.user_id:
            raise forms.ValidationError(
                _("The check was made by another account: check the document again."),
                code="other_user")
        self.previewed = previewed
        return token

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        document = cleaned.get("document")
        if self.previewed is not None and document:
            _name, data = document
            if checksum(data) != self.previewed.sha256:
                self.add_error("document", forms.ValidationError(
                    _("Document: this is not the file you checked (%(name)s, %(size)s); "
                      "choose that file, or check this one first."),
                    code="other_file",
                    params={"name": self.previewed.name,
                            "size": filesizeformat(self.previewed.size)}))
        return cleaned


class ExportForm(forms.Form):
    """What to export: the whole installation (administrators) or a unit's part, a month of
    its tasks, the format. The unit is offered among those the caller may export, but taken
    by code and checked by `selectors.exchange_document`, so another unit is refused with
    the reason (403), not as an unknown choice."""

    unit = forms.CharField(
        label=_("Unit"), required=False, max_length=64, widget=forms.Select,
        help_text=_("The unit and the units below it: their officials, the tasks they lead "
                    "with every event, and the records outside the unit that the tasks "
                    "name."))
    period = MonthField(
        label=_("Month"), required=False,
        help_text=_("A month, MM/YYYY: only the tasks open during it or due in it (empty: "
                    "every task). Needs a unit."))
    format = forms.ChoiceField(
        label=_("Format"), choices=[("json", _("JSON (.json)")),
                                    ("xlsx", _("Excel workbook (.xlsx)"))],
        initial="json", widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Format: choose JSON or an Excel workbook."),
                        "required": _("Format: choose JSON or an Excel workbook.")})

    def __init__(self, *args: Any, units: Any, whole: bool, **kwargs: Any) -> None:
        """`units`: those the caller may export (tree order); `whole`: whether they may
        export the whole installation (offered first, and chosen by default)."""
        super().__init__(*args, **kwargs)
        units = list(units.only("pk", "code", "name", "depth"))
        base = min((unit.depth for unit in units), default=0)
        choices = [("", _("The whole installation"))] if whole else []
        choices += [(unit.code, "\u00a0\u00a0\u00a0" * (unit.depth - base)
                     + f"{unit.name} ({unit.code})") for unit in units]
        self.fields["unit"].widget.choices = choices
