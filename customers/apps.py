from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from kernel.emails import email_context_register

        from . import checks, receivers  # noqa: F401
        from .context import email_branding

        email_context_register(email_branding)
