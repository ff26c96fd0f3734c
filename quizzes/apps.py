from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self):
        from kernel import panels

        from . import receivers  # noqa: F401
        from .views import recommendations_panel

        panels.register(panels.AccountPanel(
            name="recommendations", template="quizzes/account_panel.html",
            context=recommendations_panel, order=30,
        ))
