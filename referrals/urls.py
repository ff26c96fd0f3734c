from django.urls import path

from .apis import referrals as referral_apis

urlpatterns = [
    # Referrals
    path("customers/<int:customer_id>/referral/", referral_apis.CustomerReferralApi.as_view(),
         name="api-customer-referral"),
    path("me/referral/", referral_apis.MeReferralApi.as_view(), name="api-me-referral"),
]
