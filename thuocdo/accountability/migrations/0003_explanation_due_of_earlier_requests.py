"""Give the explanations requested before deadlines existed their deadline: the default,
THUOCDO_EXPLANATION_WORKDAYS working days after the day of the request (services.py), so
that they are counted as overdue, and decided, by the same rule as new ones."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from thuocdo.core.calendar import work_calendar


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
    calendar = work_calendar(years=list(range(first, last + 2 + workdays // 200)),
                             overrides_model=apps.get_model("core", "CalendarOverride"))
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
