from django.urls import path

from config.urls import urlpatterns as flywheel_urlpatterns

from .apis import BaselineApi

urlpatterns = [
    path("bench/baseline/", BaselineApi.as_view()),
    *flywheel_urlpatterns,
]
