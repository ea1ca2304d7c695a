"""The authority matrix of S4 in versions, as the thresholds are: each version the whole
matrix from its day; a month computed with the version in force on its last day (or on the
day computed, before it ends), recorded on its signals; a new version never starts in a
month already computed, so a month computed again keeps its S4; a version is only read once
saved, and removed only while no computed month may have used it; the admin adds one from a
copy of the version in force, says which is in force and each one's rules, and audits;
the migrations gave the rules stored to a first version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from thuocdo.accountability import services
from thuocdo.accountability.adapters import authority_matrix
from thuocdo.accountability.compute import compute_month
from thuocdo.accountability.models import AuthorityMatrixVersion, AuthorityRule, SignalRecord
from thuocdo.core.errors import ServiceError
from thuocdo.core.models import AuditEntry
from thuocdo.exchange.importer import import_document
from thuocdo.measure.scenario import exchange_part
from thuocdo.measure.signals import AuthorityMatrix, Competence

GOLDEN = Path(__file__).parents[2] / "measure" / "tests" / "golden" / "signals"
#: the S4 golden case: two S4 in October 2026 (a staff member asking about a normal
#: matter, a head about an urgent one), computed on 02/11/2026
S4_AS_OF = dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=7)))
DEFAULT_ROWS = AuthorityMatrix.default().to_rows()


def import_s4_case() -> None:
    document = json.loads((GOLDEN / "s04_pushing_up.json").read_text(encoding="utf-8"))
    import_document(exchange_part(document))


def s4_tasks(period: str = "2026-10", *, as_of: dt.datetime = S4_AS_OF) -> list[str]:
    return sorted(s.task for s in compute_month(period=period, as_of=as_of).signals
                  if s.code == "S4")


def stored_signal(world, period: str, *, code: str = "S8", authority: str = "") -> None:
    year, month = (int(part) for part in period.split("-"))
    moment = dt.datetime(year, month, 2, tzinfo=dt.UTC)
    SignalRecord.objects.create(
        key=f"{code}|{period}|x", code=code, period=period, raised_on=dt.date(year, month, 1),
        subject_kind="task", unit=world.units["HN"], explanation="…", first_seen=moment,
        last_seen=moment, thresholds="2026.1", authority=authority)


# -- the first version: the rules stored at installation -----------------------------------


@pytest.mark.django_db
def test_the_first_version_holds_the_default_written_at_installation_for_every_month():
    """0006 wrote the engine's default into the table; 0008 made those rules the first
    version, in force from the first day a period may have."""
    first = AuthorityMatrixVersion.objects.get()
    assert (first.version, first.effective_from) == ("2026.1", dt.date(1900, 1, 1))
    for day in (dt.date(1900, 1, 31), dt.date(2026, 10, 31), timezone.localdate()):
        matrix = authority_matrix(day)
        assert matrix.rows == AuthorityMatrix.default().rows
        assert matrix.version == "2026.1"


# -- the version in force in a month ------------------------------------------------------


@pytest.mark.django_db
def test_the_version_in_force_on_a_day_is_the_latest_started_by_then():
    services.authority_matrix_add(version="2026.2", effective_from=dt.date(2026, 11, 15),
                                  rules=[{"position": "head", "priority": "normal"}])
    services.authority_matrix_add(version="2027.1", effective_from=dt.date(2027, 1, 1),
                                  rules=[])
    assert authority_matrix(dt.date(2026, 11, 14)).version == "2026.1"
    in_november = authority_matrix(dt.date(2026, 11, 30))
    assert (in_november.version, in_november.rows) == (
        "2026.2", frozenset({Competence("head", "normal")}))
    empty = authority_matrix(dt.date(2027, 3, 1))
    assert empty.version == "2027.1" and not empty.rows


@pytest.mark.django_db
def test_before_every_version_nobody_decides_alone():
    AuthorityMatrixVersion.objects.all().delete()
    matrix = authority_matrix(dt.date(2026, 10, 31))
    assert (matrix.version, matrix.rows) == ("", frozenset())
    assert not any(matrix.may_decide(position, "normal", None)
                   for position in ("head", "deputy", "staff"))


@pytest.mark.django_db
def test_a_month_is_computed_with_the_version_in_force_on_its_last_day():
    """A version in force from 15/10 (no month computed yet) is October's matrix: with no
    rule, nobody decides alone, and the golden case's two S4 are not raised."""
    import_s4_case()
    assert s4_tasks() == ["T1", "T3"]
    services.authority_matrix_add(version="none", effective_from=dt.date(2026, 10, 15),
                                  rules=[])
    assert s4_tasks() == []
    # computed on 10/10, before the version starts: the one in force that day
    assert s4_tasks(as_of=dt.datetime(2026, 10, 10, tzinfo=dt.UTC)) == ["T1", "T3"]


