"""The default schedule of the referral reward job, as editable django-celery-beat rows."""

from django.db import migrations

TASK_NAME = "referrals: reward referrals past their hold"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="15", hour="*", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "referrals.tasks.referrals_reward_due_task", "crontab": crontab,
            "enabled": True,
            "description": "Hourly: reward pending referrals whose hold has passed and expire "
                           "sign-ups past the attribution window. Same as "
                           "`manage.py referrals_reward_due`.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0002_flagged_referral_queue"),
        ("django_celery_beat", "0018_improve_crontab_helptext"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
