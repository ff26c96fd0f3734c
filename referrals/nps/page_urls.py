from django.urls import path

from . import views

urlpatterns = [
    path("nps/<str:token>/", views.nps_answer, name="nps_answer"),
    path("nps/<str:token>/thanks/", views.nps_thanks, name="nps_thanks"),
]
