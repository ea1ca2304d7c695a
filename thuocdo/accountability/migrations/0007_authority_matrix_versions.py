"""The authority matrix in versions in force from a day (docs/decisions/0005): a version
model holding its rules, the rules tied to it (null until `0008` gives the rules stored to
a first version; `0009` then requires it), a rule's product protected (a version's rules
never change), and the matrix version each computed signal was raised under."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0006_authority_matrix_stored_whole"),
        ("tasks", "0003_done_late_counts_late_extensions"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthorityMatrixVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("version", models.CharField(max_length=32, unique=True,
                                             verbose_name="version")),
                ("effective_from", models.DateField(verbose_name="in force from")),
                ("basis", models.CharField(blank=True, max_length=255, verbose_name="basis")),
            ],
            options={
                "verbose_name": "authority matrix version",
                "verbose_name_plural": "authority matrix versions",
                "ordering": ["-effective_from", "-version"],
            },
        ),
        migrations.AlterModelOptions(
            name="authorityrule",
            options={"ordering": ["matrix_id", "position", "priority", "product__code"],
                     "verbose_name": "authority rule",
                     "verbose_name_plural": "authority matrix rules"},
        ),
        migrations.RemoveConstraint(
            model_name="authorityrule",
            name="acc_authority_unique",
        ),
        migrations.AddField(
            model_name="signalrecord",
            name="authority",
            field=models.CharField(blank=True, max_length=32,
                                   verbose_name="authority matrix version"),
        ),
        migrations.AlterField(
            model_name="authorityrule",
            name="product",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="tasks.product",
                                    verbose_name="product"),
        ),
        migrations.AddField(
            model_name="authorityrule",
            name="matrix",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="rules",
                                    to="accountability.authoritymatrixversion",
                                    verbose_name="version"),
        ),
        migrations.AddConstraint(
            model_name="authorityrule",
            constraint=models.UniqueConstraint(
                fields=("matrix", "position", "priority", "product"),
                name="acc_authority_rule_unique"),
        ),
    ]
