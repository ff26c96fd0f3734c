"""Quizzes reacting to the profile: a new account picks up the quizzes taken with its email."""

from django.dispatch import receiver

from customers.models import Activity
from customers.signals import activity_recorded

from . import response_services


@receiver(activity_recorded, dispatch_uid="quizzes_attach_responses_on_signup")
def attach_responses_on_signup(sender, *, activity, **kwargs):
    if activity.kind == Activity.Kind.ACCOUNT_CREATED:
        response_services.quiz_responses_attach(customer=activity.customer)
