"""The storefront widget's API (embed.js), for publishable keys only: the bootstrap (program,
theme, words, and the shopper's own loyalty when a token is sent), the exchange of the shop's
signature for a shopper token, redeeming, quizzes and referral clicks.

A shopper is whoever the `X-Flywheel-Shopper` token was issued for; nothing here takes a
customer id from the browser."""

from urllib.parse import quote

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import ID_MAX, Activity
from kernel import formats
from kernel.api import ErrorSerializer
from kernel.errors import NotFound
from kernel.fields import StrictBooleanField, StrictCharField
from loyalty import selectors as loyalty_selectors
from loyalty import services as loyalty_services
from loyalty.models import Reward
from quizzes.apis import QuizDetailApi
from quizzes.models import QuizResponse
from quizzes.responses.selectors import quiz_version_latest, recommendations_shown
from quizzes.responses.services import quiz_response_submit
from referrals.selectors import referral_share_get
from referrals.services import referral_click_record

from . import errors, selectors, services
from .discounts import discount_sync_states
from .models import PublishableKey
from .strings import widget_strings

TAGS = ["storefront"]
SHOPPER_HEADER = OpenApiParameter(
    "X-Flywheel-Shopper", str, OpenApiParameter.HEADER, required=False,
    description="The shopper token from POST /storefront/session/.")
HISTORY_SIZE = 20


class IsStorefrontWidget(BasePermission):
    """The storefront widget: a publishable key, used from one of its shop's origins (or from
    no browser at all). Secret keys are refused here: they never belong in a page."""

    message = _("Use the storefront's publishable key (pk_…).")
    code = "publishable_key_required"

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, PublishableKey):
            return False
        origin = request.headers.get("Origin")
        if origin and not selectors.origin_allowed(publishable_key=key, origin=origin):
            raise errors.OriginRefused(errors.ORIGIN_REFUSED)
        return True


class WidgetApi(APIView):
    permission_classes = [IsStorefrontWidget]
    throttle_scope = "storefront"

    def shopper(self, request, *, required: bool):
        token = request.headers.get("X-Flywheel-Shopper", "")
        if not token:
            if required:
                raise errors.ShopperTokenRefused(errors.TOKEN_REQUIRED, code="shopper_required")
            return None
        return selectors.shopper_from_token(publishable_key=request.auth, token=token)


def add_to_cart_link(template: str, product) -> str:
    """The storefront's add-to-cart link for a product: its {sku} and {variant_id} filled in,
    or "" when there is no link or it needs a variant id the product lacks (Shopify's cart
    takes variant ids only)."""
    if not template or ("{variant_id}" in template and not product.variant_id):
        return ""
    return (template.replace("{sku}", quote(product.sku, safe=""))
            .replace("{variant_id}", quote(product.variant_id, safe="")))


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#111827",
                                                 light="#ffffff")


def _share_url(key: PublishableKey, code: str, fallback: str) -> str:
    origins = key.origins
    return f"{origins[0]}/?ref={code}" if origins else fallback


def _redemption_data(redemption, sync: str | None = None) -> dict:
    """`sync`: the code's state in the shop's checkout (a DiscountSync status, or None when
    the voucher has no row); the widget says when a code is not usable at checkout yet."""
    return {"id": redemption.pk, "code": redemption.code, "status": redemption.status,
            "status_label": redemption.get_status_display(), "reward": redemption.reward.name,
            "points": redemption.points,
            "expires_at": redemption.expires_at.date().isoformat(),
            "expires_label": formats.date_format(redemption.expires_at), "sync": sync}


def _vouchers_data(redemptions) -> list[dict]:
    redemptions = list(redemptions)
    states = discount_sync_states(redemption_ids=[r.pk for r in redemptions])
    return [_redemption_data(r, states.get(r.pk)) for r in redemptions]


def _history_data(entries) -> list[dict]:
    """The ledger's entries, each with its cause in the shopper's words as the account page
    and the e-mails say it ("Order #1001", "Welcome to the club"), a voucher with its code."""
    rows = []
    for entry, cause in loyalty_selectors.points_entry_causes(entries):
        if entry.redemption_id:
            cause = f"{cause} · {entry.redemption.code}"
        rows.append({"amount": entry.amount, "kind": entry.get_kind_display(),
                     "held": entry.held, "reason": cause,
                     "date": entry.created_at.date().isoformat(),
                     "date_label": formats.date_format(entry.created_at)})
    return rows


