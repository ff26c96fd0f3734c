"""Every write of the NPS survey: invitations (with the contact cap every survey shares),
answers, comments and the follow-up cases staff work through."""

import datetime as dt
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Activity, Customer, NpsCategory, Order
from customers.services import activity_record, customer_nps_set
from kernel.emails import email_language
from kernel.errors import FlywheelError
from loyalty import services as loyalty_services

from .errors import AlreadyAnswered, CommentTooLong, InvalidScore, TokenExpired, TokenInvalid
from .models import (
    COMMENT_MAX_LENGTH,
    NpsFollowUp,
    NpsInvitation,
    NpsResponse,
    NpsSurvey,
    SurveyContact,
)
from .selectors import survey_contact_allowed
from .tokens import token_read

SURVEY = "nps"
SURVEYED_STATUSES = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)


def survey_contact_log(*, customer: Customer, survey: str, key: str,
                       at: dt.datetime | None = None) -> SurveyContact:
    """Log a survey email to a customer, once per key. Every survey calls this for each email
    it sends, and checks `survey_contact_allowed` first (under the customer's row lock)."""
    contact, _created = SurveyContact.objects.get_or_create(
        key=key, defaults={"customer": customer, "survey": survey,
                           "contacted_at": at or timezone.now()},
    )
    return contact


def _may_survey(customer: Customer, survey: NpsSurvey) -> bool:
    if customer.erased_at is not None:
        return False
    return customer.accepts_marketing or not survey.requires_marketing_consent


def nps_invitation_create(*, order: Order, survey: NpsSurvey | None = None,
                          now: dt.datetime | None = None) -> NpsInvitation | None:
    """Invite the customer who paid for `order` to answer the NPS survey, and email them after
    commit. One invitation per order (a unique constraint), and none when the customer got any
    survey email within the contact cap, never consented (when the survey requires it) or was
    erased. The customer's row is locked, so two workers can't both pass the cap."""
    survey = survey or NpsSurvey.get()
    now = now or timezone.now()
    if order.customer_id is None:
        return None
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=order.customer_id)
        if NpsInvitation.objects.filter(order=order).exists() or not _may_survey(customer, survey):
            return None
        if not survey_contact_allowed(customer=customer, cap_days=survey.contact_cap_days,
                                      now=now):
            return None
        # The question as the e-mail will ask it: in the customer's language.
        with translation.override(email_language(customer.email_language)):
            question = survey.question
        invitation = NpsInvitation.objects.create(
            customer=customer, order=order, question=question, created_at=now,
            nonce=secrets.token_urlsafe(16),
            expires_at=now + dt.timedelta(days=survey.link_valid_days),
        )
        survey_contact_log(customer=customer, survey=SURVEY, at=now,
                           key=f"nps:invitation:{invitation.pk}")
        from .tasks import nps_invitation_send_task

        nps_invitation_send_task.delay_on_commit(invitation.pk)
    return invitation


