from django.core.management.base import BaseCommand

from loyalty.tasks import award_birthday_points_task


class Command(BaseCommand):
    help = ("Record today's birthdays once a year; the birthday rule awards the points (run daily)."
            " Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = award_birthday_points_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} birthdays recorded."))
