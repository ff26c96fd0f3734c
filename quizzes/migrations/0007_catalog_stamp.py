"""The catalog's stamp (quizzes.models.CatalogStamp): a row whose token triggers on the product
table change on every write. On PostgreSQL one trigger per statement (a bulk update or an
import sets it once), on SQLite one per row (SQLite has no statement triggers)."""

from django.db import migrations, models

POSTGRESQL = ["""
CREATE FUNCTION quizzes_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO quizzes_catalogstamp (id, token) VALUES (1, gen_random_uuid()::text)
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END $$;
CREATE TRIGGER quizzes_product_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON quizzes_product
    FOR EACH STATEMENT EXECUTE FUNCTION quizzes_catalog_changed();
"""]
POSTGRESQL_REVERSE = ["""
DROP TRIGGER IF EXISTS quizzes_product_changed ON quizzes_product;
DROP FUNCTION IF EXISTS quizzes_catalog_changed();
"""]
SQLITE = [
    f"CREATE TRIGGER quizzes_product_{event.lower()}d AFTER {event} ON quizzes_product BEGIN"
    " INSERT OR REPLACE INTO quizzes_catalogstamp (id, token)"
    " VALUES (1, lower(hex(randomblob(16)))); END"
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS quizzes_product_{event}d"
                  for event in ("insert", "update", "delete")]


def _execute(schema_editor, postgresql: list[str], sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    for statement in postgresql if vendor == "postgresql" else sqlite:
        schema_editor.execute(statement)


def triggers_add(apps, schema_editor):
    _execute(schema_editor, POSTGRESQL, SQLITE)


def triggers_remove(apps, schema_editor):
    _execute(schema_editor, POSTGRESQL_REVERSE, SQLITE_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('quizzes', '0006_product_variant_id'),
    ]

    operations = [
        migrations.CreateModel(
            name='CatalogStamp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(max_length=64)),
            ],
        ),
        migrations.RunPython(triggers_add, triggers_remove),
    ]
