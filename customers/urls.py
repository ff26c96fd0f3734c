from django.urls import include, path

from customers import apis

urlpatterns = [
    path("events/orders/", apis.OrderEventApi.as_view(), name="api-order-events"),
    path("webhooks/shopify/", apis.ShopifyWebhookApi.as_view(), name="api-webhook-shopify"),
    path("webhooks/woocommerce/", apis.WooCommerceWebhookApi.as_view(),
         name="api-webhook-woocommerce"),
    path("customers/", apis.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", apis.CustomerDetailApi.as_view(),
         name="api-customer"),
    path("customers/<int:customer_id>/export/", apis.CustomerExportApi.as_view(),
         name="api-customer-export"),
    path("customers/<int:customer_id>/activities/", apis.CustomerActivityCreateApi.as_view(),
         name="api-customer-activities"),
    path("", include("customers.segments.urls")),
]
