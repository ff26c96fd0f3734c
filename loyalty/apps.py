from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty")

    def ready(self):
        from kernel import panels

        from . import receivers  # noqa: F401
        from .views import account_panel_context

        panels.register(panels.AccountPanel(
            name="loyalty", template="loyalty/account_panel.html",
            context=account_panel_context, order=10, placement="before",
        ))
        from .views import home_panel_context

        panels.register_home(panels.AccountPanel(
            name="loyalty", template="loyalty/home_panel.html", context=home_panel_context,
            order=10))
