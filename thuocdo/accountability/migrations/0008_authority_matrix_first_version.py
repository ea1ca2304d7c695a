"""The rules stored are the first version of the authority matrix (docs/decisions/0005):
until now the table was the matrix in force for every month computed, so it becomes the
version in force from the first day a period may have (1 January 1900,
`core.periods.FIRST_YEAR`), named after the engine's default matrix ("2026.1"). An empty
table (nobody decides a matter alone) gives a version with no rule: the same matrix.

Frozen, as a data migration is: the name and the day are written here, not read from the
code of today. The signals already stored keep no matrix version (`authority` empty): the
table they were computed under may have been edited since; a version in force in a month
already computed is kept all the same (`services.authority_matrix_in_use`)."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

FIRST_VERSION = "2026.1"
#: `core.periods.FIRST_YEAR`'s first day, as it was
FIRST_DAY = dt.date(1900, 1, 1)
BASIS = "Các quy tắc đã lưu trước khi ma trận có phiên bản"


def first_version(apps, schema_editor):
    version = apps.get_model("accountability", "AuthorityMatrixVersion")
    rule = apps.get_model("accountability", "AuthorityRule")
    if version.objects.exists():
        return
    first = version.objects.create(version=FIRST_VERSION, effective_from=FIRST_DAY,
                                   basis=BASIS)
    rule.objects.filter(matrix__isnull=True).update(matrix=first)


def rules_without_version(apps, schema_editor):
    """Back: the rules of the version in force today are the table again (the others go:
    the table held one matrix)."""
    version = apps.get_model("accountability", "AuthorityMatrixVersion")
    rule = apps.get_model("accountability", "AuthorityRule")
    today = timezone.localdate()
    current = (version.objects.filter(effective_from__lte=today)
               .order_by("-effective_from", "-version").first())
    rule.objects.exclude(matrix=current).delete()
    rule.objects.update(matrix=None)
    version.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accountability", "0007_authority_matrix_versions"),
    ]

    operations = [
        migrations.RunPython(first_version, rules_without_version),
    ]
