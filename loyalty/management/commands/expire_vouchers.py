from django.core.management.base import BaseCommand

from loyalty.tasks import expire_vouchers_task


class Command(BaseCommand):
    help = ("Mark issued vouchers past their date as expired (run daily)."
            " Idempotent: safe to run again.")

    def handle(self, *args, **options):
        done = expire_vouchers_task.run()
        self.stdout.write(self.style.SUCCESS(f"{done} vouchers marked expired."))