def nps_invitations_create_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Invite customers for the orders that are due: paid `delay_days` ago (up to
    `lookback_days` late), still paid, not yet surveyed. A customer with several due orders is
    asked once, about the latest. Safe to run at any time and from several workers: each
    invitation is unique per order and the cap is checked under a lock. Returns how many were
    created."""
    survey = NpsSurvey.get()
    if not survey.is_active:
        return 0
    now = now or timezone.now()
    due_before = now - dt.timedelta(days=survey.delay_days)
    recent_contact = SurveyContact.objects.filter(
        customer=OuterRef("customer"),
        contacted_at__gt=now - dt.timedelta(days=survey.contact_cap_days),
    )
    orders = (
        Order.objects.filter(
            paid_at__lte=due_before,
            paid_at__gt=due_before - dt.timedelta(days=survey.lookback_days),
            status__in=SURVEYED_STATUSES, customer__isnull=False,
            customer__erased_at__isnull=True,
        )
        .exclude(Exists(NpsInvitation.objects.filter(order=OuterRef("pk"))))
        .exclude(Exists(recent_contact))
        .order_by("-paid_at", "-id")
    )
    if survey.requires_marketing_consent:
        orders = orders.filter(customer__accepts_marketing=True)
    created, seen = 0, set()
    for order in orders.iterator(chunk_size=200):
        if order.customer_id in seen:
            continue
        seen.add(order.customer_id)
        if nps_invitation_create(order=order, survey=survey, now=now) is not None:
            created += 1
            if created >= limit:
                break
    return created


def nps_invitation_mark_sent(*, invitation: NpsInvitation, at: dt.datetime | None = None) -> bool:
    """Note that the email went out; False when it already had (the task's guard)."""
    return bool(NpsInvitation.objects.filter(pk=invitation.pk, sent_at__isnull=True)
                .update(sent_at=at or timezone.now()))


def nps_invitation_from_token(*, token: str, now: dt.datetime | None = None
                              ) -> tuple[NpsInvitation, int | None]:
    """The invitation a link belongs to and the score it carries. A forged, altered or
    revoked link raises TokenInvalid; a link past its invitation's expiry, TokenExpired."""
    data = token_read(token)
    invitation = None
    if data is not None:
        invitation = (NpsInvitation.objects.select_related("customer")
                      .filter(pk=data.invitation_id).first())
    if invitation is None or data is None or not hmac.compare_digest(invitation.nonce, data.nonce):
        raise TokenInvalid(_("This survey link is not valid. Please use the link in your "
                             "email."))
    if (now or timezone.now()) >= invitation.expires_at:
        raise TokenExpired(_("This survey has closed. Thank you for taking a look!"))
    return invitation, data.score


def _check_score(score) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise InvalidScore(_("A score is a whole number from 0 to 10."),
                           fields={"score": _("Choose a score from 0 to 10.")})
    return score


def _check_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise CommentTooLong(
            _("Please keep your comment under %(max)s characters.") % {"max": COMMENT_MAX_LENGTH},
            fields={"comment": _("At most %(max)s characters (you wrote %(length)s).")
                    % {"max": COMMENT_MAX_LENGTH, "length": len(comment)}},
        )
    return comment


def nps_answer_record(*, invitation: NpsInvitation, score: int,
                      channel: str = NpsResponse.Channel.EMAIL,
                      now: dt.datetime | None = None) -> tuple[NpsResponse, bool]:
    """Record the invitation's score, once: the first answer counts and a later click returns
    it unchanged (`created` False). The answer goes on the profile (latest score and category)
    and on the timeline as `nps_answered`, where loyalty's activity rule can award points; a
    detractor's answer opens a follow-up case and alerts staff."""
    score = _check_score(score)
    now = now or timezone.now()
    existing = NpsResponse.objects.filter(invitation=invitation).first()
    if existing is not None:
        return existing, False
    category = NpsCategory.for_score(score)
    customer = invitation.customer
    try:
        with transaction.atomic():
            response = NpsResponse.objects.create(
                invitation=invitation, customer=customer, score=score, category=category,
                tier=customer.loyalty_tier, channel=channel, answered_at=now,
            )
            customer_nps_set(customer=customer, score=score, at=now)
            activity_record(
                customer=customer, kind=Activity.Kind.NPS_ANSWERED, occurred_at=now,
                reference=f"nps_invitation:{invitation.pk}",
                data={"score": score, "category": str(category)},
                key=f"nps:invitation:{invitation.pk}:answered",
            )
            if category == NpsCategory.DETRACTOR:
                follow_up = NpsFollowUp.objects.create(response=response, customer=customer,
                                                       created_at=now)
                from .tasks import nps_follow_up_alert_task

                nps_follow_up_alert_task.delay_on_commit(follow_up.pk)
    except IntegrityError:
        # Two clicks at once: the other one recorded the answer; this one returns it.
        return NpsResponse.objects.get(invitation=invitation), False
    return response, True


def nps_comment_add(*, response: NpsResponse, comment: str,
                    now: dt.datetime | None = None) -> NpsResponse:
    """Add the follow-up comment to an answer, once; an empty comment just closes it."""
    comment = _check_comment(comment)
    now = now or timezone.now()
    updated = NpsResponse.objects.filter(pk=response.pk, commented_at__isnull=True).update(
        comment=comment, commented_at=now,
    )
    if not updated:
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
    response.comment, response.commented_at = comment, now
    return response


def nps_answer_submit(*, token: str, score: int | None = None, comment: str | None = None,
                      channel: str = NpsResponse.Channel.API,
                      now: dt.datetime | None = None) -> tuple[NpsResponse, bool]:
    """Answer a survey from a headless storefront posting the link's token: the score (from
    the link, or given; both must agree) and, when given, the comment, in one call or two (the
    score on the click, the comment later). Nothing is recorded twice: a different score for an
    answered invitation, or a second comment, raises AlreadyAnswered."""
    invitation, token_score = nps_invitation_from_token(token=token, now=now)
    if comment is not None:
        comment = _check_comment(comment)
    if score is None:
        score = token_score
    if score is None:
        raise InvalidScore(_("Send a score from 0 to 10."),
                           fields={"score": _("This field is required.")})
    score = _check_score(score)
    if token_score is not None and token_score != score:
        raise InvalidScore(_("The score does not match the link the customer clicked."),
                           code="score_mismatch", fields={"score": _("Use the link's score.")})
    with transaction.atomic():
        response, created = nps_answer_record(invitation=invitation, score=score,
                                              channel=channel, now=now)
        if not created and (response.score != score
                            or (comment is not None and response.commented_at)):
            raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
        if comment is not None:
            response = nps_comment_add(response=response, comment=comment, now=now)
    return response, created


def nps_follow_up_update(*, follow_up: NpsFollowUp, by, status: str | None = None,
                         notes: str | None = None, now: dt.datetime | None = None
                         ) -> NpsFollowUp:
    """Staff move a case along (open → contacted → resolved, or back) and keep notes. The
    first time it reaches a status, the time is kept; the staff member is noted as its owner."""
    now = now or timezone.now()
    if status is not None and status not in NpsFollowUp.Status.values:
        raise FlywheelError(_("Unknown status."), fields={"status": _("Choose a status.")})
    with transaction.atomic():
        follow_up = NpsFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if status is not None:
            follow_up.status = status
            if status in (NpsFollowUp.Status.CONTACTED, NpsFollowUp.Status.RESOLVED):
                follow_up.contacted_at = follow_up.contacted_at or now
            if status == NpsFollowUp.Status.RESOLVED:
                follow_up.resolved_at = follow_up.resolved_at or now
            else:
                follow_up.resolved_at = None
        if notes is not None:
            follow_up.notes = notes.strip()
        if by is not None and by.is_authenticated:
            follow_up.assigned_to = follow_up.assigned_to or by
        follow_up.save()
    return follow_up


def nps_follow_up_goodwill_grant(*, follow_up: NpsFollowUp, points: int, by, reason: str = ""
                                 ) -> NpsFollowUp:
    """Give the detractor goodwill points through the loyalty ledger (an adjustment with the
    staff member and a reason), once per case."""
    if not isinstance(points, int) or points <= 0:
        raise FlywheelError(_("Give a positive number of points."),
                            fields={"points": _("More than zero.")})
    reason = (reason or "").strip() or _("Goodwill after NPS follow-up #%(id)s") % {
        "id": follow_up.pk}
    with transaction.atomic():
        follow_up = NpsFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.goodwill_points:
            raise FlywheelError(_("This case already gave goodwill points."),
                                code="goodwill_already_given")
        account = loyalty_services.loyalty_account_get_or_create(customer=follow_up.customer)
        loyalty_services.points_adjust(account=account, amount=points, by=by, reason=reason,
                                       key=f"nps:follow_up:{follow_up.pk}:goodwill")
        follow_up.goodwill_points = points
        follow_up.assigned_to = follow_up.assigned_to or by
        follow_up.save(update_fields=["goodwill_points", "assigned_to"])
    return follow_up


def nps_personal_data_erase(*, customer: Customer) -> int:
    """Forget what a customer wrote in surveys when they are erased: comments and staff notes
    go; scores stay, anonymous, so past NPS figures still add up. Returns the answers blanked."""
    NpsFollowUp.objects.filter(customer=customer).update(notes="")
    return NpsResponse.objects.filter(customer=customer).update(comment="")
