"""Every rule of the authority matrix belongs to a version (`0008` gave the rules stored to
the first one)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0008_authority_matrix_first_version"),
    ]

    operations = [
        migrations.AlterField(
            model_name="authorityrule",
            name="matrix",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                    related_name="rules",
                                    to="accountability.authoritymatrixversion",
                                    verbose_name="version"),
        ),
    ]
