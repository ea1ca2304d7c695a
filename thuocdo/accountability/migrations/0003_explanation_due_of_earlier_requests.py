"""Give the explanations requested before deadlines existed their deadline: the default,
THUOCDO_EXPLANATION_WORKDAYS working days after the day of the request (services.py), so
that they are counted as overdue, and decided, by the same rule as new ones."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from thuocdo.measure.calendar import WorkCalendar


def _calendar(apps, years):
    import holidays

    override = apps.get_model("core", "CalendarOverride")
    days_off = set(holidays.country_holidays("VN", years=years).keys())
    workdays = set()
    for day, kind in override.objects.filter(day__year__in=years).values_list("day", "kind"):
        if kind == "holiday":
            days_off.add(day)
            workdays.discard(day)
        else:
            days_off.discard(day)
            workdays.add(day)
    return WorkCalendar.of(days_off, workdays)


def forwards(apps, schema_editor):
    signal_record = apps.get_model("accountability", "SignalRecord")
    signal_step = apps.get_model("accountability", "SignalStep")
    requested = dict(signal_step.objects.filter(
        action="request", signal__explanation_due__isnull=True).values_list("signal_id", "at"))
    if not requested:
        return
    workdays = int(getattr(settings, "THUOCDO_EXPLANATION_WORKDAYS", 5))
    days = {pk: timezone.localdate(at) for pk, at in requested.items()}
    first, last = min(days.values()).year, max(days.values()).year
    calendar = _calendar(apps, list(range(first, last + 2 + workdays // 200)))
    for pk, day in days.items():
        signal_record.objects.filter(pk=pk).update(
            explanation_due=calendar.add_workdays(day, workdays))


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0002_explanation_due"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
