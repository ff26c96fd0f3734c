"""The NPS survey's default beat schedule, as rows staff can edit in admin (Periodic tasks)."""

from django.db import migrations

TASK_NAME = "NPS: send due survey invitations"
TASK = "referrals.nps_invitations_send_due"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _created = CrontabSchedule.objects.get_or_create(
        minute="15", hour="*", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={"task": TASK, "crontab": hourly, "enabled": True,
                  "description": "Every hour at :15, email the NPS survey for orders paid "
                                 "the survey's delay ago (manage.py send_nps_invitations)."},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_nps_surveys"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