@pytest.mark.django_db
def test_a_month_computed_keeps_its_s4_after_a_new_version_starts_later():
    """The rule asked for: October's S4, stored under 2026.1, stay when a version where
    staff decide nothing starts on 01/11 and October is computed again in December;
    November is computed with the new version; each stored signal names its version."""
    import_s4_case()
    services.signals_refresh(period="2026-10", as_of=S4_AS_OF)
    s4 = SignalRecord.objects.filter(code="S4")
    assert sorted(s4.values_list("subject", "authority")) == [("T1", "2026.1"),
                                                              ("T3", "2026.1")]
    services.authority_matrix_add(
        version="2026.2", effective_from=dt.date(2026, 11, 1),
        rules=[{"position": "head", "priority": "normal"}])
    later = dt.datetime(2026, 12, 15, tzinfo=dt.UTC)
    assert s4_tasks(as_of=later) == ["T1", "T3"]
    refreshed = services.signals_refresh(period="2026-10", as_of=later)
    assert refreshed.gone == 0
    assert sorted(s4.filter(present=True).values_list("subject", flat=True)) == ["T1", "T3"]
    assert set(s4.values_list("authority", flat=True)) == {"2026.1"}
    assert compute_month(period="2026-10", as_of=later).month.authority == "2026.1"
    assert compute_month(period="2026-11", as_of=later).month.authority == "2026.2"


@pytest.mark.django_db
def test_signals_recorded_by_hand_name_no_matrix(world):
    signal = services.signal_record(user=world.user("admin"), code="S14",
                                    official=world.officials["CG.STAFF"],
                                    on=timezone.localdate(), text="Kết luận thanh tra số 1")
    assert SignalRecord.objects.get(pk=signal.pk).authority == ""


# -- a new version: from a day after the months computed, its rules checked ----------------


@pytest.mark.django_db
def test_a_version_back_dated_into_a_computed_month_is_refused(world):
    """October's signals are stored: a version from 15/10 (or 01/09) would change them when
    October is computed again, so it is refused, naming the first day allowed, in
    Vietnamese too; from 01/11 it is taken."""
    stored_signal(world, "2026-10", authority="2026.1")
    for day in (dt.date(2026, 10, 15), dt.date(2026, 9, 1)):
        with pytest.raises(ServiceError) as refused:
            services.authority_matrix_add(version="late", effective_from=day,
                                          rules=DEFAULT_ROWS)
        assert (refused.value.service_code, refused.value.field) == (
            "effective_from_computed", "effective_from")
        assert "01/11/2026" in refused.value.service_message
    assert not AuthorityMatrixVersion.objects.filter(version="late").exists()
    services.authority_matrix_add(version="next", effective_from=dt.date(2026, 11, 1),
                                  rules=DEFAULT_ROWS)


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"version": " "}, "version_required", "version"),
    ({"version": "x" * 33}, "version_too_long", "version"),
    ({"version": "2026.1"}, "version_taken", "version"),
    ({"effective_from": dt.date(3000, 1, 1)}, "effective_from_range", "effective_from"),
    ({"rules": [{"position": "boss", "priority": "normal"}]}, "bad_rule", "rules"),
    ({"rules": [{"position": "staff", "priority": "whenever"}]}, "bad_rule", "rules"),
    ({"rules": [{"position": "staff", "priority": "normal", "product": "NOPE"}]},
     "unknown_product", "rules"),
    ({"rules": ["staff normal"]}, "bad_rule", "rules"),
    ({"rules": {"position": "staff", "priority": "normal"}}, "bad_rule", "rules"),
])
def test_a_bad_version_is_refused_saying_what_to_write(kwargs, code, field):
    given = {"version": "2027.1", "effective_from": dt.date(2027, 1, 1),
             "rules": DEFAULT_ROWS, **kwargs}
    with pytest.raises(ServiceError) as refused:
        services.authority_matrix_add(**given)
    assert (refused.value.service_code, refused.value.field) == (code, field)
    assert AuthorityMatrixVersion.objects.count() == 1


