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
        from customers.models import Activity
        from kernel import describers

        from .responses.selectors import quiz_activity_texts, quiz_answer_texts
        from .views import home_panel_context

        panels.register_home(panels.AccountPanel(
            name="quizzes", template="quizzes/home_panel.html", context=home_panel_context,
            order=20))
        describers.register_activity(Activity.Kind.QUIZ_COMPLETED, quiz_activity_texts)
        describers.register_answer("quiz", quiz_answer_texts)
