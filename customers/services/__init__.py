"""Every write to the customer profile. Other apps call these, never the models directly.
The normalised events `order_apply` takes (CustomerData, LineData, OrderEvent) are here too."""

from customers.ingestion.events import CustomerData, LineData, OrderEvent
from customers.segments.services import (
    customer_stage_refresh,
    customers_stage_refresh,
    segment_membership_refresh,
    segments_recompute,
)

from .accounts import account_signup_confirm, account_signup_request, signup_link
from .activities import activity_post, activity_record, activity_record_many
from .api_keys import api_key_authenticate, api_key_create, api_key_revoke, api_keys_forget
from .contact import (
    MarketingEmail,
    customer_unsubscribe,
    customer_unsubscribed,
    marketing_email_send,
    marketing_emails_send,
    unsubscribe_url,
)
from .deliveries import (
    deliveries_apply,
    deliveries_wake,
    delivery_process,
    delivery_receive,
    delivery_reprocess,
)
from .orders import order_apply, orders_apply, refund_apply
from .profiles import (
    account_signup,
    attribute_set,
    consent_set,
    customer_erase,
    customer_language_set,
    customer_link_user,
    customer_nps_set,
    customer_staff_save,
    customer_stats_refresh,
    customer_tier_set,
    customer_upsert,
    customer_upsert_with_attributes,
    customers_stats_refresh,
    customers_tier_set,
    customers_upsert_many,
)

__all__ = [
    "CustomerData",
    "LineData",
    "MarketingEmail",
    "OrderEvent",
    "account_signup",
    "account_signup_confirm",
    "account_signup_request",
    "activity_post",
    "activity_record",
    "activity_record_many",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "api_keys_forget",
    "attribute_set",
    "consent_set",
    "customer_erase",
    "customer_language_set",
    "customer_link_user",
    "customer_nps_set",
    "customer_staff_save",
    "customer_stage_refresh",
    "customer_stats_refresh",
    "customer_tier_set",
    "customer_unsubscribe",
    "customer_unsubscribed",
    "customer_upsert",
    "customer_upsert_with_attributes",
    "customers_stage_refresh",
    "customers_stats_refresh",
    "customers_tier_set",
    "customers_upsert_many",
    "deliveries_apply",
    "deliveries_wake",
    "delivery_process",
    "delivery_receive",
    "delivery_reprocess",
    "marketing_email_send",
    "marketing_emails_send",
    "order_apply",
    "orders_apply",
    "refund_apply",
    "segment_membership_refresh",
    "segments_recompute",
    "signup_link",
    "unsubscribe_url",
]
