"""Drop the single-column index on a tier change's account: the composite index (account,
-created_at) leads with it. Only the index goes (AlterField would drop and re-add the foreign
key, re-checking every row)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "loyalty_tierchange_account_id_33c9dd71"  # the name Django gave it on every database


class Migration(migrations.Migration):

    dependencies = [
        ('loyalty', '0014_pointslot_due_idx_held_only'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{INDEX}"',
                reverse_sql=f'CREATE INDEX "{INDEX}" ON "loyalty_tierchange" ("account_id")')],
            state_operations=[migrations.AlterField(
                model_name='tierchange',
                name='account',
                field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='tier_changes', to='loyalty.loyaltyaccount', verbose_name='account'),
            )],
        ),
    ]
