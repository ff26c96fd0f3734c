"""The NPS emails: the invitation to the customer and the detractor alert to staff. Called from
the tasks in tasks.py, after the transaction that caused them committed."""

from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from customers.models import MarketingContact, NpsCategory
from customers.services import marketing_email_send
from kernel.emails import email_send
from kernel.links import absolute_url

from .models import NpsFollowUp, NpsInvitation, NpsSurvey
from .services import nps_invitation_mark_sent
from .tokens import token_make


def nps_answer_url(*, invitation: NpsInvitation, score: int | None = None,
                   survey: NpsSurvey | None = None) -> str:
    """The absolute address of one of the invitation's score links: Flywheel's survey page, or
    the headless storefront's page when the survey names one."""
    token = token_make(invitation_id=invitation.pk, nonce=invitation.nonce, score=score)
    page = (survey or NpsSurvey.get()).answer_page_url
    if page and "{token}" in page:
        return page.replace("{token}", quote(token, safe=""))
    return absolute_url("nps_answer", token)


def nps_invitation_email_send(*, invitation_id: int) -> bool:
    """Send the invitation once, within the contact budget; False when it was already sent,
    expired or is gone, or the customer's budget is spent or they unsubscribed."""
    invitation = (NpsInvitation.objects.select_related("customer", "order")
                  .filter(pk=invitation_id, sent_at__isnull=True).first())
    if invitation is None or invitation.expires_at <= timezone.now():
        return False
    customer = invitation.customer
    if customer.erased_at is not None:
        return False
    survey = NpsSurvey.get()
    scores = [{"score": score,
               "url": nps_answer_url(invitation=invitation, score=score, survey=survey),
               "category": NpsCategory.for_score(score).value} for score in range(11)]
    if not marketing_email_send(
        customer=customer, kind=MarketingContact.Kind.NPS, key=f"nps:invitation:{invitation.pk}",
        to=customer.email, template="referrals/emails/nps_invitation",
        context={"customer": customer, "invitation": invitation, "order": invitation.order,
                 "question": invitation.question, "scores": scores},
    ):
        return False
    return nps_invitation_mark_sent(invitation=invitation)


def nps_follow_up_alert_send(*, follow_up_id: int) -> bool:
    """Email the staff address about a new detractor case (none when no address is set)."""
    if not settings.STAFF_ALERT_EMAIL:
        return False
    follow_up = (NpsFollowUp.objects.select_related("customer", "response__invitation__order")
                 .filter(pk=follow_up_id).first())
    if follow_up is None:
        return False
    admin_url = absolute_url("admin:referrals_npsfollowup_change", follow_up.pk)
    email_send(
        to=settings.STAFF_ALERT_EMAIL, template="referrals/emails/nps_detractor_alert",
        context={"follow_up": follow_up, "response": follow_up.response,
                 "customer": follow_up.customer, "order": follow_up.response.invitation.order,
                 "admin_url": admin_url, "survey": NpsSurvey.get()},
    )
    return True