def _shopper_data(request, customer) -> dict:
    summary = loyalty_selectors.loyalty_summary_get(customer=customer)
    share = referral_share_get(customer=customer)
    url = _share_url(request.auth, share.code, share.url)
    tier, next_tier = summary.get("tier"), summary.get("next_tier")
    progress = summary.get("progress")
    return {
        "first_name": customer.first_name, "balance": summary["balance"],
        "pending": summary["pending"],
        "tier": tier and {"name": tier["name"], "colour": tier["colour"]},
        "next_tier": next_tier and {"name": next_tier["name"]},
        "progress": progress and {"percent": progress["percent"], "text": progress["text"]},
        "vouchers": _vouchers_data(loyalty_selectors.voucher_list(customer=customer)[:20]),
        "history": _history_data(
            loyalty_selectors.points_entry_list(customer=customer)[:HISTORY_SIZE]),
        "referral": {"code": share.code, "url": url, "message": share.message,
                     "offer": share.offer, "qr_svg": _qr_svg(url)},
    }


class BootstrapApi(WidgetApi):
    @extend_schema(
        operation_id="storefront_bootstrap", tags=TAGS, parameters=[SHOPPER_HEADER],
        summary="Everything the widget shows",
        responses={200: inline_serializer("StorefrontBootstrap", {
            "strings": serializers.DictField(child=serializers.CharField()),
            "theme": serializers.DictField(child=serializers.CharField()),
            "links": serializers.DictField(child=serializers.CharField()),
            "language": serializers.CharField(),
            "program": serializers.JSONField(), "shopper": serializers.JSONField(),
        }), 401: ErrorSerializer, 403: ErrorSerializer},
        description="Words (in the shopper's language: `Accept-Language`), theme, the shop's "
        "sign-up and log-in pages, ways to earn and rewards; with a shopper token, the "
        "shopper's points, tier, vouchers, referral link with its QR code and history.")
    def get(self, request):
        key: PublishableKey = request.auth
        customer = self.shopper(request, required=False)
        return Response({
            "strings": widget_strings(),
            "theme": {"accent": key.accent_colour, "text": key.text_colour,
                      "background": key.background_colour, "font": key.font_family,
                      "position": key.position,
                      "launcher_text": key.launcher_text or _("Rewards")},
            "links": {"signup": key.signup_url, "login": key.login_url},
            "shop_name": settings.SITE_NAME,
            # The language of the words, for the numbers the widget writes (Persian digits).
            "language": translation.get_language(),
            "program": {
                "ways_to_earn": selectors.ways_to_earn(currency=settings.SHOP_CURRENCY),
                "rewards": [{"id": r.pk, "name": r.name, "description": r.description,
                             "cost": r.cost}
                            for r in loyalty_selectors.reward_list_available()[:30]],
            },
            "shopper": _shopper_data(request, customer) if customer else None,
        })


