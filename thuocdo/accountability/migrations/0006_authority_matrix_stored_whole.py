"""The authority matrix is the rows stored, whole (docs/decisions/0005): an empty table is
given the engine's default matrix (`AuthorityMatrix.default`), which until now applied
unseen while the table was empty, so the administrator sees and edits the matrix in force.
A table someone already filled is left as it is: its rows were the matrix in force."""

from django.db import migrations

from thuocdo.measure.signals import AuthorityMatrix


def write_default(apps, schema_editor):
    authority_rule = apps.get_model("accountability", "AuthorityRule")
    if authority_rule.objects.exists():
        return
    # the default names no product (products are data): every row is "any product"
    authority_rule.objects.bulk_create(
        authority_rule(position=row["position"], priority=row["priority"])
        for row in AuthorityMatrix.default().to_rows() if row["product"] == "*")


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
