from django.urls import path

from .apis import FloorApi

urlpatterns = [path("floor/", FloorApi.as_view())]
