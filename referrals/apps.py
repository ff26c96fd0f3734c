from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from . import receivers  # noqa: F401
        from .panels import register_referral_panel

        register_referral_panel()

        # NPS surveys (referrals/nps): Celery tasks and the account page's feedback panel.
        from customers import account_panels
        from referrals.nps import tasks  # noqa: F401
        from referrals.nps.panels import PANEL as nps_panel

        account_panels.register(nps_panel)
