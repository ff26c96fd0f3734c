"""The default schedule of the segments tasks, as rows staff can edit in admin."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour)
    ("Recompute segments nightly", "customers.tasks.segments_recompute_task", ("15", "3")),
    ("Retry due outbound webhooks", "customers.tasks.outbound_deliveries_due_task", ("*/5", "*")),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour) in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True},
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _t, _c in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_segments_scores_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
