"""Signals indexed by the version of the thresholds and of the authority matrix they were
raised under: whether a version is in use (asked before it is removed) is one lookup, not a
scan of the signal table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0009_authority_rule_in_a_version"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="signalrecord",
            index=models.Index(fields=["thresholds"], name="acc_signal_thresholds"),
        ),
        migrations.AddIndex(
            model_name="signalrecord",
            index=models.Index(fields=["authority"], name="acc_signal_authority"),
        ),
    ]
