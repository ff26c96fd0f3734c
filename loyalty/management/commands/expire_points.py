from django.core.management.base import BaseCommand

from loyalty.tasks import expire_points_task


class Command(BaseCommand):
    help = ("Expire the points due under the program's expiry rule, oldest first (run daily)."
            " Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = expire_points_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} points expired."))
