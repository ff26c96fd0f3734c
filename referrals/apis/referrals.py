"""The referral API: a customer's code, share links, numbers and referrals, for the shop's
systems (API key) and for the signed-in shopper under /me/ (session with CSRF)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from customers.selectors import customer_get
from kernel.api import ShopperApi

from .. import selectors

TAGS = ["referrals"]
RECENT = 50


class ReferralOutput(serializers.Serializer):
    """A customer's referral program at a glance."""

    class Share(serializers.Serializer):
        code = serializers.CharField()
        url = serializers.URLField()
        email_url = serializers.CharField()
        whatsapp_url = serializers.URLField()
        x_url = serializers.URLField()
        facebook_url = serializers.URLField()

    class Stats(serializers.Serializer):
        clicks = serializers.IntegerField()
        signups = serializers.IntegerField()
        conversions = serializers.IntegerField()
        rewarded = serializers.IntegerField()
        revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
        reward_points = serializers.IntegerField()
        reward_vouchers = serializers.IntegerField()

    class Item(serializers.Serializer):
        id = serializers.IntegerField()
        friend = serializers.SerializerMethodField()
        status = serializers.CharField()
        created_at = serializers.DateTimeField()
        converted_at = serializers.DateTimeField(allow_null=True)
        hold_until = serializers.DateTimeField(allow_null=True)
        rewarded_at = serializers.DateTimeField(allow_null=True)
        order_total = serializers.DecimalField(max_digits=14, decimal_places=2)
        currency = serializers.CharField()
        reward_points = serializers.IntegerField()

        def get_friend(self, referral) -> str:
            return selectors.referrals.referral_friend_label(referral)

    share = Share()
    stats = Stats()
    referrals = Item(many=True)


def _referral(customer: Customer) -> Response:
    referrals = selectors.referral_list_for_customer(customer=customer).select_related(
        "friend")[:RECENT]
    return Response(ReferralOutput({
        "share": selectors.referral_share_get(customer=customer),
        "stats": selectors.referrer_stats(customer=customer),
        "referrals": referrals,
    }).data)


class CustomerReferralApi(APIView):
    @extend_schema(responses=ReferralOutput, operation_id="customer_referral_retrieve",
                   tags=TAGS, summary="A customer's referral code, links, numbers and referrals")
    def get(self, request, customer_id: int):
        return _referral(customer_get(customer_id=customer_id))


class MeReferralApi(ShopperApi):
    @extend_schema(responses=ReferralOutput, operation_id="me_referral_retrieve", tags=TAGS,
                   summary="The signed-in shopper's referral code, links and referrals")
    def get(self, request):
        return _referral(self.shopper(request))
