"""The handling deadline of an assignment (`Feedback.handling_due`), apart from the case's
reply deadline, which an assignment no longer moves.

Before, assigning a case set its reply deadline to the assignment's date, so a late case
could stop being late. For the cases already assigned, the reply deadline is given back
from the log (the `reply_due` of the last submission or forward) and the assignment's date
becomes the handling deadline, never after the reply deadline. The log is not touched."""

import datetime as dt

from django.db import migrations, models


def _day(value):
    return dt.date.fromisoformat(value) if value else None


#: cases read and written at a time: a query names at most this many ids (SQLite refuses
#: more variables than its build allows), whatever the number of assigned cases
CHUNK = 500


def split_deadlines(apps, schema_editor):
    FeedbackEvent = apps.get_model("citizens", "FeedbackEvent")
    assigned = list(FeedbackEvent.objects.filter(kind="assign")
                    .values_list("feedback_id", flat=True).distinct().order_by("feedback_id"))
    for start in range(0, len(assigned), CHUNK):
        _split_chunk(apps, assigned[start:start + CHUNK])


def _split_chunk(apps, ids):
    Feedback = apps.get_model("citizens", "Feedback")
    FeedbackEvent = apps.get_model("citizens", "FeedbackEvent")
    found: dict[int, list] = {}
    for feedback_id, kind, data in (FeedbackEvent.objects
                                    .filter(feedback_id__in=ids,
                                            kind__in=("submit", "forward", "assign"))
                                    .order_by("feedback_id", "seq")
                                    .values_list("feedback_id", "kind", "data")):
        state = found.setdefault(feedback_id, [None, None])  # reply_due, assignment's date
        data = data or {}
        if kind == "assign":
            state[1] = _day(data.get("handling_due") or data.get("reply_due"))
        else:
            state[0], state[1] = _day(data.get("reply_due")) or state[0], None
    changed = []
    for feedback in Feedback.objects.filter(pk__in=ids).only(
            "pk", "reply_due", "handling_due", "assignee_id"):
        reply_due, given = found.get(feedback.pk, (None, None))
        if reply_due is None:
            continue
        handling = min(given, reply_due) if given and feedback.assignee_id else None
        if (feedback.reply_due, feedback.handling_due) != (reply_due, handling):
            feedback.reply_due, feedback.handling_due = reply_due, handling
            changed.append(feedback)
    Feedback.objects.bulk_update(changed, ["reply_due", "handling_due"], batch_size=CHUNK)


class Migration(migrations.Migration):

    dependencies = [
        ('citizens', '0002_dossier_access_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='feedback',
            name='handling_due',
            field=models.DateField(blank=True, null=True, verbose_name='handling deadline'),
        ),
        migrations.RunPython(split_deadlines, migrations.RunPython.noop, elidable=True),
    ]
