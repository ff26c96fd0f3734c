from django.core.management.base import BaseCommand

from loyalty.tasks import release_points_task


class Command(BaseCommand):
    help = ("Make held points available once their return window has passed (run hourly)."
            " Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = release_points_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} lots released."))
