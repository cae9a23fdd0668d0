"""The visitor rows become a model of their own (the same table, ``outreach_visit_visitors``)
carrying copies of the visit's unit path, date and state, and the visits and the visitor rows
their first-row marks (``visits/rules.py``), so that the counts read one table each without a
DISTINCT; the stored totals by group of units and month (``VisitTally``), and by group and
category (``VisitCategoryTally``), are counted from the marks. The backfill is one UPDATE ... FROM per table, then two grouped queries per level."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr, TruncMonth

# Frozen here (the services keep their own copy): bits 1 .. LEVELS, see visits/rules.py.
LEVELS = 12
STEP = 4
TALLIED = (2, 3)


def _marks(key: str, month: str | None, deepest: int) -> str:
    bits = []
    for k in range(1, LEVELS + 1):
        steps = min(k, deepest) * STEP
        extra = f", {month}" if month else ""
        bits.append(
            f"CASE WHEN row_number() OVER (PARTITION BY {key}, c, substr(org_path, 1, {steps})"
            f"{extra} ORDER BY id) = 1 THEN {1 << k} ELSE 0 END"
        )
    return "CASE WHEN c = 1 THEN " + " + ".join(bits) + " ELSE 0 END"


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        month = "date_trunc('month', visited_on)"
    else:
        month = "strftime('%Y-%m', visited_on)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT max(length(org_path)) FROM outreach_visit")
        (longest,) = cursor.fetchone()
        if not longest:
            return
        deepest = max(1, -(-longest // STEP))
        # Only the frozen table and column names and numbers above are inlined.
        cursor.execute(
            "UPDATE outreach_visit_visitors SET org_path = s.org_path, "  # noqa: S608
            "visited_on = s.visited_on, state = s.state, first = s.f, first_month = s.fm "
            f"FROM (SELECT id, org_path, visited_on, state, {_marks('member_id', None, deepest)} "
            f"AS f, {_marks('member_id', month, deepest)} AS fm FROM ("
            "SELECT vv.id, vv.member_id, v.org_path, v.visited_on, v.state, "
            "CASE WHEN v.state <> 'returned' THEN 1 ELSE 0 END AS c "
            "FROM outreach_visit_visitors vv JOIN outreach_visit v ON v.id = vv.visit_id) r) s "
            "WHERE outreach_visit_visitors.id = s.id"
        )
        cursor.execute(
            "UPDATE outreach_visit SET first_needy = s.f, first_needy_month = s.fm "  # noqa: S608
            f"FROM (SELECT id, {_marks('needy_id', None, deepest)} AS f, "
            f"{_marks('needy_id', month, deepest)} AS fm FROM ("
            "SELECT id, needy_id, org_path, visited_on, CASE WHEN state <> 'returned' "
            "AND target_kind = 'needy' THEN 1 ELSE 0 END AS c FROM outreach_visit) r) s "
            "WHERE outreach_visit.id = s.id AND (s.f <> 0 OR s.fm <> 0)"
        )


def tallies(apps, schema_editor):
    """The stored totals of every group of units at each tallied level and month."""
    visit_model = apps.get_model("outreach", "Visit")
    visitor_model = apps.get_model("outreach", "VisitVisitor")
    tally_model = apps.get_model("outreach", "VisitTally")
    category_model = apps.get_model("outreach", "VisitCategoryTally")
    for level in TALLIED:
        own, above = 1 << level, 1 << (level - 1)
        group = {"k": Substr("org_path", 1, level * STEP), "m": TruncMonth("visited_on")}
        out = {}
        for r in (
            visit_model.objects.exclude(state="returned")
            .annotate(**group)
            .values("k", "m")
            .annotate(
                n=Count("id"),
                c=Count("id", filter=Q(state="confirmed")),
                h=Sum(F("first_needy").bitand(own)),
                ha=Sum(F("first_needy").bitand(above)),
                hm=Sum(F("first_needy_month").bitand(above)),
            )
            .order_by()
        ):
            out[(r["k"], r["m"])] = tally_model(
                level=level,
                key=r["k"],
                month=r["m"],
                visits=r["n"],
                confirmed=r["c"],
                households=(r["h"] or 0) // own,
                households_above=(r["ha"] or 0) // above,
                households_month=(r["hm"] or 0) // above,
            )
        for r in (
            visitor_model.objects.exclude(state="returned")
            .annotate(**group)
            .values("k", "m")
            .annotate(
                p=Sum(F("first").bitand(own)),
                pa=Sum(F("first").bitand(above)),
                pm=Sum(F("first_month").bitand(above)),
            )
            .order_by()
        ):
            tally = out.get((r["k"], r["m"]))
            if tally is not None:
                tally.members = (r["p"] or 0) // own
                tally.members_above = (r["pa"] or 0) // above
                tally.members_month = (r["pm"] or 0) // above
        tally_model.objects.bulk_create(out.values(), batch_size=2000)
        category_model.objects.bulk_create(
            (
                category_model(
                    level=level,
                    key=r["k"],
                    category_id=r["cat"],
                    visits=r["n"],
                    households_above=(r["h"] or 0) // above,
                )
                for r in visit_model.objects.exclude(state="returned")
                .filter(target_kind="needy", needy__isnull=False)
                .annotate(k=Substr("org_path", 1, level * STEP), cat=F("needy__categories"))
                .filter(cat__isnull=False)
                .values("k", "cat")
                .annotate(n=Count("id"), h=Sum(F("first_needy").bitand(above)))
                .order_by()
            ),
            batch_size=2000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("outreach", "0002_seed_categories"),
    ]

    operations = [
        # The automatic link table becomes the model VisitVisitor, unchanged in the database.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VisitVisitor",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "member",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="members.member",
                            ),
                        ),
                        (
                            "visit",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="outreach.visit",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "走访党员",
                        "verbose_name_plural": "走访党员",
                        "db_table": "outreach_visit_visitors",
                        "unique_together": {("visit", "member")},
                    },
                ),
                migrations.AlterField(
                    model_name="visit",
                    name="visitors",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="+",
                        through="outreach.VisitVisitor",
                        to="members.member",
                        verbose_name="走访党员",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="visitvisitor",
            name="org_path",
            field=models.CharField(default="", editable=False, max_length=255),
        ),
        migrations.AddField(
            model_name="visitvisitor",
            name="visited_on",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="visitvisitor",
            name="state",
            field=models.CharField(
                choices=[("recorded", "待确认"), ("confirmed", "已确认"), ("returned", "已退回")],
                default="recorded",
                editable=False,
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="visitvisitor",
            name="first",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="visitvisitor",
            name="first_month",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="visit",
            name="first_needy",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="visit",
            name="first_needy_month",
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.CreateModel(
            name="VisitTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("level", models.PositiveSmallIntegerField()),
                ("key", models.CharField(max_length=255)),
                ("month", models.DateField()),
                ("visits", models.IntegerField(default=0)),
                ("confirmed", models.IntegerField(default=0)),
                ("households", models.IntegerField(default=0)),
                ("households_above", models.IntegerField(default=0)),
                ("households_month", models.IntegerField(default=0)),
                ("members", models.IntegerField(default=0)),
                ("members_above", models.IntegerField(default=0)),
                ("members_month", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "走访统计",
                "verbose_name_plural": "走访统计",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("level", "key", "month"), name="visit_tally_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VisitCategoryTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("level", models.PositiveSmallIntegerField()),
                ("key", models.CharField(max_length=255)),
                ("visits", models.IntegerField(default=0)),
                ("households_above", models.IntegerField(default=0)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="outreach.needycategory",
                    ),
                ),
            ],
            options={
                "verbose_name": "按类别走访统计",
                "verbose_name_plural": "按类别走访统计",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("level", "key", "category"), name="visit_category_tally_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(tallies, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(
                fields=["org_path"],
                include=("visited_on", "state", "first_needy", "first_needy_month"),
                name="visit_counts",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.AddIndex(
            model_name="visitvisitor",
            index=models.Index(
                fields=["org_path"],
                include=("visited_on", "first", "first_month"),
                name="visit_visitor_counts",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
    ]
