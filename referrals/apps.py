from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from kernel import panels

        from . import checks, receivers  # noqa: F401
        from .nps import tasks  # noqa: F401  (NPS surveys, referrals/nps: their Celery tasks)
        from .nps.panels import PANEL as nps_panel
        from .panels import PANEL as referral_panel

        panels.register(referral_panel)
        panels.register(nps_panel)
        from kernel import describers

        from .selectors.referrals import referral_activity_texts

        describers.register_activity("referral_converted", referral_activity_texts)
