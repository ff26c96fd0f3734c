"""The value model: its fits, what it predicts per customer, and its settings (the CLV
lifetime becomes the CLV horizon)."""

import django.core.validators
from decimal import Decimal
from django.db import migrations, models


def half_empty_pages(apps, schema_editor):
    # The nightly recompute updates every score: with room on each page PostgreSQL updates in
    # place (HOT: no index write, last night's row version pruned as the page fills).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE customers_customerscore SET (fillfactor = 50)")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE customers_customerscore RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_order_versions_shop_currency_known_emails'),
    ]

    operations = [
        migrations.CreateModel(
            name='ValueModelFit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateTimeField(db_index=True, verbose_name='as of')),
                ('status', models.CharField(choices=[('fitted', 'Fitted'), ('too_little_history', 'Too little history'), ('failed', 'Could not be fitted'), ('off', 'Turned off')], max_length=24, verbose_name='status')),
                ('detail', models.JSONField(blank=True, default=dict, help_text='Why the rules predict instead of the model: what the shop has and what the model needs, or why the fit failed.', verbose_name='detail')),
                ('buyers', models.PositiveIntegerField(default=0, verbose_name='customers with orders')),
                ('repeat_buyers', models.PositiveIntegerField(default=0, verbose_name='customers with repeat orders')),
                ('sample', models.PositiveIntegerField(default=0, help_text='The fit uses a random sample of at most 50,000 customers; everyone is scored.', verbose_name='customers fitted')),
                ('r', models.FloatField(blank=True, null=True)),
                ('alpha', models.FloatField(blank=True, null=True)),
                ('a', models.FloatField(blank=True, null=True)),
                ('b', models.FloatField(blank=True, null=True)),
                ('p', models.FloatField(blank=True, null=True)),
                ('q', models.FloatField(blank=True, null=True)),
                ('gamma', models.FloatField(blank=True, null=True)),
                ('seconds', models.FloatField(default=0, verbose_name='fit and scoring (s)')),
                ('backtest', models.JSONField(blank=True, default=dict, verbose_name='backtest')),
            ],
            options={
                'verbose_name': 'value model fit',
                'verbose_name_plural': 'value model fits',
                'ordering': ['-as_of', '-id'],
            },
        ),
        migrations.RenameField(
            model_name='segmentsettings',
            old_name='clv_lifetime_years',
            new_name='clv_horizon_years',
        ),
        migrations.AddField(
            model_name='customerscore',
            name='expected_order_value',
            field=models.DecimalField(blank=True, decimal_places=2, help_text="Gamma-Gamma: the shop's average order value, moved toward the customer's own with each repeat order.", max_digits=14, null=True, verbose_name='expected order value'),
        ),
        migrations.AddField(
            model_name='customerscore',
            name='expected_orders_365d',
            field=models.FloatField(blank=True, null=True, verbose_name='expected orders, next 365 days'),
        ),
        migrations.AddField(
            model_name='customerscore',
            name='expected_orders_90d',
            field=models.FloatField(blank=True, null=True, verbose_name='expected orders, next 90 days'),
        ),
        migrations.AddField(
            model_name='customerscore',
            name='p_alive',
            field=models.FloatField(blank=True, help_text="How likely the customer still buys here (BG/NBD). Empty for a single order, which the model can't judge, and without the model.", null=True, verbose_name='probability alive'),
        ),
        migrations.AddField(
            model_name='segmentsettings',
            name='at_risk_below_p_alive',
            field=models.PositiveSmallIntegerField(default=50, help_text='With the value model, a customer with repeat orders is at risk when the probability that they are still a customer falls below this.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='at risk below P(alive) (%)'),
        ),
        migrations.AddField(
            model_name='segmentsettings',
            name='backtest_weeks',
            field=models.PositiveSmallIntegerField(default=26, help_text="The overview's backtest fits the model on all but the last this-many weeks of orders and compares what it predicted for those weeks with what happened.", validators=[django.core.validators.MinValueValidator(4), django.core.validators.MaxValueValidator(104)], verbose_name='backtest weeks'),
        ),
        migrations.AddField(
            model_name='segmentsettings',
            name='clv_discount_rate',
            field=models.DecimalField(decimal_places=1, default=Decimal('10'), help_text="Money spent later is worth less today: each month's expected spend is discounted at this yearly rate (the value model only).", max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='discount rate (% a year)'),
        ),
        migrations.AlterField(
            model_name='segmentsettings',
            name='clv_horizon_years',
            field=models.DecimalField(decimal_places=1, default=Decimal('3'), help_text='Predicted CLV is what a customer will spend over this many years. With the value model: the orders it expects each month times the order value it expects, discounted. Without it: average order value × orders per year so far × this.', max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0.1')), django.core.validators.MaxValueValidator(Decimal('20'))], verbose_name='CLV horizon (years)'),
        ),
        migrations.AddField(
            model_name='segmentsettings',
            name='lapsed_below_p_alive',
            field=models.PositiveSmallIntegerField(default=20, help_text="…and lapsed below this. Customers with a single order keep the day rules above: the model can't tell whether they have left.", validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='lapsed below P(alive) (%)'),
        ),
        migrations.AddField(
            model_name='segmentsettings',
            name='value_model_enabled',
            field=models.BooleanField(default=True, help_text="Fit a buy-till-you-die model (BG/NBD for orders, Gamma-Gamma for order value) to the shop's own orders at every recompute, and use it for probability alive, expected orders, predicted CLV and the at-risk and lapsed stages. It is used only where the shop has enough history; otherwise the rules above apply, and the overview says why.", verbose_name='predict with the value model'),
        ),
        migrations.RunPython(half_empty_pages, full_pages),
    ]
