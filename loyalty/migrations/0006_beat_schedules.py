"""Default beat schedules for loyalty's periodic tasks. Rows are matched by name, so staff can
change times in admin (Periodic tasks) and re-running this migration keeps the name's row."""

from django.db import migrations

SCHEDULES = [
    # name, task, minute, hour
    ("loyalty: release held points", "loyalty.release_points", "15", "*"),
    ("loyalty: expire points", "loyalty.expire_points", "30", "2"),
    ("loyalty: send expiry reminders", "loyalty.send_expiry_reminders", "0", "9"),
    ("loyalty: birthday points", "loyalty.award_birthday_points", "5", "0"),
    ("loyalty: expire vouchers", "loyalty.expire_vouchers", "45", "2"),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "interval": None,
                                 "enabled": True},
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[row[0] for row in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0005_earning_rule_conditions_expiry_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