class SessionApi(WidgetApi):
    class WidgetSessionInput(serializers.Serializer):
        customer_id = StrictCharField(max_length=64)
        email = serializers.EmailField(max_length=254)
        timestamp = serializers.IntegerField(min_value=0, max_value=2**40)
        signature = StrictCharField(max_length=128)

    @extend_schema(
        operation_id="storefront_session_create", tags=TAGS, request=WidgetSessionInput,
        summary="Exchange the shop's signature of its shopper for a token",
        responses={201: inline_serializer("StorefrontSession", {
            "token": serializers.CharField(), "expires_at": serializers.DateTimeField()}),
            400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        description="The shop's server signs `customer_id:email:timestamp` with HMAC-SHA256 "
        "and the storefront's signing secret. Refused (401): `signature_invalid`, "
        "`signature_expired` (older than 15 minutes), `signature_used` (each signature once).")
    def post(self, request):
        data = self.WidgetSessionInput(data=request.data)
        data.is_valid(raise_exception=True)
        token, expires_at, _customer = services.shopper_session_open(
            publishable_key=request.auth, **data.validated_data)
        return Response({"token": token, "expires_at": expires_at},
                        status=status.HTTP_201_CREATED)


class RedemptionApi(WidgetApi):
    class WidgetRedemptionInput(serializers.Serializer):
        reward_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
        key = StrictCharField(max_length=200, required=False, default="")

    @extend_schema(
        operation_id="storefront_redemption_create", tags=TAGS, request=WidgetRedemptionInput,
        parameters=[SHOPPER_HEADER], summary="The shopper redeems a reward",
        responses={201: inline_serializer("StorefrontVoucher", {
            "code": serializers.CharField(), "reward": serializers.CharField(),
            "points": serializers.IntegerField(), "expires_at": serializers.DateField(),
            "sync": serializers.CharField(allow_null=True, help_text=(
                "The code's state in the shop's checkout: pending, synced, failed, "
                "not_needed, removing, removed; null when no platform sync applies."))}),
            400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
            404: ErrorSerializer, 409: ErrorSerializer})
    def post(self, request):
        customer = self.shopper(request, required=True)
        data = self.WidgetRedemptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        reward = Reward.objects.filter(pk=data.validated_data["reward_id"]).first()
        if reward is None:
            raise NotFound(_("No reward has this id."), code="reward_not_found",
                           fields={"reward_id": _("No reward has this id.")})
        redemption = loyalty_services.redemption_create(
            customer=customer, reward=reward, key=data.validated_data["key"])
        # The code's push ran after the voucher's commit (inline without a broker).
        return Response(_vouchers_data([redemption])[0], status=status.HTTP_201_CREATED)


class QuizApi(QuizDetailApi):
    """The published quiz, as the quiz API shows it (no customer data in it)."""

    permission_classes = [IsStorefrontWidget]
    throttle_scope = "storefront"

    @extend_schema(operation_id="storefront_quiz_retrieve", tags=TAGS,
                   responses={200: QuizDetailApi.Output, 403: ErrorSerializer,
                              404: ErrorSerializer},
                   summary="A published quiz, for the embedded quiz")
    def get(self, request, slug: str):
        return super().get(request, slug)


class QuizAnswersApi(WidgetApi):
    class WidgetQuizAnswersInput(serializers.Serializer):
        answers = serializers.DictField(child=serializers.JSONField())
        marketing_consent = StrictBooleanField(default=False)

    @extend_schema(
        operation_id="storefront_quiz_response_create", tags=TAGS, request=WidgetQuizAnswersInput,
        parameters=[SHOPPER_HEADER], summary="Answer an embedded quiz",
        responses={201: OpenApiTypes.OBJECT, 400: ErrorSerializer, 401: ErrorSerializer,
                   403: ErrorSerializer, 404: ErrorSerializer},
        description="Every answer at once (the widget follows the branches); the response "
        "belongs to the token's shopper, if any. Picks link to the products' pages and, "
        "where the storefront has one, to an add-to-cart link.")
    def post(self, request, slug: str):
        customer = self.shopper(request, required=False)
        data = self.WidgetQuizAnswersInput(data=request.data)
        data.is_valid(raise_exception=True)
        response = quiz_response_submit(
            version=quiz_version_latest(slug=slug), customer=customer,
            raw_answers=data.validated_data["answers"],
            consent=data.validated_data["marketing_consent"], channel=QuizResponse.Channel.API)
        cart = request.auth.add_to_cart_url
        picks = [{
            "sku": item.product.sku, "name": item.product.name, "url": item.product.url,
            "price": loyalty_selectors.money_format(item.product.price, item.product.currency),
            "image": (request.build_absolute_uri((item.product.thumbnail or item.product.image).url)
                      if (item.product.thumbnail or item.product.image) else ""),
            "reasons": list(item.reasons),
            "add_to_cart_url": add_to_cart_link(cart, item.product),
        } for item in recommendations_shown(response=response)]
        points = loyalty_selectors.activity_points_preview(
            activity_kind=Activity.Kind.QUIZ_COMPLETED)
        return Response({"picks": picks, "points": points, "shopper": customer is not None},
                        status=status.HTTP_201_CREATED)


class ReferralClickApi(WidgetApi):
    class WidgetReferralClickInput(serializers.Serializer):
        code = StrictCharField(max_length=40)

    @extend_schema(
        operation_id="storefront_referral_click_create", tags=TAGS,
        request=WidgetReferralClickInput,
        summary="A shop page was opened with ?ref=CODE",
        responses={201: inline_serializer("StorefrontReferralClick", {
            "counted": serializers.BooleanField(), "code": serializers.CharField()}),
            400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer})
    def post(self, request):
        data = self.WidgetReferralClickInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = referral_click_record(code=data.validated_data["code"],
                                       ip=request.META.get("REMOTE_ADDR", ""))
        return Response({"counted": not result.limited, "code": result.code.code},
                        status=status.HTTP_201_CREATED)
