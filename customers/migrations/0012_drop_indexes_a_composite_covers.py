"""Drop the single-column indexes on the customer of activities, orders and marketing
contacts: each table's composite index leads with the customer, so it serves the same
lookups, and every row written paid for both. Only the indexes go: Django's AlterField would
also drop and re-add the foreign keys, re-checking every row under a lock."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [  # (index, table): the names Django gave them on every database
    ("customers_activity_customer_id_2da340a2", "customers_activity"),
    ("customers_marketingcontact_customer_id_11f70c5e", "customers_marketingcontact"),
    ("customers_order_customer_id_032dd871", "customers_order"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0011_delivery_received_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{index}"',
                                  reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("customer_id")')
                for index, table in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='activity',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='customers.customer'),
                ),
                migrations.AlterField(
                    model_name='marketingcontact',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='marketing_contacts', to='customers.customer', verbose_name='customer'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='customer',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='customers.customer'),
                ),
            ],
        ),
    ]
