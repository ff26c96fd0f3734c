from django.urls import path

from . import apis

urlpatterns = [
    path("storefront/bootstrap/", apis.BootstrapApi.as_view(), name="api-storefront-bootstrap"),
    path("storefront/session/", apis.SessionApi.as_view(), name="api-storefront-session"),
    path("storefront/redemptions/", apis.RedemptionApi.as_view(),
         name="api-storefront-redemptions"),
    path("storefront/quizzes/<slug:slug>/", apis.QuizApi.as_view(), name="api-storefront-quiz"),
    path("storefront/quizzes/<slug:slug>/responses/", apis.QuizAnswersApi.as_view(),
         name="api-storefront-quiz-responses"),
    path("storefront/referral-clicks/", apis.ReferralClickApi.as_view(),
         name="api-storefront-referral-clicks"),
]
