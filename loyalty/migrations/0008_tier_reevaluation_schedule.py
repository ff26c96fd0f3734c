"""The default beat schedule for the tier re-evaluation: 1 January, 00:30 UTC (the calendar
year's end; staff can change it in admin under Periodic tasks)."""

import json

from django.db import migrations

TASK_NAME = "loyalty: re-evaluate tiers"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30", hour="0", day_of_month="1", month_of_year="1", day_of_week="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "loyalty.reevaluate_tiers", "crontab": crontab,
            "args": json.dumps([]), "kwargs": json.dumps({}), "enabled": True,
            "description": "Moves customers up to what they qualify for and down once their "
                           "retention period or manual tier has ended. Same as "
                           "`manage.py evaluate_tiers`.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0007_tier_changes_manual_tier"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
