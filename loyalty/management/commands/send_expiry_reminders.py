from django.core.management.base import BaseCommand

from loyalty.tasks import send_expiry_reminders_task


class Command(BaseCommand):
    help = ("Email customers whose points expire soon, once per expiry date (run daily)."
            " Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = send_expiry_reminders_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} customers reminded."))
