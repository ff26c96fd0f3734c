from django.urls import path

from .views import referrals as referral_views

urlpatterns = [
    # Referrals
    path("r/<str:code>/", referral_views.referral_landing, name="referral_landing"),
    path("account/referral/card.png", referral_views.referral_share_card,
         name="referral_share_card"),
]