@pytest.mark.django_db
def test_one_version_a_day():
    """Which of two versions from the same day is in force would depend on the database's
    collation of their names: the second is refused, naming the first."""
    services.authority_matrix_add(version="2027.1", effective_from=dt.date(2027, 1, 1),
                                  rules=DEFAULT_ROWS)
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.authority_matrix_add(version="2027.1b", effective_from=dt.date(2027, 1, 1),
                                      rules=[])
    assert (refused.value.service_code, refused.value.field) == ("version_same_day",
                                                                 "effective_from")
    assert "“2027.1” already comes into force on 01/01/2027" in refused.value.service_message
    assert not AuthorityMatrixVersion.objects.filter(version="2027.1b").exists()


@pytest.mark.django_db
def test_a_position_or_priority_refused_lists_what_may_be_written():
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        services.authority_rule_clean({"position": "boss", "priority": "normal"})
    assert refused.value.service_message == (
        "Position: write one of head (Head), deputy (Deputy), staff (Staff), not “boss”.")


@pytest.mark.django_db
def test_a_version_holds_its_rules_whole_with_a_product_and_is_audited(world):
    from decimal import Decimal

    from thuocdo.tasks import services as tasks

    tasks.product_create(code="BC", name="Báo cáo", coefficient=Decimal("1"))
    row = services.authority_matrix_add(
        actor=world.user("admin"), version="2027.1", effective_from=dt.date(2027, 1, 1),
        rules=[{"position": "staff", "priority": "normal"},
               {"position": "staff", "priority": "urgent", "product": "BC"},
               {"position": "staff", "priority": "normal", "product": "*"}],
        basis="QĐ 12/2026")
    matrix = authority_matrix(dt.date(2027, 1, 1))
    assert matrix.rows == frozenset({Competence("staff", "normal"),
                                     Competence("staff", "urgent", "BC")})
    assert matrix.may_decide("staff", "urgent", "BC")
    assert not matrix.may_decide("staff", "urgent", "TT")
    entry = AuditEntry.objects.get(action="authority_matrix_save", object_code="2027.1")
    assert entry.actor == world.user("admin")
    assert entry.changes == {
        "rules": [{"position": "staff", "priority": "normal", "product": "*"},
                  {"position": "staff", "priority": "urgent", "product": "BC"}],
        "effective_from": "2027-01-01", "basis": "QĐ 12/2026"}
    assert row.rules.count() == 2


# -- removing a version: only one no computed month may have used -------------------------


@pytest.mark.django_db
def test_a_version_no_computed_month_used_may_be_removed_audited(world):
    stored_signal(world, "2026-10")
    mistake = services.authority_matrix_add(version="oops", effective_from=dt.date(2026, 11, 1),
                                            rules=[{"position": "head", "priority": "urgent"}])
    assert not services.authority_matrix_in_use(mistake)
    services.authority_matrix_remove(actor=world.user("admin"), row=mistake)
    assert not AuthorityMatrixVersion.objects.filter(version="oops").exists()
    assert not AuthorityRule.objects.filter(matrix_id=mistake.pk).exists()
    entry = AuditEntry.objects.get(action="authority_matrix_remove", object_code="oops")
    assert entry.changes["rules"] == [{"position": "head", "priority": "urgent",
                                       "product": "*"}]


@pytest.mark.django_db
def test_a_version_a_computed_month_may_have_used_stays(world):
    """Signals raised under it, or in force before the first month not computed (signals
    stored before the matrix had versions name none): it stays."""
    first = AuthorityMatrixVersion.objects.get(version="2026.1")
    assert not services.authority_matrix_in_use(first)  # nothing computed yet
    stored_signal(world, "2026-10")  # computed before versions: names no matrix
    assert services.authority_matrix_in_use(first)
    later = services.authority_matrix_add(version="2026.2", effective_from=dt.date(2026, 11, 1),
                                          rules=[])
    stored_signal(world, "2026-11", authority="2026.2")
    for row in (first, later):
        with pytest.raises(ServiceError) as refused:
            services.authority_matrix_remove(row=row)
        assert refused.value.service_code == "authority_matrix_in_use"
    assert AuthorityMatrixVersion.objects.count() == 2
    future = services.authority_matrix_add(version="2027.1",
                                           effective_from=dt.date(2027, 1, 1), rules=[])
    SignalRecord.objects.filter(period="2026-11").update(authority="2027.1")
    assert services.authority_matrix_in_use(future)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["authority", "thresholds"])
