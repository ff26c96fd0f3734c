from django.urls import path

from . import apis

urlpatterns = [
    path("nps/responses/", apis.NpsResponseCreateApi.as_view(), name="api-nps-responses"),
    path("nps/summary/", apis.NpsSummaryApi.as_view(), name="api-nps-summary"),
    path("me/nps/responses/", apis.MeNpsResponsesApi.as_view(), name="api-me-nps-responses"),
]
