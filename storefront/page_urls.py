from django.urls import path

from . import views

urlpatterns = [
    path("embed.js", views.embed_js, name="embed_js"),
    path("demo-shop/", views.demo_shop, name="demo_shop"),
    path("demo-shop/login/", views.demo_shop_login, name="demo_shop_login"),
]
