from django.urls import path

from loyalty import views

urlpatterns = [
    path("account/rewards/<int:reward_id>/redeem/", views.reward_redeem, name="reward_redeem"),
]
