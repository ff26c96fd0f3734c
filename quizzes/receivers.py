"""Quizzes reacting to the profile: a new account, or a shopper signing in, picks up the quizzes
taken with their email or in their browser."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from customers.models import Activity
from customers.signals import activities_recorded, customer_erased, customer_export_requested
from kernel.shoppers import login_customer

from .models import QuizVersion
from .responses import services as response_services
from .responses.selectors import quiz_definition_forget
from .views import SESSION_KEY


@receiver(activities_recorded, dispatch_uid="quizzes_attach_responses_on_signup")
def attach_responses_on_signup(sender, *, activities, **kwargs):
    """New accounts take the quizzes they answered with their email before they had one."""
    response_services.quiz_responses_attach_many(customers=[
        activity.customer for activity in activities
        if activity.kind == Activity.Kind.ACCOUNT_CREATED])


@receiver(user_logged_in, dispatch_uid="quizzes_attach_session_responses_on_login")
def attach_session_responses_on_login(sender, *, request, user, **kwargs):
    """A shopper who took a quiz anonymously and then signs up or logs in, in the same
    browser, keeps it: the responses in their session become theirs."""
    customer = login_customer(user)
    tokens = list((request.session.get(SESSION_KEY) or {}).values()) if request else []
    if customer is not None and tokens:
        response_services.quiz_responses_attach(customer=customer, tokens=tokens)


@receiver(post_save, sender=QuizVersion, dispatch_uid="quizzes_version_saved")
@receiver(post_delete, sender=QuizVersion, dispatch_uid="quizzes_version_deleted")
def version_changed(sender, *, instance, **kwargs):
    """Versions are frozen copies; should one be saved again, its parsed copy goes."""
    quiz_definition_forget(version_id=instance.pk)


@receiver(customer_export_requested, dispatch_uid="quizzes_export")
def export_responses(sender, *, customer, **kwargs):
    from .responses.selectors import quiz_responses_export

    return quiz_responses_export(customer=customer)


@receiver(customer_erased, dispatch_uid="quizzes_erase_personal_data")
def erase_personal_data(sender, *, customer, emails=(), **kwargs):
    response_services.quiz_personal_data_erase(customer=customer, emails=emails)

