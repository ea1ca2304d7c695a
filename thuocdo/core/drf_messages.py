"""Django REST framework's own messages, listed so that our catalogue translates them.

The API answers in the caller's language (Vietnamese by default), but DRF's bundled
Vietnamese catalogue has only about twenty strings: "This field is required.", "A valid
integer is required.", "Authentication credentials were not provided." and the like came
back in English. Django merges every catalogue and the one in LOCALE_PATHS
(thuocdo/locale) wins, so translating DRF's msgids there is enough, but `makemessages
--no-obsolete` keeps only msgids found in our sources. This module is where it finds them:
DRF's messages, word for word (a msgid that differs by one character is another msgid),
marked with `gettext_noop`. Nothing imports it; nothing here runs.

Listed: the messages the API can show. Those of the fields, serializers, relations and
validators our serializers use; every exception; session and token authentication; page
number pagination (its two parameter descriptions appear in the OpenAPI schema); the
default ordering filter. DRF's permissions and generic views have no messages of their own
(their refusals are the exceptions' `Not found.`, `You do not have permission ...`).
Left out: fields, pagination styles, authentication and versioning the API does not use.

django-filter: the API's filter sets use CharFilter, BooleanFilter, ChoiceFilter and
DateFilter, whose errors are Django forms' own (translated by Django); of django-filter's
own strings only the browsable API's filter form shows any ("Field filters"; its "Submit"
button already has a translation in our catalogue).

`core/tests/test_drf_messages.py` checks that each msgid is still in the installed DRF
(an upgrade that rewords a message shows there). When the API starts to use another DRF
field or class, add its messages here, then regenerate the catalogue and translate them.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

#: DRF's msgids, by the module of rest_framework (or django_filters) that defines them.
DRF_MESSAGES: dict[str, tuple[str, ...]] = {
    "rest_framework/fields.py": (
        gettext_noop("This field is required."),
        gettext_noop("This field may not be null."),
        gettext_noop("Must be a valid boolean."),
        gettext_noop("Not a valid string."),
        gettext_noop("This field may not be blank."),
        gettext_noop("Ensure this field has no more than {max_length} characters."),
        gettext_noop("Ensure this field has at least {min_length} characters."),
        gettext_noop("Enter a valid email address."),
        gettext_noop("This value does not match the required pattern."),
        gettext_noop("A valid integer is required."),
        gettext_noop("Ensure this value is less than or equal to {max_value}."),
        gettext_noop("Ensure this value is greater than or equal to {min_value}."),
        gettext_noop("String value too large."),
        gettext_noop("A valid number is required."),
        gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
        gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
        gettext_noop(
            "Ensure that there are no more than {max_whole_digits} digits before the decimal point."
        ),
        gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
        gettext_noop("Expected a datetime but got a date."),
        gettext_noop('Invalid datetime for the timezone "{timezone}".'),
        gettext_noop("Datetime value out of range."),
        gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
        gettext_noop("Expected a date but got a datetime."),
        gettext_noop('"{input}" is not a valid choice.'),
        gettext_noop('Expected a list of items but got type "{input_type}".'),
        gettext_noop("This list may not be empty."),
        gettext_noop("Ensure this field has at least {min_length} elements."),
        gettext_noop("Ensure this field has no more than {max_length} elements."),
        gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
        gettext_noop("This dictionary may not be empty."),
    ),
    "rest_framework/serializers.py": (
        gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    ),
    "rest_framework/relations.py": (
        gettext_noop("Object with {slug_name}={value} does not exist."),
        gettext_noop("Invalid value."),
    ),
    "rest_framework/validators.py": (
        gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    ),
    "rest_framework/exceptions.py": (
        gettext_noop("A server error occurred."),
        gettext_noop("Invalid input."),
        gettext_noop("Malformed request."),
        gettext_noop("Incorrect authentication credentials."),
        gettext_noop("Authentication credentials were not provided."),
        gettext_noop("You do not have permission to perform this action."),
        gettext_noop("Not found."),
        gettext_noop('Method "{method}" not allowed.'),
        gettext_noop("Could not satisfy the request Accept header."),
        gettext_noop('Unsupported media type "{media_type}" in request.'),
        gettext_noop("Request was throttled."),
        gettext_noop("Expected available in {wait} second."),
        gettext_noop("Expected available in {wait} seconds."),
    ),
    "rest_framework/authentication.py": (
        gettext_noop("Invalid token header. No credentials provided."),
        gettext_noop("Invalid token header. Token string should not contain spaces."),
        gettext_noop("Invalid token header. Token string should not contain invalid characters."),
        gettext_noop("Invalid token."),
        gettext_noop("User inactive or deleted."),
    ),
    "rest_framework/pagination.py": (
        gettext_noop("Invalid page."),
        gettext_noop("A page number within the paginated result set."),
        gettext_noop("Number of results to return per page."),
    ),
    "rest_framework/filters.py": (
        gettext_noop("Ordering"),
        gettext_noop("Which field to use when ordering the results."),
    ),
    "django_filters/templates/django_filters/rest_framework/form.html": (
        gettext_noop("Field filters"),
    ),
}
