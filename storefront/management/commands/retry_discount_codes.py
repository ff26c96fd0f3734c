from django.core.management.base import BaseCommand

from storefront.tasks import discount_syncs_due_task


class Command(BaseCommand):
    help = ("Push again the discount codes whose retry is due (the beat job every five minutes; "
            "run it from cron without a broker). Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = discount_syncs_due_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} discount codes pushed again."))
