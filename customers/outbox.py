"""An e-mail backend that keeps every message in the outbox table, for staff to read in admin,
instead of sending it (`EMAIL_BACKEND=customers.outbox.OutboxBackend`: the demo's default)."""

from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        from customers.models import OutboxEmail

        rows = []
        for message in email_messages:
            html = next((content for content, mimetype in getattr(message, "alternatives", [])
                         if mimetype == "text/html"), "")
            rows.append(OutboxEmail(
                to=", ".join(message.recipients())[:1000], subject=str(message.subject)[:998],
                body=message.body, html=html, headers=dict(message.extra_headers or {})))
        OutboxEmail.objects.bulk_create(rows)
        return len(rows)
