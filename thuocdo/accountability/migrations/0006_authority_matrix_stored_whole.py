"""The authority matrix is the rows stored, whole (docs/decisions/0005): an empty table is
given the engine's default matrix (`AuthorityMatrix.default`), which until now applied
unseen while the table was empty, so the administrator sees and edits the matrix in force.
A table someone already filled is left as it is: its rows were the matrix in force.

The rows are written here as they were when this migration was made (a data migration is
frozen: a later change of the default is not this migration's, and gets its own); a test
(`accountability/tests/test_settings.py`) says when the default moves away from them."""

from django.db import migrations

#: `AuthorityMatrix.default().to_rows()` as it was: (position, priority), every row for any
#: product (the default names no product: products are data)
DEFAULT_ROWS = (
    ("deputy", "normal"),
    ("deputy", "urgent"),
    ("head", "normal"),
    ("head", "urgent"),
    ("staff", "normal"),
)


def write_default(apps, schema_editor):
    authority_rule = apps.get_model("accountability", "AuthorityRule")
    if authority_rule.objects.exists():
        return
    authority_rule.objects.bulk_create(
        authority_rule(position=position, priority=priority)
        for position, priority in DEFAULT_ROWS)


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0005_signal_step_recorded_by_hand"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="authorityrule",
            options={"ordering": ["position", "priority", "product__code"],
                     "verbose_name": "authority rule",
                     "verbose_name_plural": "authority matrix rules"},
        ),
        migrations.RunPython(write_default, migrations.RunPython.noop),
    ]
