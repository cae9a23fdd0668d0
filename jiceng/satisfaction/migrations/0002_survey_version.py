"""The version of a survey's questions, kept by the database (issue 21: the public page keeps
the questions and its rendered form per process under (survey, version)).

Any insert, update or delete of a question adds one to its survey's ``version``, whatever made
it (a service, the admin, a bulk update, a test changing rows directly), and the survey's row
refuses to let it go back: a stale copy of the row saved again keeps the higher number, so a
number once seen always means the same questions."""

from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION satisfaction_question_bump() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE satisfaction_satisfactionsurvey SET version = version + 1
        WHERE id = OLD.survey_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.survey_id <> OLD.survey_id) THEN
        UPDATE satisfaction_satisfactionsurvey SET version = version + 1
        WHERE id = NEW.survey_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER satisfaction_question_bump AFTER INSERT OR UPDATE OR DELETE
    ON satisfaction_question FOR EACH ROW EXECUTE FUNCTION satisfaction_question_bump();
CREATE OR REPLACE FUNCTION satisfaction_survey_version_kept() RETURNS trigger AS $$
BEGIN
    IF NEW.version < OLD.version THEN
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER satisfaction_survey_version_kept BEFORE UPDATE
    ON satisfaction_satisfactionsurvey FOR EACH ROW
    EXECUTE FUNCTION satisfaction_survey_version_kept();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS satisfaction_question_bump ON satisfaction_question;
DROP FUNCTION IF EXISTS satisfaction_question_bump();
DROP TRIGGER IF EXISTS satisfaction_survey_version_kept ON satisfaction_satisfactionsurvey;
DROP FUNCTION IF EXISTS satisfaction_survey_version_kept();
"""
_BUMP = "UPDATE satisfaction_satisfactionsurvey SET version = version + 1 WHERE id = {row}.survey_id;"
SQLITE_UP = [
    f"""CREATE TRIGGER satisfaction_question_bump_insert AFTER INSERT ON satisfaction_question
        BEGIN {_BUMP.format(row="NEW")} END;""",
    f"""CREATE TRIGGER satisfaction_question_bump_update AFTER UPDATE ON satisfaction_question
        BEGIN {_BUMP.format(row="OLD")}
        UPDATE satisfaction_satisfactionsurvey SET version = version + 1
        WHERE id = NEW.survey_id AND NEW.survey_id <> OLD.survey_id; END;""",
    f"""CREATE TRIGGER satisfaction_question_bump_delete AFTER DELETE ON satisfaction_question
        BEGIN {_BUMP.format(row="OLD")} END;""",
    """CREATE TRIGGER satisfaction_survey_version_kept AFTER UPDATE OF version
        ON satisfaction_satisfactionsurvey WHEN NEW.version < OLD.version
        BEGIN UPDATE satisfaction_satisfactionsurvey SET version = OLD.version
        WHERE id = NEW.id; END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS satisfaction_question_bump_insert;",
    "DROP TRIGGER IF EXISTS satisfaction_question_bump_update;",
    "DROP TRIGGER IF EXISTS satisfaction_question_bump_delete;",
    "DROP TRIGGER IF EXISTS satisfaction_survey_version_kept;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("satisfaction", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="satisfactionsurvey",
            name="version",
            field=models.PositiveIntegerField(default=1, db_default=1, editable=False),
        ),
        migrations.RunPython(up, down),
    ]
