from django.urls import path

from loyalty import apis

urlpatterns = [
    path("customers/<int:customer_id>/loyalty/", apis.CustomerLoyaltyApi.as_view(),
         name="api-customer-loyalty"),
    path("customers/<int:customer_id>/loyalty/entries/", apis.CustomerLoyaltyEntriesApi.as_view(),
         name="api-customer-loyalty-entries"),
    path("customers/<int:customer_id>/redemptions/", apis.CustomerRedemptionCreateApi.as_view(),
         name="api-customer-redemptions"),
    path("rewards/", apis.RewardListApi.as_view(), name="api-rewards"),
    path("vouchers/<str:code>/", apis.VoucherDetailApi.as_view(), name="api-voucher"),
    path("vouchers/<str:code>/use/", apis.VoucherUseApi.as_view(), name="api-voucher-use"),
    path("me/loyalty/", apis.MeLoyaltyApi.as_view(), name="api-me-loyalty"),
    path("me/loyalty/entries/", apis.MeLoyaltyEntriesApi.as_view(), name="api-me-loyalty-entries"),
    path("me/redemptions/", apis.MeRedemptionCreateApi.as_view(), name="api-me-redemptions"),
]
