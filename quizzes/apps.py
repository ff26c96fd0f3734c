from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self):
        from customers.account_panels import AccountPanel, register

        from . import receivers  # noqa: F401
        from .views import recommendations_panel

        register(AccountPanel(name="recommendations", template="quizzes/account_panel.html",
                              context=recommendations_panel, order=30))