def test_whether_a_version_is_in_use_is_looked_up_in_an_index(field):
    """`authority_matrix_in_use` and `threshold_set_in_use` ask whether a stored signal
    names the version: a lookup in an index, not a scan of every signal (a month of a city
    stores a hundred thousand)."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan is read as SQLite words it")
    plan = SignalRecord.objects.filter(**{field: "2026.1"}).only("pk")[:1].explain()
    assert f"INDEX acc_signal_{field} " in plan, plan


# -- the admin ------------------------------------------------------------------------------


def _post(client, **fields):
    data = {"version": "2027.1", "effective_from": "2027-01-01", "basis": "",
            "any_product": [], "one_product": "", **fields}
    return client.post(reverse("admin:accountability_authoritymatrixversion_add"), data)


@pytest.mark.django_db
def test_the_admin_list_says_which_version_is_in_force_and_each_ones_rules(
        world, client_for, settings):
    settings.LANGUAGE_CODE = "en"
    today = timezone.localdate()
    services.authority_matrix_add(version="next", effective_from=today + dt.timedelta(days=40),
                                  rules=[])
    client = client_for(world.user("admin"))
    page = client.get(reverse("admin:accountability_authoritymatrixversion_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "the version in force on its last day" in html
    rows = {row.version: row for row in page.context["cl"].result_list}
    admin = page.context["cl"].model_admin
    assert admin.status(rows["2026.1"]) == "in force"
    assert admin.status(rows["next"]) == "not yet in force"
    assert "Staff: Normal (any product)" in html
    assert "No rule: nobody decides a matter alone." in html
    assert "No version is in force today" not in html
    services.authority_matrix_add(version="now", effective_from=today, rules=[])
    page = client.get(reverse("admin:accountability_authoritymatrixversion_changelist"))
    rows = {row.version: row for row in page.context["cl"].result_list}
    assert admin.status(rows["2026.1"]) == "replaced"
    assert admin.status(rows["now"]) == "in force"
    assert "The version in force today has no rule" in page.content.decode()


@pytest.mark.django_db
def test_the_admin_adds_a_version_from_a_copy_of_the_one_in_force(world, client_for):
    from decimal import Decimal

    from thuocdo.tasks import services as tasks

    tasks.product_create(code="BC", name="Báo cáo", coefficient=Decimal("1"))
    first = AuthorityMatrixVersion.objects.get()
    services.authority_matrix_remove(row=first)
    services.authority_matrix_add(version="2026.1", effective_from=dt.date(2026, 1, 1),
                                  rules=[{"position": "staff", "priority": "normal"},
                                         {"position": "deputy", "priority": "urgent",
                                          "product": "BC"}])
    client = client_for(world.user("admin"))
    form = client.get(reverse("admin:accountability_authoritymatrixversion_add")
                      ).context["adminform"].form
    assert form.initial["any_product"] == ["staff:normal"]
    assert form.initial["one_product"] == "deputy, urgent, BC"
    response = _post(client, version="2027.1", basis="QĐ 5/2026",
                     any_product=["staff:normal", "head:urgent"],
                     one_product="deputy, urgent, BC\n\n staff , collective , BC ")
    assert response.status_code == 302
    added = authority_matrix(dt.date(2027, 1, 1))
    assert (added.version, added.rows) == ("2027.1", frozenset({
        Competence("staff", "normal"), Competence("head", "urgent"),
        Competence("deputy", "urgent", "BC"), Competence("staff", "collective", "BC")}))
    entry = AuditEntry.objects.get(action="authority_matrix_save", object_code="2027.1")
    assert entry.actor == world.user("admin") and entry.changes["basis"] == "QĐ 5/2026"
    # The next version starts from 2027.1, saved though not in force yet: starting from the
    # one in force today would drop its changes (found on a walk).
    form = client.get(reverse("admin:accountability_authoritymatrixversion_add")
                      ).context["adminform"].form
    assert sorted(form.initial["any_product"]) == ["head:urgent", "staff:normal"]
    assert form.initial["one_product"] == "deputy, urgent, BC\nstaff, collective, BC"


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_line_or_a_computed_month_naming_what_to_write(
        world, client_for, settings):
    from decimal import Decimal

    from thuocdo.tasks import services as tasks

    settings.LANGUAGE_CODE = "en"
    tasks.product_create(code="BC", name="Báo cáo", coefficient=Decimal("1"))
    client = client_for(world.user("admin"))
    bad = _post(client, one_product="staff, normal, BC\nstaff urgent BC")
    assert bad.status_code == 200
    assert bad.context["adminform"].form.errors["one_product"] == [
        "Line 2: write a position, a priority and a product code, separated by commas, "
        "e.g. “staff, urgent, BC”."]
    unknown = _post(client, one_product="staff, urgent, NOPE")
    assert unknown.context["adminform"].form.errors["one_product"] == [
        "Line 1: Product: no product has the code “NOPE”."]
    stored_signal(world, "2026-10", authority="2026.1")
    late = _post(client, effective_from="2026-10-15", any_product=["staff:normal"])
    assert late.status_code == 200
    assert "01/11/2026" in str(late.context["adminform"].form.errors["effective_from"])
    assert AuthorityMatrixVersion.objects.count() == 1
    assert not AuditEntry.objects.filter(action="authority_matrix_save").exists()


@pytest.mark.django_db
def test_a_saved_version_is_only_read_and_removed_only_by_a_superuser_while_unused(
        world, client_for):
    client = client_for(world.user("admin"))
    first = AuthorityMatrixVersion.objects.get()
    change = reverse("admin:accountability_authoritymatrixversion_change", args=[first.pk])
    page = client.get(change)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="any_product"' not in html and "Chuyên viên: Thông thường" in html
    assert client.post(change, {"version": "2026.1", "effective_from": "1900-01-01",
                                "any_product": []}).status_code == 403
    assert AuthorityMatrixVersion.objects.get().rules.count() == len(DEFAULT_ROWS)

    stored_signal(world, "2026-10")
    delete = reverse("admin:accountability_authoritymatrixversion_delete", args=[first.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    mistake = services.authority_matrix_add(version="oops", effective_from=dt.date(2027, 1, 1),
                                            rules=[])
    delete = reverse("admin:accountability_authoritymatrixversion_delete", args=[mistake.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert AuditEntry.objects.filter(action="authority_matrix_remove",
                                     object_code="oops").exists()


@pytest.mark.django_db
def test_staff_allowed_only_to_view_may_not_add_change_or_remove(world, client_for):
    from django.contrib.auth.models import Permission

    user = world.user("board")
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_authoritymatrixversion"))
    client = client_for(user)
    assert client.get(reverse(
        "admin:accountability_authoritymatrixversion_changelist")).status_code == 200
    assert _post(client, any_product=["staff:normal"]).status_code == 403
    mistake = services.authority_matrix_add(version="oops", effective_from=dt.date(2027, 1, 1),
                                            rules=[])
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["add_authoritymatrixversion", "delete_authoritymatrixversion"]))
    client = client_for(type(user).objects.get(pk=user.pk))
    delete = reverse("admin:accountability_authoritymatrixversion_delete", args=[mistake.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuthorityMatrixVersion.objects.filter(version="oops").exists()
    assert client_for(None).get(reverse(
        "admin:accountability_authoritymatrixversion_changelist")).status_code == 302


# -- the migrations -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migrations_give_the_rules_stored_to_a_first_version_and_back():
    """Forward (0007-0009): the rules in the table, a product's included, or none, become
    the first version, in force from 01/01/1900. Back: the table holds the rules of the
    version in force today again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("accountability", "0006_authority_matrix_stored_whole")]

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(target)
        return executor.loader.project_state(target).apps

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("accountability")
    old = migrate(before)
    rule = old.get_model("accountability", "AuthorityRule")
    product = old.get_model("tasks", "Product").objects.create(code="BC-MIG", name="Báo cáo")
    rule.objects.all().delete()
    rule.objects.create(position="head", priority="collective")
    rule.objects.create(position="staff", priority="urgent", product=product)
    migrate(latest)
    first = AuthorityMatrixVersion.objects.get()
    assert (first.version, first.effective_from) == ("2026.1", dt.date(1900, 1, 1))
    assert authority_matrix(dt.date(2026, 10, 31)).rows == frozenset({
        Competence("head", "collective"), Competence("staff", "urgent", "BC-MIG")})

    services.authority_matrix_add(version="later", effective_from=dt.date(2999, 1, 1),
                                  rules=[])
    old = migrate(before)
    rule = old.get_model("accountability", "AuthorityRule")
    assert sorted(rule.objects.values_list("position", "priority", "product__code")) == [
        ("head", "collective", None), ("staff", "urgent", "BC-MIG")]
    rule.objects.all().delete()
    migrate(latest)
    empty = AuthorityMatrixVersion.objects.get()
    assert empty.version == "2026.1" and not empty.rules.exists()
    assert not authority_matrix(dt.date(2026, 10, 31)).rows
