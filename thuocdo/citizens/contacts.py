"""The contact a citizen or business leaves: a Vietnamese phone number or an e-mail address.

One rule for every way a contact comes in (the portal and the counter's forms, Open311,
the exchange import): `clean_contact` checks a value and returns its normal form; the
services call it before storing (`services.feedback_submit`, `services.dossier_receive`),
the forms and the import's checks call it to report the problem on the field.

- An e-mail address is anything with an "@", checked by Django's `EmailValidator`, kept as
  written (without surrounding spaces).
- A phone number is digits, optionally led by "+84" (the country code) or "0" (the trunk
  prefix), with spaces, dots, dashes or parentheses between groups ("+84 (0)" is read as
  "+84"). What follows the prefix, the national significant number, has 9 digits (mobiles,
  and landlines before 2017) or 10 (landlines since 2017: area code 2xx), never starting
  with 0: so 10 or 11 digits with the trunk 0. Prefixes of carriers and areas are not
  checked (they change). The normal form is the national one, digits only:
  "+84 912.345.678" → "0912345678", "(024) 3825-1234" → "02438251234".

Contacts stored before this rule are left as they are: they are shown, exported and
re-imported (a record already in the database is not written again) unchanged.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

#: what a phone number may be written with, besides its digits
PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
PHONE_TEXT = re.compile(r"\+?[\d\s.\-()]+")
#: digits of the national significant number (after +84 or the trunk 0)
NATIONAL_DIGITS = (9, 10)
COUNTRY_CODE = "+84"

ANY, EMAIL, PHONE = "any", "email", "phone"


def normal_phone(value: str) -> str | None:
    """The national form ("0" and 9 or 10 digits) of a Vietnamese phone number as written,
    or None when `value` is not one."""
    value = value.strip()
    if not PHONE_TEXT.fullmatch(value):
        return None
    digits = PHONE_SEPARATORS.sub("", value)
    if digits.startswith(COUNTRY_CODE):
        digits = digits[len(COUNTRY_CODE) :]
        if digits.startswith("0"):  # "+84 (0)912 …": the trunk 0 written after the code
            digits = digits[1:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not digits.isdigit() or digits.startswith("0") or len(digits) not in NATIONAL_DIGITS:
        return None
    return "0" + digits


def _email_message(label: str, value: str) -> str:
    if not label:
        return _("“%(value)s” is not a valid e-mail address.") % {"value": value}
    return _("%(label)s: “%(value)s” is not a valid e-mail address.") % {
        "label": label,
        "value": value,
    }


def _phone_message(label: str, value: str) -> str:
    if not label:
        return _(
            "“%(value)s” is not a Vietnamese phone number: after +84 or 0 it has 9 or 10 "
            "digits (spaces, dots or dashes may separate them), e.g. 0912 345 678."
        ) % {"value": value}
    return _(
        "%(label)s: “%(value)s” is not a Vietnamese phone number: after +84 or 0 it "
        "has 9 or 10 digits (spaces, dots or dashes may separate them), e.g. "
        "0912 345 678."
    ) % {"label": label, "value": value}


def _contact_message(label: str, value: str) -> str:
    if not label:
        return _("“%(value)s” is neither a phone number nor an e-mail address.") % {
            "value": value}
    return _("%(label)s: “%(value)s” is neither a phone number nor an e-mail address.") % {
        "label": label, "value": value}


def clean_contact(value: str | None, *, label: str, kind: str = ANY) -> str:
    """`value` in its normal form ("" stays ""), or ValidationError naming `label` (an
    empty label: a message without it, for a place that names the field already).

    `kind`: ANY (a phone number or an e-mail address: the "@" decides), EMAIL or PHONE.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if kind == EMAIL or (kind == ANY and "@" in value):
        try:
            EmailValidator()(value)
        except ValidationError:
            raise ValidationError(_email_message(label, value), code="bad_email") from None
        return value
    phone = normal_phone(value)
    if phone is not None:
        return phone
    if kind == ANY and not PHONE_TEXT.fullmatch(value):
        raise ValidationError(_contact_message(label, value), code="bad_contact")
    raise ValidationError(_phone_message(label, value), code="bad_phone")
